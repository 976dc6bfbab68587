import WhetTensor

/// The shape of a Llama-family decoder (Touvron et al. 2023): pre-norm RMSNorm blocks,
/// rotary positions, grouped-query attention and a SwiGLU MLP; with Qwen2's Q/K/V biases and
/// Qwen3's per-head Q/K RMSNorm and explicit head size as options (Yang et al. 2025).
public struct TransformerConfiguration: Codable, Sendable, Equatable {
  public var vocabularySize: Int
  public var hiddenSize: Int
  public var layerCount: Int
  public var heads: Int
  public var kvHeads: Int
  public var intermediateSize: Int
  public var ropeTheta: Float
  public var rmsNormEpsilon: Float
  public var tiedEmbeddings: Bool
  /// Qwen2-style biases on the Q, K and V projections.
  public var attentionBias: Bool
  /// How rotary frequencies are scaled (``RopeScaling``).
  public var ropeScaling: RopeScaling
  /// The size of one attention head when it is not `hiddenSize / heads` (Qwen3's `head_dim`).
  public var explicitHeadDimension: Int?
  /// Qwen3's RMSNorm over each head of Q and K, before RoPE (`q_norm`, `k_norm`).
  public var queryKeyNorm: Bool
  /// The block layout and activation family (``DecoderFamily``).
  public var family: DecoderFamily
  /// The factor on `q·k` when it is not `1/√headDimension` (Gemma's
  /// `query_pre_attn_scalar^(−1/2)`).
  public var attentionScale: Float?
  /// Keys a sliding-window layer sees: `i − window < j ≤ i`.
  public var slidingWindow: Int?
  /// Per layer, whether it uses the sliding window (and the local RoPE); empty: none does.
  public var slidingLayers: [Bool]
  /// The RoPE base of sliding-window layers (Gemma 3's `rope_local_base_freq`), which use no
  /// scaling.
  public var localRopeTheta: Float?

  public init(
    vocabularySize: Int, hiddenSize: Int, layerCount: Int, heads: Int, kvHeads: Int,
    intermediateSize: Int, ropeTheta: Float = 10_000, rmsNormEpsilon: Float = 1e-5,
    tiedEmbeddings: Bool = true, attentionBias: Bool = false, ropeScaling: RopeScaling = .none,
    headDimension: Int? = nil, queryKeyNorm: Bool = false, family: DecoderFamily = .llama,
    attentionScale: Float? = nil, slidingWindow: Int? = nil, slidingLayers: [Bool] = [],
    localRopeTheta: Float? = nil
  ) {
    self.vocabularySize = vocabularySize
    self.hiddenSize = hiddenSize
    self.layerCount = layerCount
    self.heads = heads
    self.kvHeads = kvHeads
    self.intermediateSize = intermediateSize
    self.ropeTheta = ropeTheta
    self.rmsNormEpsilon = rmsNormEpsilon
    self.tiedEmbeddings = tiedEmbeddings
    self.attentionBias = attentionBias
    self.ropeScaling = ropeScaling
    self.explicitHeadDimension = headDimension
    self.queryKeyNorm = queryKeyNorm
    self.family = family
    self.attentionScale = attentionScale
    self.slidingWindow = slidingWindow
    self.slidingLayers = slidingLayers
    self.localRopeTheta = localRopeTheta
  }

  enum CodingKeys: String, CodingKey {
    case vocabularySize, hiddenSize, layerCount, heads, kvHeads, intermediateSize, ropeTheta
    case rmsNormEpsilon, tiedEmbeddings, attentionBias, ropeScaling, explicitHeadDimension
    case queryKeyNorm, family, attentionScale, slidingWindow, slidingLayers, localRopeTheta
  }

