import Foundation
import WhetNN

/// The fields of a Hugging Face `config.json` this engine reads (Llama, Mistral, Qwen2, SmolLM).
struct HFConfiguration: Decodable {
  var modelType: String?
  var vocabSize: Int
  var hiddenSize: Int
  var numHiddenLayers: Int
  var numAttentionHeads: Int
  var numKeyValueHeads: Int?
  var intermediateSize: Int
  var ropeTheta: Double?
  var rmsNormEps: Double?
  var tieWordEmbeddings: Bool?
  var attentionBias: Bool?
  var headDim: Int?
  var hasRopeScaling: Bool

  enum CodingKeys: String, CodingKey {
    case modelType = "model_type", vocabSize = "vocab_size", hiddenSize = "hidden_size"
    case numHiddenLayers = "num_hidden_layers", numAttentionHeads = "num_attention_heads"
    case numKeyValueHeads = "num_key_value_heads", intermediateSize = "intermediate_size"
    case ropeTheta = "rope_theta", rmsNormEps = "rms_norm_eps"
    case tieWordEmbeddings = "tie_word_embeddings", attentionBias = "attention_bias"
    case headDim = "head_dim", ropeScaling = "rope_scaling"
  }

  init(from decoder: Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    modelType = try c.decodeIfPresent(String.self, forKey: .modelType)
    vocabSize = try c.decode(Int.self, forKey: .vocabSize)
    hiddenSize = try c.decode(Int.self, forKey: .hiddenSize)
    numHiddenLayers = try c.decode(Int.self, forKey: .numHiddenLayers)
    numAttentionHeads = try c.decode(Int.self, forKey: .numAttentionHeads)
    numKeyValueHeads = try c.decodeIfPresent(Int.self, forKey: .numKeyValueHeads)
    intermediateSize = try c.decode(Int.self, forKey: .intermediateSize)
    ropeTheta = try c.decodeIfPresent(Double.self, forKey: .ropeTheta)
    rmsNormEps = try c.decodeIfPresent(Double.self, forKey: .rmsNormEps)
    tieWordEmbeddings = try c.decodeIfPresent(Bool.self, forKey: .tieWordEmbeddings)
    attentionBias = try c.decodeIfPresent(Bool.self, forKey: .attentionBias)
    headDim = try c.decodeIfPresent(Int.self, forKey: .headDim)
    // Present and not null: RoPE scaling variants (llama3, yarn, …) are not implemented.
    hasRopeScaling = (try? c.decodeNil(forKey: .ropeScaling)) == false
  }

  static let supportedTypes = ["llama", "mistral", "qwen2"]

  /// The decoder shape, after checking this engine can run it.
  func configuration(file: String) throws -> TransformerConfiguration {
    let type = modelType ?? "llama"
    guard Self.supportedTypes.contains(type) else {
      throw ModelLoadError.unsupported(
        file: file,
        reason: "model_type '\(type)' (supported: \(Self.supportedTypes.joined(separator: ", ")))")
    }
    if hasRopeScaling { throw ModelLoadError.unsupported(file: file, reason: "rope_scaling") }
    if let headDim, headDim * numAttentionHeads != hiddenSize {
      throw ModelLoadError.unsupported(
        file: file,
        reason: "head_dim \(headDim) × \(numAttentionHeads) heads ≠ hidden_size \(hiddenSize)")
    }
    let heads = numAttentionHeads, kv = numKeyValueHeads ?? numAttentionHeads
    guard heads > 0, kv > 0, hiddenSize % heads == 0, heads % kv == 0 else {
      throw ModelLoadError.invalidConfiguration(
        file: file,
        reason: "\(heads) heads and \(kv) kv heads do not divide hidden_size \(hiddenSize)")
    }
    return TransformerConfiguration(
      vocabularySize: vocabSize, hiddenSize: hiddenSize, layerCount: numHiddenLayers, heads: heads,
      kvHeads: kv, intermediateSize: intermediateSize, ropeTheta: Float(ropeTheta ?? 10_000),
      rmsNormEpsilon: Float(rmsNormEps ?? 1e-6), tiedEmbeddings: tieWordEmbeddings ?? false,
      attentionBias: attentionBias ?? (type == "qwen2"))
  }
}
