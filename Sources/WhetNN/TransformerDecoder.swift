import WhetTensor

/// A Llama-family causal language model: embedding, decoder blocks, final norm, and an
/// output head (tied to the embedding, or separate).
///
/// Its one differentiable map is ``targetLogProbs(tokens:targets:batch:keyStart:)``: per-token
/// log-probs of given targets, computed without materialising `[B, T, V]` logits.
public final class TransformerDecoder: Module {
  public let config: TransformerConfiguration
  public let embedTokens: Embedding
  public let layers: [DecoderBlock]
  public let norm: RMSNorm
  public let lmHead: Linear?

  /// A model whose parameters, named as in Hugging Face checkpoints
  /// (`model.layers.0.self_attn.q_proj.weight`, …), come from `source`.
  public init(_ config: TransformerConfiguration, source: ParameterSource) rethrows {
    self.config = config
    let (c, v) = (config.hiddenSize, config.vocabularySize)
    embedTokens = try Embedding(
      "model.embed_tokens", vocabularySize: v, dimension: c, source: source)
    var blocks: [DecoderBlock] = []
    for i in 0..<config.layerCount {
      blocks.append(try DecoderBlock("model.layers.\(i)", config, source: source))
    }
    layers = blocks
    norm = try RMSNorm("model.norm", dimension: c, epsilon: config.rmsNormEpsilon, source: source)
    lmHead =
      config.tiedEmbeddings
      ? nil : try Linear("lm_head", inputSize: c, outputSize: v, source: source)
  }

  /// A randomly initialised model (deterministic for a given generator state).
  public convenience init(_ config: TransformerConfiguration, rng: inout SeededGenerator) {
    self.init(config) { randomParameter(shape: $1, role: $2, using: &rng) }
  }

  /// The `[V, C]` output projection.
  public var outputWeight: Variable { lmHead?.weight ?? embedTokens.weight }

  /// Final hidden states `[B·T, C]` of `tokens` (`B` rows of `T`, row-major). Under
  /// ``GradientCheckpointing`` each block is a checkpointed segment.
  public func hiddenStates(tokens: [Int], batch: Int, keyStart: [Int]? = nil) -> Variable {
    precondition(batch > 0 && tokens.count % batch == 0, "tokens do not split into \(batch) rows")
    let context = DecoderContext(
      batch: batch, length: tokens.count / batch, config: config, keyStart: keyStart)
    var h = embedTokens(tokens)
    if let scale = config.embeddingScale { h = h * scale }
    let checkpointing = GradientCheckpointing.enabled
    for layer in layers {
      h = checkpointing ? layer.checkpointed(h, context: context) : layer(h, context: context)
    }
    return norm(h)
  }

  /// Log-probs `[B·T]` of `targets` (negative ids are ignored and give 0), from the logits
  /// divided by `temperature`.
  public func targetLogProbs(
    tokens: [Int], targets: [Int], batch: Int, keyStart: [Int]? = nil, temperature: Float = 1
  ) -> Variable {
    var hidden = hiddenStates(tokens: tokens, batch: batch, keyStart: keyStart)
    // log softmax((h·Wᵀ)/τ) = log softmax((h/τ)·Wᵀ): the sampling temperature (RL's policy).
    if temperature != 1 { hidden = hidden * (1 / temperature) }
    return WhetTensor.targetLogProbs(hidden: hidden, weight: outputWeight, targets: targets)
  }

  /// Next-token logits `[B, V]` at the last position of each row; the only place full-vocabulary
  /// logits are formed, and only for one position per row.
  public func lastPositionLogits(tokens: [Int], batch: Int, keyStart: [Int]? = nil) -> Tensor {
    let hidden = hiddenStates(tokens: tokens, batch: batch, keyStart: keyStart).value
    let t = tokens.count / batch, c = config.hiddenSize
    let last = Tensor(shape: [batch, c]) { out in
      hidden.withUnsafeBufferPointer { h in
        for b in 0..<batch {
          (out.baseAddress! + b * c).update(from: h.baseAddress! + ((b + 1) * t - 1) * c, count: c)
        }
      }
    }
    return Tensor.matmul(last, outputWeight.value, transposeB: true)
  }

  public var namedParameters: [(name: String, variable: Variable)] {
    var all = prefixed("model.embed_tokens", embedTokens.namedParameters)
    for (i, layer) in layers.enumerated() {
      all += prefixed("model.layers.\(i)", layer.namedParameters)
    }
    all += prefixed("model.norm", norm.namedParameters)
    if let lmHead { all += prefixed("lm_head", lmHead.namedParameters) }
    return all
  }
}