  /// Reads configurations written before the optional fields existed (they default to off).
  public init(from decoder: Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    vocabularySize = try c.decode(Int.self, forKey: .vocabularySize)
    hiddenSize = try c.decode(Int.self, forKey: .hiddenSize)
    layerCount = try c.decode(Int.self, forKey: .layerCount)
    heads = try c.decode(Int.self, forKey: .heads)
    kvHeads = try c.decode(Int.self, forKey: .kvHeads)
    intermediateSize = try c.decode(Int.self, forKey: .intermediateSize)
    ropeTheta = try c.decode(Float.self, forKey: .ropeTheta)
    rmsNormEpsilon = try c.decode(Float.self, forKey: .rmsNormEpsilon)
    tiedEmbeddings = try c.decode(Bool.self, forKey: .tiedEmbeddings)
    attentionBias = try c.decode(Bool.self, forKey: .attentionBias)
    ropeScaling = try c.decodeIfPresent(RopeScaling.self, forKey: .ropeScaling) ?? .none
    explicitHeadDimension = try c.decodeIfPresent(Int.self, forKey: .explicitHeadDimension)
    queryKeyNorm = try c.decodeIfPresent(Bool.self, forKey: .queryKeyNorm) ?? false
    family = try c.decodeIfPresent(DecoderFamily.self, forKey: .family) ?? .llama
    attentionScale = try c.decodeIfPresent(Float.self, forKey: .attentionScale)
    slidingWindow = try c.decodeIfPresent(Int.self, forKey: .slidingWindow)
    slidingLayers = try c.decodeIfPresent([Bool].self, forKey: .slidingLayers) ?? []
    localRopeTheta = try c.decodeIfPresent(Float.self, forKey: .localRopeTheta)
  }

  /// The factor on the token embeddings: `√C` in Float32 for Gemma (transformers casts
  /// `hidden_size ** 0.5` to the weights' type), none for Llama.
  public var embeddingScale: Float? { family == .gemma3 ? Float(hiddenSize).squareRoot() : nil }

  /// Whether layer `i` is a sliding-window layer.
  public func isSliding(layer i: Int) -> Bool {
    slidingLayers.indices.contains(i) && slidingLayers[i]
  }

  /// The attention mask of layer kind `sliding` over a batch with `keyStart` padding.
  public func attentionMask(sliding: Bool, queryOffset: Int = 0, keyStart: [Int]?) -> AttentionMask
  {
    AttentionMask(
      queryOffset: queryOffset, keyStart: keyStart, window: sliding ? slidingWindow : nil,
      scale: attentionScale)
  }

  /// The rotary table of sliding-window layers, when they use their own base.
  public func localRotaryTable(positions: [Int]) -> RotaryTable? {
    guard let localRopeTheta, slidingLayers.contains(true) else { return nil }
    return RotaryTable(
      positions: positions,
      frequencies: RopeScaling.none.frequencies(
        theta: localRopeTheta, dimension: headDimension, sequenceLength: 1))
  }

  /// The size of one attention head.
  public var headDimension: Int { explicitHeadDimension ?? hiddenSize / heads }

  /// The rotary table for `positions` (one per token). Dynamic scaling sees the sequence as
  /// long as the largest position + 1, as transformers does for each forward call.
  public func rotaryTable(positions: [Int]) -> RotaryTable {
    RotaryTable(
      positions: positions,
      frequencies: ropeScaling.frequencies(
        theta: ropeTheta, dimension: headDimension, sequenceLength: (positions.max() ?? 0) + 1))
  }
}

/// How a decoder block is laid out.
public enum DecoderFamily: String, Codable, Sendable, Equatable {
  /// Llama, Mistral, Qwen: `h = x + attn(norm(x))`, `out = h + mlp(norm(h))`, SwiGLU.
  case llama
  /// Gemma 3 (Gemma Team 2025): embeddings scaled by `√C`, norms on both sides of attention
  /// and MLP (`h = x + norm(attn(norm(x)))`, `out = h + norm(mlp(norm(h)))`), GELU-tanh
  /// gating, RMSNorm weights stored as `1 + w` (transformers keeps `w`; the loader adds 1).
  case gemma3
}
