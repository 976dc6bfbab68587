import Foundation
import WhetNN

/// A Hugging Face `config.json` (Llama, Mistral, Qwen2, Qwen3, SmolLM), written by
/// transformers 4 (`rope_theta`, `rope_scaling`) or 5 (`rope_parameters`).
///
/// Strict: every field must be one this engine implements, or one known not to change the
/// math (token ids, generation defaults, bookkeeping). Anything else — an unknown field, an
/// activation other than SiLU, a sliding window that can bite, attention dropout, a RoPE
/// variant not implemented — is an error naming the field, so a model never loads slightly
/// wrong.
struct HFConfiguration {
  let fields: [String: JSONValue]
  let file: String

  init(fields: [String: JSONValue], file: String) {
    self.fields = fields
    self.file = file
  }

  init(data: Data, file: String) throws {
    let text = String(decoding: data, as: UTF8.self)
    guard let object = (try? JSONValue.parse(text))?.objectValue else {
      throw ModelLoadError.invalidConfiguration(file: file, reason: "not a JSON object")
    }
    fields = object
    self.file = file
  }

  static let supportedTypes = ["llama", "mistral", "qwen2", "qwen3", "gemma3_text"]

  /// Fields that never change the forward pass.
  static let inert: Set<String> = [
    "architectures", "model_type", "transformers_version", "torch_dtype", "dtype", "_name_or_path",
    "name_or_path", "_commit_hash", "_attn_implementation", "_attn_implementation_autoset",
    "bos_token_id", "eos_token_id", "pad_token_id", "sep_token_id", "unk_token_id",
    "decoder_start_token_id", "initializer_range", "use_cache", "max_position_embeddings",
    "pretraining_tp", "return_dict", "output_hidden_states", "output_attentions", "torchscript",
    "use_bfloat16", "tf_legacy_loss", "pruned_heads", "chunk_size_feed_forward",
    "is_encoder_decoder", "is_decoder", "add_cross_attention", "tie_encoder_decoder",
    "cross_attention_hidden_size", "max_length", "min_length", "do_sample", "early_stopping",
    "num_beams", "num_beam_groups", "diversity_penalty", "temperature", "top_k", "top_p",
    "typical_p", "repetition_penalty", "length_penalty", "no_repeat_ngram_size",
    "encoder_no_repeat_ngram_size", "bad_words_ids", "num_return_sequences", "output_scores",
    "return_dict_in_generate", "forced_bos_token_id", "forced_eos_token_id",
    "remove_invalid_values", "exponential_decay_length_penalty", "suppress_tokens",
    "begin_suppress_tokens", "finetuning_task", "id2label", "label2id", "tokenizer_class",
    "prefix", "task_specific_params", "problem_type", "keys_to_ignore_at_inference",
    "base_model_tp_plan", "base_model_pp_plan", "max_window_layers", "output_router_logits",
    "cache_implementation",
  ]

  /// Fields read by ``configuration()``.
  static let read: Set<String> = [
    "vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads",
    "intermediate_size", "rms_norm_eps", "tie_word_embeddings", "attention_bias", "head_dim",
    "rope_theta", "rope_scaling", "rope_parameters", "hidden_act", "mlp_bias", "attention_dropout",
    "partial_rotary_factor", "sliding_window", "use_sliding_window", "layer_types", "use_mrope",
    // Gemma 3
    "hidden_activation", "query_pre_attn_scalar", "rope_local_base_freq", "sliding_window_pattern",
    "_sliding_window_pattern", "final_logit_softcapping", "attn_logit_softcapping",
    "use_bidirectional_attention",
  ]

