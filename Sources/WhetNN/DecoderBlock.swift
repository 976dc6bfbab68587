import WhetTensor

/// The per-call inputs every block shares: batch geometry, rotary tables and masks (a second
/// pair for sliding-window layers, when the model has them).
public struct DecoderContext {
  public var batch: Int
  public var length: Int
  public var rotary: RotaryTable
  public var mask: AttentionMask
  public var localRotary: RotaryTable?
  public var localMask: AttentionMask?

  /// Positions `0..<length` in every row (or shifted by `keyStart` padding on the left), with
  /// the model's rotary frequencies.
  public init(batch: Int, length: Int, config: TransformerConfiguration, keyStart: [Int]? = nil) {
    self.batch = batch
    self.length = length
    let positions = Self.positions(batch: batch, length: length, keyStart: keyStart)
    rotary = config.rotaryTable(positions: positions)
    mask = config.attentionMask(sliding: false, keyStart: keyStart)
    if config.slidingLayers.contains(true) {
      localRotary = config.localRotaryTable(positions: positions) ?? rotary
      localMask = config.attentionMask(sliding: true, keyStart: keyStart)
    }
  }

  /// The rotary table and mask of a layer.
  public func forLayer(sliding: Bool) -> (rotary: RotaryTable, mask: AttentionMask) {
    sliding ? (localRotary ?? rotary, localMask ?? mask) : (rotary, mask)
  }

  /// Plain RoPE at base `ropeTheta` (benchmarks and tests of one block).
  public init(batch: Int, length: Int, headDimension: Int, ropeTheta: Float, keyStart: [Int]? = nil)
  {
    self.batch = batch
    self.length = length
    let positions = Self.positions(batch: batch, length: length, keyStart: keyStart)
    rotary = RotaryTable(positions: positions, rotaryDimension: headDimension, theta: ropeTheta)
    mask = AttentionMask(keyStart: keyStart)
  }

  static func positions(batch: Int, length: Int, keyStart: [Int]?) -> [Int] {
    var positions: [Int] = []
    positions.reserveCapacity(batch * length)
    for b in 0..<batch {
      let start = keyStart?[b] ?? 0
      for t in 0..<length { positions.append(max(0, t - start)) }
    }
    return positions
  }
}

/// Grouped-query self-attention with rotary positions; Q, K and V come from one GEMM.
/// With ``TransformerConfiguration/queryKeyNorm`` each head of Q and K is RMS-normalised
/// before RoPE (Qwen3).
public final class SelfAttention: Module {
  public let qProj: Linear, kProj: Linear, vProj: Linear, oProj: Linear
  public let qNorm: RMSNorm?, kNorm: RMSNorm?
  public let heads: Int, kvHeads: Int

  public init(_ prefix: String, _ config: TransformerConfiguration, source: ParameterSource)
    rethrows
  {
    let c = config.hiddenSize, d = config.headDimension, bias = config.attentionBias
    heads = config.heads
    kvHeads = config.kvHeads
    qProj = try Linear(
      joined(prefix, "q_proj"), inputSize: c, outputSize: heads * d, bias: bias, source: source)
    kProj = try Linear(
      joined(prefix, "k_proj"), inputSize: c, outputSize: kvHeads * d, bias: bias, source: source)
    vProj = try Linear(
      joined(prefix, "v_proj"), inputSize: c, outputSize: kvHeads * d, bias: bias, source: source)
    oProj = try Linear(
      joined(prefix, "o_proj"), inputSize: heads * d, outputSize: c, source: source)
    if config.queryKeyNorm {
      qNorm = try RMSNorm(
        joined(prefix, "q_norm"), dimension: d, epsilon: config.rmsNormEpsilon, source: source)
      kNorm = try RMSNorm(
        joined(prefix, "k_norm"), dimension: d, epsilon: config.rmsNormEpsilon, source: source)
    } else {
      qNorm = nil
      kNorm = nil
    }
  }

