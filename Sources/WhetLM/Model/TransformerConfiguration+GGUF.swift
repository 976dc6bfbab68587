import WhetNN

extension TransformerConfiguration {
  /// The architectures whose GGUF layout this engine runs.
  public static let supportedGGUFArchitectures = ["llama", "qwen2", "mistral"]

  /// Reads the model shape from GGUF metadata (`{arch}.block_count`, …).
  public init(gguf file: GGUFFile) throws {
    let arch = try file.string("general.architecture")
    guard Self.supportedGGUFArchitectures.contains(arch) else {
      throw GGUFError.invalidMetadata(
        file: file.path, key: "general.architecture",
        reason:
          "architecture '\(arch)' is not supported (supported: \(Self.supportedGGUFArchitectures.joined(separator: ", ")))"
      )
    }
    let heads = try file.int("\(arch).attention.head_count")
    let hidden = try file.int("\(arch).embedding_length")
    let vocabulary =
      (try? file.int("\(arch).vocab_size"))
      ?? (file.metadata["tokenizer.ggml.tokens"]?.arrayValue?.count ?? 0)
    self.init(
      vocabularySize: vocabulary,
      hiddenSize: hidden,
      layerCount: try file.int("\(arch).block_count"),
      heads: heads,
      kvHeads: (try? file.int("\(arch).attention.head_count_kv")) ?? heads,
      intermediateSize: try file.int("\(arch).feed_forward_length"),
      ropeTheta: (try? file.float("\(arch).rope.freq_base")) ?? 10_000,
      rmsNormEpsilon: try file.float("\(arch).attention.layer_norm_rms_epsilon"),
      tiedEmbeddings: !file.hasTensor("output.weight"),
      attentionBias: file.hasTensor("blk.0.attn_q.bias"))
    try validate(file: file.path)
    if let rotary = try? file.int("\(arch).rope.dimension_count"), rotary != headDimension {
      throw GGUFError.invalidMetadata(
        file: file.path, key: "\(arch).rope.dimension_count",
        reason: "partial rotary dimension \(rotary) (head dim \(headDimension)) is not supported")
    }
  }

  /// Checks the sizes fit together; throws naming the file.
  func validate(file: String) throws {
    func fail(_ reason: String) -> GGUFError {
      .invalidMetadata(file: file, key: "model shape", reason: reason)
    }
    guard vocabularySize > 0, hiddenSize > 0, layerCount > 0, heads > 0, kvHeads > 0,
      intermediateSize > 0
    else {
      throw fail("sizes must be positive: \(self)")
    }
    guard hiddenSize % heads == 0, heads % kvHeads == 0, headDimension % 2 == 0 else {
      throw fail("hidden \(hiddenSize), \(heads) heads and \(kvHeads) kv heads do not fit together")
    }
  }
}
