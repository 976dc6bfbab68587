import Foundation

/// What turns text into a model's token ids, loaded without the weights: the tokenizer, the
/// chat template and its special tokens. `whet tokenize` needs only this, so a vocab-only
/// GGUF (as llama.cpp's `vocab_only` loads) or a directory with just `tokenizer.json` works.
public struct TextEncoder {
  public let path: String
  public let tokenizer: Tokenizer
  /// The chat template, if the files carry one.
  public let chatTemplate: ChatTemplate?
  /// Tokens that end a reply: the end-of-sequence token and the template's end-of-turn marker.
  public let stopTokens: Set<Int>
  let bosToken: String
  let eosToken: String

  /// Reads `path`: a `.gguf` file (its `tokenizer.*` metadata; tensors are not read) or a
  /// directory with `tokenizer.json` and optionally `tokenizer_config.json` and chat template
  /// files.
  public static func load(_ path: String) throws -> TextEncoder {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw ModelLoadError.notFound(path: path)
    }
    let url = URL(fileURLWithPath: path)
    if isDirectory.boolValue {
      let tokenizerURL = url.appendingPathComponent("tokenizer.json")
      guard FileManager.default.fileExists(atPath: tokenizerURL.path) else {
        throw ModelLoadError.missingFile(directory: path, file: "tokenizer.json")
      }
      let tokenizer = try Tokenizer(tokenizerJSON: tokenizerURL)
      let config = Self.tokenizerConfig(url.appendingPathComponent("tokenizer_config.json"))
      return try TextEncoder(
        path: path, tokenizer: tokenizer,
        template: try ChatTemplateFiles.template(in: url, tokenizerConfig: config),
        bos: Self.tokenString(config["bos_token"]), eos: Self.tokenString(config["eos_token"]))
    }
    return try TextEncoder(gguf: try GGUFFile(contentsOf: url))
  }

  /// The tokenizer and chat template of an open GGUF file (so a caller that also reads the
  /// weights parses the file once).
  public init(gguf file: GGUFFile) throws {
    try self.init(
      path: file.path, tokenizer: try Tokenizer.fromGGUF(file),
      template: file.metadata["tokenizer.chat_template"]?.stringValue, bos: nil, eos: nil)
  }

  init(
    path: String, tokenizer: Tokenizer, template: String?, bos: String?, eos: String?
  ) throws {
    self.path = path
    self.tokenizer = tokenizer
    do {
      chatTemplate = try template.map { try ChatTemplate(source: $0) }
    } catch {
      throw ModelLoadError.invalidConfiguration(file: path, reason: "chat template: \(error)")
    }
    bosToken = bos ?? tokenizer.bosTokenID.flatMap { tokenizer.token($0) } ?? ""
    eosToken = eos ?? tokenizer.eosTokenID.flatMap { tokenizer.token($0) } ?? ""
    var stops = Set<Int>()
    if let eos = tokenizer.eosTokenID { stops.insert(eos) }
    if let eos = tokenizer.id(eosToken) { stops.insert(eos) }
    // End-of-turn markers of common chat formats, when they are special tokens of this vocabulary.
    for marker in [
      "<|im_end|>", "<|eot_id|>", "<|end|>", "<end_of_turn>", "<|endoftext|>",
      "<|END_OF_TURN_TOKEN|>",
    ] {
      if let id = tokenizer.id(marker), tokenizer.specialTokenIDs.contains(id) { stops.insert(id) }
    }
    stopTokens = stops
  }

  /// The chat text of `messages` through the template.
  public func renderChat(_ messages: [ChatMessage], addGenerationPrompt: Bool = true) throws
    -> String
  {
    guard let chatTemplate else {
      throw ModelLoadError.unsupported(file: path, reason: "the model has no chat template")
    }
    return try chatTemplate.render(
      messages: messages, addGenerationPrompt: addGenerationPrompt, bosToken: bosToken,
      eosToken: eosToken)
  }

  /// Token ids of `text`, with the tokenizer's special tokens unless `addSpecialTokens` is
  /// false (transformers' `add_special_tokens`, default true); with `chat`, of `text` as one
  /// user message through the chat template, which writes its own special tokens (as
  /// `apply_chat_template` does, with `add_special_tokens=False`).
  public func encode(_ text: String, chat: Bool, addSpecialTokens: Bool = true) throws -> [Int] {
    if chat {
      return tokenizer.encode(try renderChat([ChatMessage(role: "user", content: text)]))
    }
    return tokenizer.encode(text, addSpecialTokens: addSpecialTokens)
  }

  static func tokenizerConfig(_ url: URL) -> [String: Any] {
    guard let data = try? Data(contentsOf: url),
      let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
    else { return [:] }
    return object
  }

  /// `bos_token` may be a string or an object with `content`.
  static func tokenString(_ value: Any?) -> String? {
    if let s = value as? String { return s }
    return (value as? [String: Any])?["content"] as? String
  }
}