  /// `x` `[B·T, C]` → `[B·T, C]`, with the layer's rotary table and mask.
  public func callAsFunction(_ x: Variable, context: DecoderContext, sliding: Bool = false)
    -> Variable
  {
    let (table, mask) = context.forLayer(sliding: sliding)
    let qkv = split(
      fusedLinear(x, [qProj, kProj, vProj]),
      sizes: [qProj.outputSize, kProj.outputSize, vProj.outputSize], alongAxis: -1)
    let q = rope(perHead(qkv[0], qNorm, heads: heads), heads: heads, table: table)
    let k = rope(perHead(qkv[1], kNorm, heads: kvHeads), heads: kvHeads, table: table)
    let (b, t) = (context.batch, context.length)
    let y = attention(
      q: reshape(q, [b, t, -1]), k: reshape(k, [b, t, -1]), v: reshape(qkv[2], [b, t, -1]),
      heads: heads, kvHeads: kvHeads, mask: mask)
    return oProj(reshape(y, [b * t, -1]))
  }

  /// `x` `[N, heads·D]` with each head RMS-normalised by `norm` (unchanged without one).
  func perHead(_ x: Variable, _ norm: RMSNorm?, heads: Int) -> Variable {
    guard let norm else { return x }
    let n = x.value.rowCount, width = x.value.lastDimension
    return reshape(norm(reshape(x, [n * heads, width / heads])), [n, width])
  }

  public var namedParameters: [(name: String, variable: Variable)] {
    var all =
      prefixed("q_proj", qProj.namedParameters) + prefixed("k_proj", kProj.namedParameters)
      + prefixed("v_proj", vProj.namedParameters) + prefixed("o_proj", oProj.namedParameters)
    if let qNorm, let kNorm {
      all += prefixed("q_norm", qNorm.namedParameters) + prefixed("k_norm", kNorm.namedParameters)
    }
    return all
  }
}

/// The gated feed-forward network: `down(act(gate(x)) ⊙ up(x))` with SiLU (SwiGLU) or, for
/// Gemma, GELU-tanh (GeGLU); gate and up in one GEMM.
public final class GatedMLP: Module {
  public let gateProj: Linear, upProj: Linear, downProj: Linear
  /// The activation on the gate.
  public let activation: GateActivation

  public init(_ prefix: String, _ config: TransformerConfiguration, source: ParameterSource)
    rethrows
  {
    let c = config.hiddenSize, f = config.intermediateSize
    gateProj = try Linear(joined(prefix, "gate_proj"), inputSize: c, outputSize: f, source: source)
    upProj = try Linear(joined(prefix, "up_proj"), inputSize: c, outputSize: f, source: source)
    downProj = try Linear(joined(prefix, "down_proj"), inputSize: f, outputSize: c, source: source)
    activation = config.family == .gemma3 ? .geluTanh : .silu
  }

  public func callAsFunction(_ x: Variable) -> Variable {
    downProj(gated(fusedLinear(x, [gateProj, upProj]), activation))
  }

  public var namedParameters: [(name: String, variable: Variable)] {
    prefixed("gate_proj", gateProj.namedParameters) + prefixed("up_proj", upProj.namedParameters)
      + prefixed("down_proj", downProj.namedParameters)
  }
}

/// One pre-norm decoder block: `h = x + attn(norm(x))`, `out = h + mlp(norm(h))`; for Gemma 3
/// with norms on both sides, `h = x + norm(attn(norm(x)))`, `out = h + norm(mlp(norm(h)))`.
///
/// In Llama's names `post_attention_layernorm` is the norm before the MLP; in Gemma's it is
/// the norm after attention, and `pre_feedforward_layernorm` comes before the MLP.
public final class DecoderBlock: Module {
  public let inputNorm: RMSNorm, attention: SelfAttention
  public let postAttentionNorm: RMSNorm, mlp: GatedMLP
  public let preFeedforwardNorm: RMSNorm?, postFeedforwardNorm: RMSNorm?
  /// Whether this layer attends through the sliding window.
  public let sliding: Bool

