/// The shape of a Llama-family decoder (Touvron et al. 2023): pre-norm RMSNorm blocks,
/// rotary positions, grouped-query attention and a SwiGLU MLP.
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

  public init(
    vocabularySize: Int, hiddenSize: Int, layerCount: Int, heads: Int, kvHeads: Int,
    intermediateSize: Int, ropeTheta: Float = 10_000, rmsNormEpsilon: Float = 1e-5,
    tiedEmbeddings: Bool = true, attentionBias: Bool = false
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
  }

  public var headDimension: Int { hiddenSize / heads }
}
