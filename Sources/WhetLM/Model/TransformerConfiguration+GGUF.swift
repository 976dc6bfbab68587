import WhetNN

extension TransformerConfiguration {
  /// The architectures whose GGUF layout this engine runs.
  public static let supportedGGUFArchitectures = ["llama", "qwen2", "mistral", "qwen3", "gemma3"]

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
    let keyLength = try? file.int("\(arch).attention.key_length")
    let explicitHead = arch == "qwen3" || arch == "gemma3"
    if let keyLength, keyLength * heads != hidden, !explicitHead {
      throw GGUFError.invalidMetadata(
        file: file.path, key: "\(arch).attention.key_length",
        reason: "head size \(keyLength) × \(heads) heads ≠ embedding length \(hidden) for \(arch)")
    }
    if let valueLength = try? file.int("\(arch).attention.value_length"),
      valueLength != keyLength ?? hidden / max(heads, 1)
    {
      throw GGUFError.invalidMetadata(
        file: file.path, key: "\(arch).attention.value_length",
        reason: "value head size \(valueLength) differs from the key head size")
    }
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
      attentionBias: file.hasTensor("blk.0.attn_q.bias"),
      headDimension: explicitHead ? keyLength : nil, queryKeyNorm: explicitHead)
    ropeScaling = try Self.ropeScaling(file, arch: arch, dimension: headDimension)
    if arch == "gemma3" {
      // llama.cpp's Gemma 3: every 6th layer is full attention (its `set_swa_pattern(6)`; the
      // converter writes no pattern key), the others slide with `rope.freq_base_swa`;
      // attention scale 1/√head_dim; norm weights are stored as 1 + w.
      family = .gemma3
      slidingWindow = try file.int("gemma3.attention.sliding_window")
      slidingLayers = (0..<layerCount).map { ($0 + 1) % 6 != 0 }
      localRopeTheta = (try? file.float("gemma3.rope.freq_base_swa")) ?? 10_000
      for key in ["gemma3.final_logit_softcapping", "gemma3.attn_logit_softcapping"] {
        if let v = try? file.float(key), v != 0 {
          throw GGUFError.invalidMetadata(
            file: file.path, key: key, reason: "soft-capping is not implemented")
        }
      }
    }
    try validate(file: file.path)
    if let rotary = try? file.int("\(arch).rope.dimension_count"), rotary != headDimension {
      throw GGUFError.invalidMetadata(
        file: file.path, key: "\(arch).rope.dimension_count",
        reason: "partial rotary dimension \(rotary) (head dim \(headDimension)) is not supported")
    }
  }

  /// The RoPE variant as llama.cpp's converter writes it: `rope_freqs.weight` (per-pair
  /// divisors, Llama 3.1 scaling) or `{arch}.rope.scaling.*` (linear, YaRN). A scaling type
  /// this engine does not implement is an error naming the key.
  static func ropeScaling(_ file: GGUFFile, arch: String, dimension: Int) throws -> RopeScaling {
    let key = "\(arch).rope.scaling.type"
    let type = file.metadata[key]?.stringValue ?? "none"
    if file.hasTensor("rope_freqs.weight") {
      guard type == "none" else {
        throw GGUFError.invalidMetadata(
          file: file.path, key: key, reason: "rope_freqs.weight together with scaling '\(type)'")
      }
      let divisors = try file.tensor("rope_freqs.weight")
      guard divisors.count == dimension / 2 else {
        throw GGUFError.invalidTensor(
          file: file.path, tensor: "rope_freqs.weight",
          reason: "\(divisors.count) factors for a rotary dimension of \(dimension)")
      }
      return .divisors(divisors.scalars)
    }
    func number(_ name: String) -> Double? {
      (try? file.float("\(arch).rope.scaling.\(name)")).map(Double.init)
    }
    switch type {
    case "none":
      return .none
    case "linear":
      guard let factor = number("factor") else {
        throw GGUFError.invalidMetadata(
          file: file.path, key: "\(arch).rope.scaling.factor", reason: "missing for linear scaling")
      }
      return factor == 1 ? .none : .linear(factor: factor)
    case "yarn":
      guard let factor = number("factor"),
        let original = try? file.int("\(arch).rope.scaling.original_context_length")
      else {
        throw GGUFError.invalidMetadata(
          file: file.path, key: key,
          reason: "YaRN needs rope.scaling.factor and original_context_length")
      }
      for unsupported in ["yarn_ext_factor", "yarn_log_multiplier"] {
        if let v = number(unsupported), v != (unsupported == "yarn_ext_factor" ? 1 : 0) {
          throw GGUFError.invalidMetadata(
            file: file.path, key: "\(arch).rope.scaling.\(unsupported)",
            reason: "value \(v) is not implemented")
        }
      }
      let attention =
        number("yarn_attn_factor") ?? number("attn_factor")
        ?? RopeScaling.yarnAttentionFactor(factor: factor, mscale: nil, mscaleAllDim: nil)
      return .yarn(
        factor: factor, originalContext: original, betaFast: number("yarn_beta_fast") ?? 32,
        betaSlow: number("yarn_beta_slow") ?? 1, attentionFactor: attention, truncate: true)
    default:
      throw GGUFError.invalidMetadata(
        file: file.path, key: key,
        reason: "RoPE scaling '\(type)' is not implemented (none, linear, yarn, rope_freqs)")
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
    guard explicitHeadDimension != nil || hiddenSize % heads == 0, heads % kvHeads == 0,
      headDimension % 2 == 0
    else {
      throw fail("hidden \(hiddenSize), \(heads) heads and \(kvHeads) kv heads do not fit together")
    }
  }
}