  public init(_ prefix: String, _ config: TransformerConfiguration, source: ParameterSource)
    rethrows
  {
    let (c, eps) = (config.hiddenSize, config.rmsNormEpsilon)
    inputNorm = try RMSNorm(
      joined(prefix, "input_layernorm"), dimension: c, epsilon: eps, source: source)
    attention = try SelfAttention(joined(prefix, "self_attn"), config, source: source)
    postAttentionNorm = try RMSNorm(
      joined(prefix, "post_attention_layernorm"), dimension: c, epsilon: eps, source: source)
    mlp = try GatedMLP(joined(prefix, "mlp"), config, source: source)
    if config.family == .gemma3 {
      preFeedforwardNorm = try RMSNorm(
        joined(prefix, "pre_feedforward_layernorm"), dimension: c, epsilon: eps, source: source)
      postFeedforwardNorm = try RMSNorm(
        joined(prefix, "post_feedforward_layernorm"), dimension: c, epsilon: eps, source: source)
    } else {
      preFeedforwardNorm = nil
      postFeedforwardNorm = nil
    }
    sliding = config.isSliding(layer: Self.layerIndex(prefix) ?? -1)
  }

  /// `N` of a `model.layers.N` prefix.
  static func layerIndex(_ prefix: String) -> Int? {
    prefix.split(separator: ".").last.flatMap { Int($0) }
  }

  /// A randomly initialised block (names relative to the block).
  public convenience init(_ config: TransformerConfiguration, rng: inout SeededGenerator) {
    self.init("", config) { randomParameter(shape: $1, role: $2, using: &rng) }
  }

  /// `x` `[B·T, C]` → `[B·T, C]`.
  public func callAsFunction(_ x: Variable, context: DecoderContext) -> Variable {
    let attended = attention(inputNorm(x), context: context, sliding: sliding)
    guard let preFeedforwardNorm, let postFeedforwardNorm else {
      let h = x + attended
      return h + mlp(postAttentionNorm(h))
    }
    let h = x + postAttentionNorm(attended)
    return h + postFeedforwardNorm(mlp(preFeedforwardNorm(h)))
  }

  /// The block through ``gradientCheckpoint(_:tracking:_:)``: its activations are formed
  /// again in the backward pass instead of kept. LoRA dropout draws the same masks both times
  /// (the adapters' generators are set back for the second pass, then restored).
  public func checkpointed(_ x: Variable, context: DecoderContext) -> Variable {
    let adapters = projections.compactMap(\.layer.adapter)
    let start = adapters.map(\.generator)
    var recomputing = false
    return gradientCheckpoint(x, tracking: parameters) { [self] input in
      // The second pass draws from `start` again, then leaves the generators where it found them.
      let resume = recomputing ? adapters.map(\.generator) : nil
      recomputing = true
      for (adapter, state) in zip(adapters, start) { adapter.generator = state }
      let y = self(input, context: context)
      for (adapter, state) in zip(adapters, resume ?? []) { adapter.generator = state }
      return y
    }
  }

  public var namedParameters: [(name: String, variable: Variable)] {
    var all =
      prefixed("input_layernorm", inputNorm.namedParameters)
      + prefixed("self_attn", attention.namedParameters)
      + prefixed("post_attention_layernorm", postAttentionNorm.namedParameters)
      + prefixed("mlp", mlp.namedParameters)
    if let preFeedforwardNorm, let postFeedforwardNorm {
      all += prefixed("pre_feedforward_layernorm", preFeedforwardNorm.namedParameters)
      all += prefixed("post_feedforward_layernorm", postFeedforwardNorm.namedParameters)
    }
    return all
  }
}
