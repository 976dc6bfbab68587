import Foundation
import WhetNN
import WhetTensor

/// Writes a model as a Hugging Face directory that transformers loads with the same logits:
/// `config.json`, `model.safetensors` (Float32, Hugging Face names and the "rotate half" Q/K
/// layout whetstone computes in), and the tokenizer with its chat template: copied from a
/// Hugging Face source, written from the GGUF metadata (``GGUFTokenizerExport``) for a GGUF
/// source.
///
/// Supported: the Llama family (Llama, Mistral, SmolLM, Qwen 2 with attention biases, Qwen 3
/// with q/k norms) with RoPE plain, linear, dynamic, Llama 3 or YaRN. Gemma 3 and RoPE given as
/// GGUF frequency divisors are refused by name.
public enum HFExport {
  /// Tokenizer and generation files copied unchanged from a Hugging Face source.
  static let copiedFiles = [
    "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja",
    "chat_template.json", "generation_config.json",
  ]

  public static func write(_ model: LanguageModel, to directory: URL) throws {
    var isDirectory: ObjCBool = false
    let fromDirectory =
      FileManager.default.fileExists(atPath: model.path, isDirectory: &isDirectory)
      && isDirectory.boolValue
    // A GGUF source is opened once, for the context length and the tokenizer.
    let gguf = fromDirectory ? nil : try GGUFFile(contentsOf: URL(fileURLWithPath: model.path))
    let config = try configJSON(model, gguf: gguf)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let decoder = model.decoder
    guard decoder.adapterParameters.isEmpty else {
      throw ExportError.unsupported("adapters are attached; merge them first (mergeLoRA)")
    }
    try SafetensorsFile.write(
      decoder.namedParameters.map { ($0.name, $0.variable.value) },
      metadata: ["format": "pt"], to: directory.appendingPathComponent("model.safetensors"))
    try AtomicFile.write(
      Data((config.jsonText() + "\n").utf8),
      to: directory.appendingPathComponent("config.json"))
    if let gguf {
      try GGUFTokenizerExport.write(gguf, to: directory)
    } else {
      let source = URL(fileURLWithPath: model.path)
      for name in copiedFiles {
        let from = source.appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: from.path) else { continue }
        try AtomicFile.write(try Data(contentsOf: from), to: directory.appendingPathComponent(name))
      }
    }
  }

  /// The `config.json` of `model`'s decoder.
  static func configJSON(_ model: LanguageModel, gguf: GGUFFile?) throws -> JSONValue {
    let c = model.decoder.config
    guard c.family == .llama else {
      throw ExportError.unsupported("the \(c.family.rawValue) family has no Hugging Face export")
    }
    guard c.slidingWindow == nil else {
      throw ExportError.unsupported("sliding-window attention has no Hugging Face export")
    }
    let type = c.queryKeyNorm ? "qwen3" : c.attentionBias ? "qwen2" : "llama"
    let architecture = [
      "llama": "LlamaForCausalLM", "qwen2": "Qwen2ForCausalLM", "qwen3": "Qwen3ForCausalLM",
    ][type]!
    func int(_ n: Int) -> JSONValue { .number(Double(n)) }
    var fields: [String: JSONValue] = [
      "architectures": .array([.string(architecture)]), "model_type": .string(type),
      "vocab_size": int(c.vocabularySize), "hidden_size": int(c.hiddenSize),
      "intermediate_size": int(c.intermediateSize), "num_hidden_layers": int(c.layerCount),
      "num_attention_heads": int(c.heads), "num_key_value_heads": int(c.kvHeads),
      "head_dim": int(c.headDimension), "rms_norm_eps": .number(Double(c.rmsNormEpsilon)),
      "rope_theta": .number(Double(c.ropeTheta)), "tie_word_embeddings": .bool(c.tiedEmbeddings),
      "hidden_act": .string("silu"), "torch_dtype": .string("float32"),
      "max_position_embeddings": int(contextLength(model, gguf: gguf)),
      "rope_scaling": try ropeScaling(c.ropeScaling),
    ]
    if type != "qwen2" { fields["attention_bias"] = .bool(c.attentionBias) }
    if type == "llama" { fields["mlp_bias"] = .bool(false) }
    let tokenizer = model.tokenizer
    if let bos = tokenizer.bosTokenID { fields["bos_token_id"] = int(bos) }
    if let eos = tokenizer.eosTokenID { fields["eos_token_id"] = int(eos) }
    return .object(fields)
  }

  /// The context length the source declares (the GGUF's `*.context_length`, else the
  /// directory's `max_position_embeddings`), else 8192.
  static func contextLength(_ model: LanguageModel, gguf: GGUFFile?) -> Int {
    if let gguf {
      let arch = (try? gguf.string("general.architecture")) ?? ""
      return gguf.metadata["\(arch).context_length"]?.intValue ?? 8192
    }
    let url = URL(fileURLWithPath: model.path)
    if let data = try? Data(contentsOf: url.appendingPathComponent("config.json")),
      let n = (try? JSONValue.parse(String(decoding: data, as: UTF8.self)))?.objectValue?[
        "max_position_embeddings"]?.numberValue
    {
      return Int(n)
    }
    return 8192
  }

  static func ropeScaling(_ scaling: RopeScaling) throws -> JSONValue {
    func n(_ x: Double) -> JSONValue { .number(x) }
    switch scaling {
    case .none: return .null
    case .linear(let factor): return .object(["rope_type": .string("linear"), "factor": n(factor)])
    case .dynamic(let factor, let original):
      return .object([
        "rope_type": .string("dynamic"), "factor": n(factor),
        "original_max_position_embeddings": n(Double(original)),
      ])
    case .llama3(let factor, let low, let high, let original):
      return .object([
        "rope_type": .string("llama3"), "factor": n(factor), "low_freq_factor": n(low),
        "high_freq_factor": n(high), "original_max_position_embeddings": n(Double(original)),
      ])
    case .yarn(let factor, let original, let fast, let slow, let attention, let truncate):
      return .object([
        "rope_type": .string("yarn"), "factor": n(factor),
        "original_max_position_embeddings": n(Double(original)), "beta_fast": n(fast),
        "beta_slow": n(slow), "attention_factor": n(attention), "truncate": .bool(truncate),
      ])
    case .divisors:
      throw ExportError.unsupported(
        "RoPE given as GGUF frequency divisors (rope_freqs.weight) has no config.json form")
    }
  }
}
