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

  public init(
    vocabularySize: Int, hiddenSize: Int, layerCount: Int, heads: Int, kvHeads: Int,
    intermediateSize: Int, ropeTheta: Float = 10_000, rmsNormEpsilon: Float = 1e-5,
    tiedEmbeddings: Bool = true, attentionBias: Bool = false, ropeScaling: RopeScaling = .none,
    headDimension: Int? = nil, queryKeyNorm: Bool = false
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
  }

  enum CodingKeys: String, CodingKey {
    case vocabularySize, hiddenSize, layerCount, heads, kvHeads, intermediateSize, ropeTheta
    case rmsNormEpsilon, tiedEmbeddings, attentionBias, ropeScaling, explicitHeadDimension
    case queryKeyNorm
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