  /// The decoder shape, after checking that this engine computes exactly what transformers does.
  func configuration() throws -> TransformerConfiguration {
    let type = fields["model_type"]?.stringValue ?? "llama"
    guard Self.supportedTypes.contains(type) else {
      throw unsupported(
        "model_type '\(type)' (supported: \(Self.supportedTypes.joined(separator: ", ")))")
    }
    for key in fields.keys.sorted() where !Self.inert.contains(key) && !Self.read.contains(key) {
      throw unsupported(
        "field '\(key)' is not implemented by this engine and may change the model's math")
    }
    if type == "gemma3_text" { return try gemmaConfiguration() }
    for key in [
      "hidden_activation", "query_pre_attn_scalar", "rope_local_base_freq",
      "sliding_window_pattern", "_sliding_window_pattern", "final_logit_softcapping",
      "attn_logit_softcapping", "use_bidirectional_attention",
    ]
    where fields[key] != nil && fields[key] != .null {
      throw unsupported("field '\(key)' for model_type '\(type)'")
    }
    try expect("hidden_act", in: ["silu"], default: "silu")
    try checkCommonFields()
    try expect("use_mrope", equal: false)
    if let factor = fields["partial_rotary_factor"], factor != .null, factor.numberValue != 1 {
      throw unsupported("partial_rotary_factor \(factor.jsonText()) (only 1 is implemented)")
    }
    try checkAttentionSpan(type: type)

    let hidden = try int("hidden_size"), heads = try int("num_attention_heads")
    let kv = try int("num_key_value_heads", default: heads)
    let headDim = try optionalInt("head_dim")
    if type != "qwen3", let headDim, headDim * heads != hidden {
      throw unsupported("head_dim \(headDim) × \(heads) heads ≠ hidden_size \(hidden) for \(type)")
    }
    guard heads > 0, kv > 0, heads % kv == 0, hidden > 0, headDim != nil || hidden % heads == 0
    else {
      throw ModelLoadError.invalidConfiguration(
        file: file, reason: "\(heads) heads and \(kv) kv heads do not fit hidden_size \(hidden)")
    }
    let (theta, scaling) = try rope(headDimension: headDim ?? hidden / heads)
    return TransformerConfiguration(
      vocabularySize: try int("vocab_size"), hiddenSize: hidden,
      layerCount: try int("num_hidden_layers"), heads: heads, kvHeads: kv,
      intermediateSize: try int("intermediate_size"), ropeTheta: Float(theta),
      rmsNormEpsilon: Float(try number("rms_norm_eps", default: 1e-6)),
      tiedEmbeddings: try bool("tie_word_embeddings", default: false),
      attentionBias: try bool("attention_bias", default: type == "qwen2"),
      ropeScaling: scaling, headDimension: type == "qwen3" ? headDim : nil,
      queryKeyNorm: type == "qwen3")
  }

  /// Gemma 3 text models (`Gemma3ForCausalLM`, e.g. gemma-3-270m): GELU-tanh gating, norms
  /// on both sides of attention and MLP, q/k norm, `query_pre_attn_scalar`, sliding-window
  /// layers (`layer_types`, or every `sliding_window_pattern`-th layer full) with their own
  /// RoPE base, and the global layers' RoPE scaling. Soft-capping is not implemented (Gemma 3
  /// has none), so a value is an error.
  func gemmaConfiguration() throws -> TransformerConfiguration {
    let activation =
      fields["hidden_activation"].flatMap { $0 == .null ? nil : $0 } ?? fields["hidden_act"]
    guard activation == nil || activation?.stringValue == "gelu_pytorch_tanh" else {
      throw unsupported(
        "hidden_activation \(activation!.jsonText()) (implemented: gelu_pytorch_tanh)")
    }
    for key in ["final_logit_softcapping", "attn_logit_softcapping"] {
      if let v = fields[key], v != .null { throw unsupported("\(key) \(v.jsonText())") }
    }
    try expect("use_bidirectional_attention", equal: false)
    try checkCommonFields()
    let hidden = try int("hidden_size"), heads = try int("num_attention_heads")
    let kv = try int("num_key_value_heads", default: heads)
    let layers = try int("num_hidden_layers")
    let headDim = try int("head_dim", default: 256)
    guard heads > 0, kv > 0, heads % kv == 0, headDim % 2 == 0 else {
      throw invalid("\(heads) heads and \(kv) kv heads of size \(headDim) do not fit together")
    }
    // Which layers slide: `layer_types`, else every `sliding_window_pattern`-th layer is full.
    var sliding: [Bool]
    if let types = fields["layer_types"]?.arrayValue {
      sliding = try types.map {
        switch $0.stringValue {
        case "sliding_attention": return true
        case "full_attention": return false
        default: throw unsupported("layer_types entry \($0.jsonText())")
        }
      }
      guard sliding.count == layers else {
        throw invalid("layer_types has \(sliding.count) entries for \(layers) layers")
      }
    } else {
      let pattern = try int(
        fields["sliding_window_pattern"] != nil
          ? "sliding_window_pattern" : "_sliding_window_pattern",
        default: 6)
      sliding = (0..<layers).map { pattern > 0 && ($0 + 1) % pattern != 0 }
    }
    let window = try optionalInt("sliding_window")
    if sliding.contains(true), window == nil { throw invalid("sliding layers need sliding_window") }
    // RoPE: transformers 5 nests parameters per layer type; transformers 4 gives the global
    // `rope_theta` + `rope_scaling` and the local `rope_local_base_freq`.
    var global = self, localTheta = try number("rope_local_base_freq", default: 10_000)
    if let nested = fields["rope_parameters"]?.objectValue, nested["full_attention"] != nil {
      guard Set(nested.keys).isSubset(of: ["full_attention", "sliding_attention"]) else {
        throw unsupported("rope_parameters keys \(nested.keys.sorted())")
      }
      var fullFields = fields
      fullFields["rope_parameters"] = nested["full_attention"]
      global = HFConfiguration(fields: fullFields, file: file)
      if let local = nested["sliding_attention"], local != .null {
        var localFields = fields
        localFields["rope_parameters"] = local
        let (theta, scaling) = try HFConfiguration(fields: localFields, file: file).rope(
          headDimension: headDim)
        guard scaling == .none else {
          throw unsupported("RoPE scaling on sliding-window layers (\(local.jsonText()))")
        }
        localTheta = theta
      }
    }
    let (theta, scaling) = try global.rope(headDimension: headDim)
    let scalar = try number("query_pre_attn_scalar", default: Double(headDim))
    return TransformerConfiguration(
      vocabularySize: try int("vocab_size"), hiddenSize: hidden, layerCount: layers, heads: heads,
      kvHeads: kv, intermediateSize: try int("intermediate_size"), ropeTheta: Float(theta),
      rmsNormEpsilon: Float(try number("rms_norm_eps", default: 1e-6)),
      tiedEmbeddings: try bool("tie_word_embeddings", default: true),
      attentionBias: try bool("attention_bias", default: false), ropeScaling: scaling,
      headDimension: headDim, queryKeyNorm: true, family: .gemma3,
      attentionScale: Float(1 / scalar.squareRoot()), slidingWindow: window,
      slidingLayers: sliding, localRopeTheta: Float(localTheta))
  }

