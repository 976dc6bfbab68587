import WhetTensor

/// The per-call inputs every block shares: batch geometry, rotary table and mask.
public struct DecoderContext {
  public var batch: Int
  public var length: Int
  public var rotary: RotaryTable
  public var mask: AttentionMask

  /// Positions `0..<length` in every row (or shifted by `keyStart` padding on the left).
  public init(batch: Int, length: Int, headDimension: Int, ropeTheta: Float, keyStart: [Int]? = nil)
  {
    self.batch = batch
    self.length = length
    var positions: [Int] = []
    positions.reserveCapacity(batch * length)
    for b in 0..<batch {
      let start = keyStart?[b] ?? 0
      for t in 0..<length { positions.append(max(0, t - start)) }
    }
    rotary = RotaryTable(positions: positions, rotaryDimension: headDimension, theta: ropeTheta)
    mask = AttentionMask(keyStart: keyStart)
  }
}

/// Grouped-query self-attention with rotary positions; Q, K and V come from one GEMM.
public final class SelfAttention: Module {
  public let qProj: Linear, kProj: Linear, vProj: Linear, oProj: Linear
  public let heads: Int, kvHeads: Int

  public init(_ config: TransformerConfiguration, rng: inout SeededGenerator) {
    let c = config.hiddenSize, d = config.headDimension
    heads = config.heads
    kvHeads = config.kvHeads
    qProj = Linear(inputSize: c, outputSize: heads * d, bias: config.attentionBias, rng: &rng)
    kProj = Linear(inputSize: c, outputSize: kvHeads * d, bias: config.attentionBias, rng: &rng)
    vProj = Linear(inputSize: c, outputSize: kvHeads * d, bias: config.attentionBias, rng: &rng)
    oProj = Linear(inputSize: heads * d, outputSize: c, rng: &rng)
  }

  /// `x` `[B·T, C]` → `[B·T, C]`.
  public func callAsFunction(_ x: Variable, context: DecoderContext) -> Variable {
    let qkv = fusedLinear(x, [qProj, kProj, vProj])
    let q = rope(qkv[0], heads: heads, table: context.rotary)
    let k = rope(qkv[1], heads: kvHeads, table: context.rotary)
    let (b, t) = (context.batch, context.length)
    let y = attention(
      q: reshape(q, [b, t, -1]), k: reshape(k, [b, t, -1]), v: reshape(qkv[2], [b, t, -1]),
      heads: heads, kvHeads: kvHeads, mask: context.mask)
    return oProj(reshape(y, [b * t, -1]))
  }

  public var namedParameters: [(name: String, variable: Variable)] {
    prefixed("q_proj", qProj.namedParameters) + prefixed("k_proj", kProj.namedParameters)
      + prefixed("v_proj", vProj.namedParameters) + prefixed("o_proj", oProj.namedParameters)
  }
}

/// The SwiGLU feed-forward network: `down(silu(gate(x)) ⊙ up(x))`; gate and up in one GEMM.
public final class GatedMLP: Module {
  public let gateProj: Linear, upProj: Linear, downProj: Linear

  public init(_ config: TransformerConfiguration, rng: inout SeededGenerator) {
    let c = config.hiddenSize, f = config.intermediateSize
    gateProj = Linear(inputSize: c, outputSize: f, rng: &rng)
    upProj = Linear(inputSize: c, outputSize: f, rng: &rng)
    downProj = Linear(inputSize: f, outputSize: c, rng: &rng)
  }

  public func callAsFunction(_ x: Variable) -> Variable {
    let weight = concatenate([gateProj.weight, upProj.weight], alongAxis: 0)
    return downProj(swiglu(matmul(x, weight, transposeB: true)))
  }

  public var namedParameters: [(name: String, variable: Variable)] {
    prefixed("gate_proj", gateProj.namedParameters) + prefixed("up_proj", upProj.namedParameters)
      + prefixed("down_proj", downProj.namedParameters)
  }
}

/// One pre-norm decoder block: `h = x + attn(norm(x))`, `out = h + mlp(norm(h))`.
public final class DecoderBlock: Module {
  public let inputNorm: RMSNorm, attention: SelfAttention
  public let postAttentionNorm: RMSNorm, mlp: GatedMLP

  public init(_ config: TransformerConfiguration, rng: inout SeededGenerator) {
    inputNorm = RMSNorm(dimension: config.hiddenSize, epsilon: config.rmsNormEpsilon)
    attention = SelfAttention(config, rng: &rng)
    postAttentionNorm = RMSNorm(dimension: config.hiddenSize, epsilon: config.rmsNormEpsilon)
    mlp = GatedMLP(config, rng: &rng)
  }

  /// `x` `[B·T, C]` → `[B·T, C]`.
  public func callAsFunction(_ x: Variable, context: DecoderContext) -> Variable {
    let h = x + attention(inputNorm(x), context: context)
    return h + mlp(postAttentionNorm(h))
  }

  public var namedParameters: [(name: String, variable: Variable)] {
    prefixed("input_layernorm", inputNorm.namedParameters)
      + prefixed("self_attn", attention.namedParameters)
      + prefixed("post_attention_layernorm", postAttentionNorm.namedParameters)
      + prefixed("mlp", mlp.namedParameters)
  }
}
