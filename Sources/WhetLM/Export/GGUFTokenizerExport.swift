import Foundation
import WhetNN

/// A GGUF file's byte-level BPE tokenizer (`tokenizer.ggml.model` = `gpt2`) written as the
/// Hugging Face files it came from: `tokenizer.json` (vocabulary and merges in id and rank
/// order, control tokens as special added tokens, user-defined ones as plain added tokens),
/// `tokenizer_config.json` (special tokens, BOS policy, chat template) and
/// `special_tokens_map.json`.
///
/// The pre-tokenizer is the original model's for the `tokenizer.ggml.pre` names whose
/// original is known: `gpt2`/`gpt-2`/`default` (GPT-2's byte-level split), `smollm`/`starcoder`
/// (single digits split off first, as their `tokenizer.json` does) and `llama-bpe` and its
/// aliases (Llama 3's pattern). Others, and SentencePiece GGUFs, are refused by name.
public enum GGUFTokenizerExport {
  static let llama3Pattern =
    #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#

  public static func write(_ file: GGUFFile, to directory: URL) throws {
    let (tokenizer, config, specials) = try files(file)
    for (name, value) in [
      ("tokenizer.json", tokenizer), ("tokenizer_config.json", config),
      ("special_tokens_map.json", specials),
    ] {
      try AtomicFile.write(
        Data((value.jsonText() + "\n").utf8), to: directory.appendingPathComponent(name))
    }
  }

  static func files(_ file: GGUFFile) throws -> (JSONValue, JSONValue, JSONValue) {
    let model = try file.string("tokenizer.ggml.model")
    guard model == "gpt2" else {
      throw ExportError.unsupported(
        "tokenizer.ggml.model '\(model)' (only byte-level BPE, gpt2, is written as tokenizer.json)")
    }
    let pre = file.metadata["tokenizer.ggml.pre"]?.stringValue ?? "default"
    let byteLevel: JSONValue = .object([
      "type": .string("ByteLevel"), "add_prefix_space": .bool(false), "trim_offsets": .bool(true),
      "use_regex": .bool(true),
    ])
    let preTokenizer: JSONValue
    switch pre {
    case "command-r":
      throw ExportError.unsupported(
        "tokenizer.ggml.pre 'command-r' (its NFC normalizer is not written)")
    case let name where GGUFPreTokenizers.individualDigitNames.contains(name):
      preTokenizer = .object([
        "type": .string("Sequence"),
        "pretokenizers": .array([
          .object(["type": .string("Digits"), "individual_digits": .bool(true)]), byteLevel,
        ]),
      ])
    case let name where GGUFPreTokenizers.gpt2Names.contains(name):
      preTokenizer = byteLevel
    case let name where GGUFPreTokenizers.llama3Names.contains(name):
      preTokenizer = .object([
        "type": .string("Sequence"),
        "pretokenizers": .array([
          .object([
            "type": .string("Split"), "pattern": .object(["Regex": .string(llama3Pattern)]),
            "behavior": .string("Isolated"), "invert": .bool(false),
          ]),
          .object([
            "type": .string("ByteLevel"), "add_prefix_space": .bool(false),
            "trim_offsets": .bool(true), "use_regex": .bool(false),
          ]),
        ]),
      ])
    default:
      throw ExportError.unsupported(
        "tokenizer.ggml.pre '\(pre)' (written: GPT-2's, SmolLM's, StarCoder's and Llama 3's)")
    }
    let tokens = try file.strings("tokenizer.ggml.tokens")
    let types =
      file.metadata["tokenizer.ggml.token_type"] != nil
      ? try file.ints("tokenizer.ggml.token_type") : []
    let merges = try file.strings("tokenizer.ggml.merges")
    var vocabulary: [String: JSONValue] = [:]
    for (id, token) in tokens.enumerated() { vocabulary[token] = .number(Double(id)) }
    var added: [JSONValue] = []
    for (id, token) in tokens.enumerated()
    where id < types.count && (types[id] == 3 || types[id] == 4) {
      added.append(
        .object([
          "id": .number(Double(id)), "content": .string(token), "single_word": .bool(false),
          "lstrip": .bool(false), "rstrip": .bool(false), "normalized": .bool(types[id] == 4),
          "special": .bool(types[id] == 3),
        ]))
    }
    var postProcessor: JSONValue = .object([
      "type": .string("ByteLevel"), "add_prefix_space": .bool(true), "trim_offsets": .bool(false),
      "use_regex": .bool(true),
    ])
    let addBOS = file.metadata["tokenizer.ggml.add_bos_token"]?.boolValue ?? false
    if addBOS, let bos = file.metadata["tokenizer.ggml.bos_token_id"]?.intValue, bos >= 0,
      bos < tokens.count
    {
      // BOS before each sequence, as tokenizers writes it for Llama 3.
      func special() -> JSONValue {
        .object(["SpecialToken": .object(["id": .string(tokens[bos]), "type_id": .number(0)])])
      }
      func sequence(_ id: String, _ type: Double) -> JSONValue {
        .object(["Sequence": .object(["id": .string(id), "type_id": .number(type)])])
      }
      postProcessor = .object([
        "type": .string("TemplateProcessing"),
        "single": .array([special(), sequence("A", 0)]),
        "pair": .array([special(), sequence("A", 0), special(), sequence("B", 1)]),
        "special_tokens": .object([
          tokens[bos]: .object([
            "id": .string(tokens[bos]), "ids": .array([.number(Double(bos))]),
            "tokens": .array([.string(tokens[bos])]),
          ])
        ]),
      ])
    }
    let tokenizer: JSONValue = .object([
      "version": .string("1.0"), "truncation": .null, "padding": .null,
      "added_tokens": .array(added), "normalizer": .null, "pre_tokenizer": preTokenizer,
      "post_processor": postProcessor,
      "decoder": .object([
        "type": .string("ByteLevel"), "add_prefix_space": .bool(true), "trim_offsets": .bool(true),
        "use_regex": .bool(true),
      ]),
      "model": .object([
        "type": .string("BPE"), "dropout": .null, "unk_token": .null,
        "continuing_subword_prefix": .null, "end_of_word_suffix": .null, "fuse_unk": .bool(false),
        "byte_fallback": .bool(false), "ignore_merges": .bool(false),
        "vocab": .object(vocabulary), "merges": .array(merges.map { .string($0) }),
      ]),
    ])
    func token(_ key: String) -> JSONValue {
      guard let id = file.metadata["tokenizer.ggml.\(key)_token_id"]?.intValue, id >= 0,
        id < tokens.count
      else { return .null }
      return .string(tokens[id])
    }
    var config: [String: JSONValue] = [
      "tokenizer_class": .string("GPT2Tokenizer"), "bos_token": token("bos"),
      "eos_token": token("eos"), "unk_token": token("unknown"), "pad_token": token("padding"),
      "add_prefix_space": .bool(false), "clean_up_tokenization_spaces": .bool(false),
      "model_max_length": .number(8192),
      "add_bos_token": .bool(addBOS),
    ]
    if let template = file.metadata["tokenizer.chat_template"]?.stringValue {
      config["chat_template"] = .string(template)
    }
    var specials: [String: JSONValue] = [:]
    for key in ["bos_token", "eos_token", "unk_token", "pad_token"] where config[key] != .null {
      specials[key] = config[key]
    }
    return (tokenizer, .object(config), .object(specials))
  }
}
