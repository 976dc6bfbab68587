import Foundation
import WhetNN

/// The GGUF metadata of a Hugging Face model directory, as llama.cpp's `convert_hf_to_gguf.py`
/// writes it for the architectures exported here: `general.*`, the hyperparameters under the
/// architecture's prefix, plain or linear RoPE, and a byte-level BPE tokenizer read from
/// `tokenizer.json` (tokens in id order, token types, merges, special-token ids, BOS policy,
/// chat template). Anything else is refused by name.
enum GGUFMetadataFromHF {
  static func metadata(_ model: LanguageModel, directory: URL) throws -> [(String, GGUFValue)] {
    let c = model.decoder.config
    guard c.family == .llama, c.slidingWindow == nil else {
      throw ExportError.unsupported(
        "GGUF export of the \(c.family.rawValue) family from safetensors")
    }
    let arch = c.queryKeyNorm ? "qwen3" : c.attentionBias ? "qwen2" : "llama"
    func u32(_ n: Int) -> GGUFValue { .uint32(UInt32(n)) }
    var out: [(String, GGUFValue)] = [
      ("general.architecture", .string(arch)),
      ("general.name", .string(directory.lastPathComponent)),
      ("\(arch).context_length", u32(HFExport.contextLength(model, gguf: nil))),
      ("\(arch).embedding_length", u32(c.hiddenSize)),
      ("\(arch).block_count", u32(c.layerCount)),
      ("\(arch).feed_forward_length", u32(c.intermediateSize)),
      ("\(arch).attention.head_count", u32(c.heads)),
      ("\(arch).attention.head_count_kv", u32(c.kvHeads)),
      ("\(arch).rope.freq_base", .float32(c.ropeTheta)),
      ("\(arch).attention.layer_norm_rms_epsilon", .float32(c.rmsNormEpsilon)),
      ("\(arch).rope.dimension_count", u32(c.headDimension)),
      ("\(arch).vocab_size", u32(c.vocabularySize)),
    ]
    if c.queryKeyNorm {
      out += [
        ("\(arch).attention.key_length", u32(c.headDimension)),
        ("\(arch).attention.value_length", u32(c.headDimension)),
      ]
    }
    switch c.ropeScaling {
    case .none: break
    case .linear(let factor):
      out += [
        ("\(arch).rope.scaling.type", .string("linear")),
        ("\(arch).rope.scaling.factor", .float32(Float(factor))),
      ]
    default:
      throw ExportError.unsupported(
        "GGUF export of RoPE scaling \(c.ropeScaling) from safetensors (plain and linear are written)"
      )
    }
    return out + (try tokenizer(directory))
  }

  /// `tokenizer.ggml.*` from `tokenizer.json` and `tokenizer_config.json`.
  static func tokenizer(_ directory: URL) throws -> [(String, GGUFValue)] {
    func object(_ name: String) throws -> [String: JSONValue] {
      let url = directory.appendingPathComponent(name)
      guard let data = try? Data(contentsOf: url) else { return [:] }
      guard let o = try JSONValue.parse(String(decoding: data, as: UTF8.self)).objectValue else {
        throw ExportError.unsupported("\(url.path) is not a JSON object")
      }
      return o
    }
    let json = try object("tokenizer.json")
    let config = try object("tokenizer_config.json")
    guard let model = json["model"]?.objectValue, model["type"]?.stringValue == "BPE",
      let vocab = model["vocab"]?.objectValue
    else {
      throw ExportError.unsupported(
        "tokenizer.json without a BPE model (only byte-level BPE is written to GGUF)")
    }
    let pre = try preName(json["pre_tokenizer"] ?? .null)
    var tokens = [String?](repeating: nil, count: vocab.count)
    func place(_ token: String, _ id: Int) throws {
      if id >= tokens.count { tokens += [String?](repeating: nil, count: id + 1 - tokens.count) }
      guard id >= 0 else { throw ExportError.unsupported("token '\(token)' has a negative id") }
      tokens[id] = token
    }
    for (token, id) in vocab {
      guard let n = id.numberValue else { throw ExportError.unsupported("vocab id of '\(token)'") }
      try place(token, Int(n))
    }
    var special: [Int: Int32] = [:]
    for added in json["added_tokens"]?.arrayValue ?? [] {
      guard let a = added.objectValue, let content = a["content"]?.stringValue,
        let id = a["id"]?.numberValue.map(Int.init)
      else { continue }
      try place(content, id)
      special[id] = a["special"]?.boolValue == true ? 3 : 4
    }
    if let missing = tokens.firstIndex(where: { $0 == nil }) {
      throw ExportError.unsupported("token id \(missing) has no token in tokenizer.json")
    }
    let types = tokens.indices.map { special[$0] ?? 1 }
    return try assemble(tokens.map { $0 ?? "" }, types, model, config, pre)
  }

  static func assemble(
    _ tokens: [String], _ types: [Int32], _ model: [String: JSONValue],
    _ config: [String: JSONValue], _ pre: String
  ) throws -> [(String, GGUFValue)] {
    let merges: [GGUFValue] = (model["merges"]?.arrayValue ?? []).compactMap { m in
      if let s = m.stringValue { return .string(s) }
      if let pair = m.arrayValue?.compactMap(\.stringValue), pair.count == 2 {
        return .string(pair[0] + " " + pair[1])
      }
      return nil
    }
    var out: [(String, GGUFValue)] = [
      ("tokenizer.ggml.model", .string("gpt2")), ("tokenizer.ggml.pre", .string(pre)),
      ("tokenizer.ggml.tokens", .array(elementType: 8, tokens.map { .string($0) })),
      ("tokenizer.ggml.token_type", .array(elementType: 5, types.map { .int32($0) })),
      ("tokenizer.ggml.merges", .array(elementType: 8, merges)),
    ]
    func id(_ key: String) -> Int? {
      let value = config[key]
      let text = value?.stringValue ?? value?.objectValue?["content"]?.stringValue
      return text.flatMap { t in tokens.firstIndex(of: t) }
    }
    for (key, name) in [
      ("bos_token", "bos"), ("eos_token", "eos"), ("unk_token", "unknown"),
      ("pad_token", "padding"),
    ] {
      if let i = id(key) { out.append(("tokenizer.ggml.\(name)_token_id", .uint32(UInt32(i)))) }
    }
    out.append(("tokenizer.ggml.add_bos_token", .bool(config["add_bos_token"]?.boolValue ?? false)))
    if let template = config["chat_template"]?.stringValue {
      out.append(("tokenizer.chat_template", .string(template)))
    }
    return out
  }

  /// The `tokenizer.ggml.pre` name of a `tokenizer.json` pre-tokenizer llama.cpp knows.
  static func preName(_ pre: JSONValue) throws -> String {
    let o = pre.objectValue ?? [:]
    let type = o["type"]?.stringValue
    if type == "ByteLevel", o["use_regex"]?.boolValue ?? true { return "gpt-2" }
    if type == "Sequence", let stages = o["pretokenizers"]?.arrayValue?.compactMap(\.objectValue) {
      let kinds = stages.compactMap { $0["type"]?.stringValue }
      if kinds == ["Digits", "ByteLevel"], stages[0]["individual_digits"]?.boolValue == true {
        return "smollm"
      }
      if kinds == ["Split", "ByteLevel"],
        stages[0]["pattern"]?.objectValue?["Regex"]?.stringValue
          == GGUFTokenizerExport.llama3Pattern
      {
        return "llama-bpe"
      }
    }
    throw ExportError.unsupported(
      "a pre-tokenizer without a llama.cpp name (\(pre.jsonText().prefix(120)))")
  }
}