  /// Fields every architecture here must leave at their no-op values.
  func checkCommonFields() throws {
    try expect("mlp_bias", equal: false)
    if let dropout = fields["attention_dropout"], dropout != .null, dropout.numberValue != 0 {
      throw unsupported("attention_dropout \(dropout.jsonText()) (only 0 is implemented)")
    }
  }

  /// Sliding-window attention is not implemented: it must be off, or too wide to matter.
  func checkAttentionSpan(type: String) throws {
    let window = fields["sliding_window"].flatMap { $0 == .null ? nil : $0.numberValue }
    let context = fields["max_position_embeddings"]?.numberValue
    let enabled: Bool
    switch type {
    case "qwen2", "qwen3": enabled = fields["use_sliding_window"]?.boolValue ?? false
    default: enabled = window != nil
    }
    if enabled, let window, context.map({ window < $0 }) ?? true {
      throw unsupported("sliding_window \(Int(window)) (sliding-window attention)")
    }
    if let types = fields["layer_types"], types != .null {
      guard let list = types.arrayValue,
        list.allSatisfy({
          $0.stringValue == "full_attention" || (!enabled && $0.stringValue == "sliding_attention")
        })
      else {
        throw unsupported("layer_types \(types.jsonText()) (only full attention is implemented)")
      }
    }
  }

