import Foundation
import WhetTensor

/// LoRA adapters in the layout Hugging Face PEFT reads and writes: `adapter_config.json` and
/// `adapter_model.safetensors`, with PEFT's tensor names
/// (`base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight`, `[r, in]`;
/// `lora_B.weight`, `[out, r]`) and scaling `lora_alpha / r`.
public enum PEFTAdapter {
  static let prefix = "base_model.model."

  /// Why an adapter directory cannot be used.
  public enum Error: Swift.Error, Equatable, CustomStringConvertible {
    case unreadable(file: String, reason: String)
    case unsupported(file: String, field: String, value: String)
    case mismatch(file: String, reason: String)

    public var description: String {
      switch self {
      case .unreadable(let file, let reason): return "\(file): \(reason)"
      case .unsupported(let file, let field, let value):
        return "\(file): '\(field)' = \(value) is not supported"
      case .mismatch(let file, let reason): return "\(file): \(reason)"
      }
    }
  }

  /// Writes the adapters attached to `decoder` with `configuration` into `directory`.
  public static func save(
    _ decoder: TransformerDecoder, configuration: LoRAConfiguration, baseModel: String,
    to directory: URL
  ) throws {
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let tensors = decoder.adapterParameters.map {
      (name: prefix + $0.name, tensor: $0.variable.value)
    }
    try SafetensorsFile.write(
      tensors, metadata: ["format": "pt"],
      to: directory.appendingPathComponent("adapter_model.safetensors"))
    let config: [String: Any] = [
      "peft_type": "LORA", "task_type": "CAUSAL_LM", "base_model_name_or_path": baseModel,
      "r": configuration.rank, "lora_alpha": configuration.alpha,
      "lora_dropout": configuration.dropout, "target_modules": configuration.targets.sorted(),
      "bias": "none", "fan_in_fan_out": false, "inference_mode": true, "use_rslora": false,
      "use_dora": false, "modules_to_save": NSNull(), "layers_to_transform": NSNull(),
      "rank_pattern": [String: Any](), "alpha_pattern": [String: Any](),
      "init_lora_weights": true,
    ]
    let data = try JSONSerialization.data(
      withJSONObject: config, options: [.prettyPrinted, .sortedKeys])
    try AtomicFile.write(data, to: directory.appendingPathComponent("adapter_config.json"))
  }

  /// The fields `configuration(in:)` reads.
  static let readFields: Set<String> = [
    "peft_type", "r", "lora_alpha", "lora_dropout", "target_modules",
  ]
  /// Fields that do not change the adapted model's outputs: bookkeeping, and the methods
  /// that only initialise the weights PEFT then saved.
  static let inertFields: Set<String> = [
    "base_model_name_or_path", "revision", "task_type", "inference_mode", "peft_version",
    "auto_mapping", "init_lora_weights", "loftq_config", "eva_config", "corda_config",
    "lora_ga_config", "kasa_config", "megatron_config", "megatron_core", "qalora_group_size",
    "layers_pattern", "ensure_weight_tying",
  ]

  static func isUnset(_ value: Any) -> Bool {
    switch value {
    case is NSNull: return true
    case let b as Bool: return !b
    case let s as String: return s == "none"
    case let d as [String: Any]: return d.isEmpty
    case let a as [Any]: return a.isEmpty
    default: return false
    }
  }

  /// Reads `adapter_config.json` strictly: a field that would change the math and is not
  /// implemented (DoRA, rsLoRA, per-layer ranks, biases, extra trained modules) is an error.
  public static func configuration(in directory: URL) throws -> LoRAConfiguration {
    let url = directory.appendingPathComponent("adapter_config.json")
    let file = url.path
    guard let data = FileManager.default.contents(atPath: file) else {
      throw Error.unreadable(file: file, reason: "no adapter_config.json")
    }
    guard let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
      throw Error.unreadable(file: file, reason: "not a JSON object")
    }
    func bad(_ field: String) -> Error {
      .unsupported(file: file, field: field, value: String(describing: json[field] ?? "missing"))
    }
    guard (json["peft_type"] as? String)?.uppercased() == "LORA" else { throw bad("peft_type") }
    guard let rank = json["r"] as? Int, rank > 0 else { throw bad("r") }
    let alpha = (json["lora_alpha"] as? NSNumber)?.floatValue ?? Float(rank)
    let dropout = (json["lora_dropout"] as? NSNumber)?.floatValue ?? 0
    let targets: Set<String>
    if let list = json["target_modules"] as? [String] {
      targets = Set(list.map { $0.split(separator: ".").last.map(String.init) ?? $0 })
    } else {
      throw bad("target_modules")
    }
    let known: Set<String> = [
      "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj",
    ]
    guard targets.isSubset(of: known) else { throw bad("target_modules") }
    // Any other field must be one that does not change the adapted model (bookkeeping, or
    // an initialisation method), or be unset: null, false, "none", {} or [].
    for (field, value) in json
    where !Self.readFields.contains(field) && !Self.inertFields.contains(field) {
      if Self.isUnset(value) { continue }
      throw bad(field)
    }
    return LoRAConfiguration(rank: rank, alpha: alpha, dropout: dropout, targets: targets)
  }

  /// Attaches the adapters of `directory` to `decoder`, every tensor checked by name and shape.
  @discardableResult
  public static func load(_ directory: URL, into decoder: TransformerDecoder) throws
    -> LoRAConfiguration
  {
    let configuration = try configuration(in: directory)
    let url = directory.appendingPathComponent("adapter_model.safetensors")
    let file = try SafetensorsFile(contentsOf: url)
    var rng = SeededGenerator(seed: 0)
    decoder.attachLoRA(configuration, rng: &rng)
    var expected = Set<String>()
    for (name, variable) in decoder.adapterParameters {
      let key = prefix + name
      expected.insert(key)
      guard file.names.contains(key) else {
        decoder.removeLoRA()
        throw Error.mismatch(file: url.path, reason: "no tensor '\(key)'")
      }
      let tensor = try file.tensor(key)
      guard tensor.shape == variable.shape else {
        decoder.removeLoRA()
        throw Error.mismatch(
          file: url.path,
          reason: "'\(key)' has shape \(tensor.shape), the model needs \(variable.shape)")
      }
      variable.value = tensor
    }
    if let extra = file.names.first(where: { !expected.contains($0) }) {
      decoder.removeLoRA()
      throw Error.mismatch(file: url.path, reason: "tensor '\(extra)' belongs to no adapted layer")
    }
    return configuration
  }
}