  /// `rope_theta` and the scaling variant, from `rope_parameters` (transformers 5) or
  /// `rope_theta` + `rope_scaling` (transformers 4), as transformers standardises them.
  func rope(headDimension: Int) throws -> (theta: Double, scaling: RopeScaling) {
    var parameters: [String: JSONValue] = [:]
    var source = "rope_parameters"
    if let p = fields["rope_parameters"], p != .null {
      guard let object = p.objectValue else { throw invalid("rope_parameters must be an object") }
      parameters = object
    }
    if let s = fields["rope_scaling"], s != .null {
      guard let object = s.objectValue else { throw invalid("rope_scaling must be an object") }
      if !parameters.isEmpty, object != parameters {
        throw invalid("rope_scaling and rope_parameters disagree")
      }
      parameters = object
      source = "rope_scaling"
    }
    if parameters.values.contains(where: { $0.objectValue != nil }) {
      throw unsupported(
        "\(source) given per layer type (\(parameters.keys.sorted().joined(separator: ", ")))")
    }
    func value(_ key: String) throws -> Double? {
      guard let v = parameters[key], v != .null else { return nil }
      guard let n = v.numberValue else { throw invalid("\(source).\(key) must be a number") }
      return n
    }
    func required(_ key: String, for type: String) throws -> Double {
      guard let v = try value(key) else {
        throw invalid("\(source).\(key) is required by rope_type '\(type)'")
      }
      return v
    }
    let theta = try value("rope_theta") ?? (try number("rope_theta", default: 10_000))
    let type = parameters["rope_type"]?.stringValue ?? parameters["type"]?.stringValue ?? "default"
    let context = Int(try number("max_position_embeddings", default: 2048))
    var allowed: Set<String> = ["rope_type", "type", "rope_theta"]
    if let factor = try value("partial_rotary_factor"), factor != 1 {
      throw unsupported("\(source).partial_rotary_factor \(factor) (only 1 is implemented)")
    }
    allowed.insert("partial_rotary_factor")
    let scaling: RopeScaling
    switch type {
    case "default":
      scaling = .none
    case "linear":
      allowed.insert("factor")
      scaling = .linear(factor: try required("factor", for: type))
    case "dynamic":
      allowed.insert("factor")
      scaling = .dynamic(factor: try required("factor", for: type), originalContext: context)
    case "llama3":
      allowed.formUnion([
        "factor", "low_freq_factor", "high_freq_factor", "original_max_position_embeddings",
      ])
      scaling = .llama3(
        factor: try required("factor", for: type),
        lowFrequencyFactor: try required("low_freq_factor", for: type),
        highFrequencyFactor: try required("high_freq_factor", for: type),
        originalContext: Int(try value("original_max_position_embeddings") ?? Double(context)))
    case "yarn":
      allowed.formUnion([
        "factor", "attention_factor", "beta_fast", "beta_slow", "mscale", "mscale_all_dim",
        "original_max_position_embeddings", "truncate",
      ])
      let original = try value("original_max_position_embeddings") ?? Double(context)
      let factor = try value("factor") ?? Double(context) / original
      let attention =
        try value("attention_factor")
        ?? RopeScaling.yarnAttentionFactor(
          factor: factor, mscale: try value("mscale"), mscaleAllDim: try value("mscale_all_dim"))
      let truncate = parameters["truncate"]?.boolValue ?? true
      scaling = .yarn(
        factor: factor, originalContext: Int(original),
        betaFast: try value("beta_fast") ?? 32, betaSlow: try value("beta_slow") ?? 1,
        attentionFactor: attention, truncate: truncate)
    default:
      throw unsupported(
        "\(source).rope_type '\(type)' (implemented: default, linear, dynamic, llama3, yarn)")
    }
    for key in parameters.keys.sorted() where !allowed.contains(key) {
      throw unsupported("\(source).\(key) is not implemented for rope_type '\(type)'")
    }
    return (theta, scaling)
  }

  // MARK: Field access with errors naming the field

  func unsupported(_ reason: String) -> ModelLoadError { .unsupported(file: file, reason: reason) }
  func invalid(_ reason: String) -> ModelLoadError {
    .invalidConfiguration(file: file, reason: reason)
  }

  func number(_ key: String, default fallback: Double? = nil) throws -> Double {
    guard let v = fields[key], v != .null else {
      guard let fallback else { throw invalid("missing field '\(key)'") }
      return fallback
    }
    guard let n = v.numberValue, n.isFinite else { throw invalid("'\(key)' must be a number") }
    return n
  }

  func int(_ key: String, default fallback: Int? = nil) throws -> Int {
    let n = try number(key, default: fallback.map(Double.init))
    guard n == n.rounded(), n >= 0, n < 1e12 else {
      throw invalid("'\(key)' must be a non-negative integer")
    }
    return Int(n)
  }

  func optionalInt(_ key: String) throws -> Int? {
    guard let v = fields[key], v != .null else { return nil }
    return try int(key)
  }

  func bool(_ key: String, default fallback: Bool) throws -> Bool {
    guard let v = fields[key], v != .null else { return fallback }
    guard let b = v.boolValue else { throw invalid("'\(key)' must be true or false") }
    return b
  }

  func expect(_ key: String, in values: [String], default fallback: String) throws {
    let v = fields[key].flatMap { $0 == .null ? nil : $0 }
    let s = v?.stringValue ?? (v == nil ? fallback : nil)
    guard let s, values.contains(s) else {
      throw unsupported(
        "\(key) \(v?.jsonText() ?? "null") (implemented: \(values.joined(separator: ", ")))")
    }
  }

  func expect(_ key: String, equal expected: Bool) throws {
    guard let v = fields[key], v != .null else { return }
    guard v.boolValue == expected else { throw unsupported("\(key) \(v.jsonText())") }
  }
}
