import Foundation
import WhetNN
import WhetTensor

/// A model ready to use: decoder weights, tokenizer, chat template and stop tokens, loaded
/// from a GGUF file or a Hugging Face model directory.
public final class LanguageModel {
  public let path: String
  public let decoder: TransformerDecoder
  public let tokenizer: Tokenizer
  /// The model's chat template, if its files carry one.
  public let chatTemplate: ChatTemplate?
  /// Packed quantized weights for fast small-batch decoding (GGUF models only).
  public let packed: PackedWeights
  /// Tokens that end a reply: the end-of-sequence token and the template's end-of-turn marker.
  public let stopTokens: Set<Int>
  let bosToken: String
  let eosToken: String

  /// The default model, from any working directory: `$WHET_MODEL`, else the path that
  /// `make models` recorded in ``recordedDefaultModelFile`` (when that file still exists), else
  /// `models/SmolLM2-135M-Instruct.Q4_1.gguf` under the working directory.
  public static var defaultPath: String {
    let environment = ProcessInfo.processInfo.environment
    if let path = environment["WHET_MODEL"], !path.isEmpty { return path }
    if let recorded = try? String(contentsOf: recordedDefaultModelFile, encoding: .utf8) {
      let path = recorded.trimmingCharacters(in: .whitespacesAndNewlines)
      if !path.isEmpty, FileManager.default.fileExists(atPath: path) { return path }
    }
    return "models/SmolLM2-135M-Instruct.Q4_1.gguf"
  }

  /// Where `make models` records the absolute path of the model it fetched:
  /// `$XDG_CACHE_HOME/whetstone/default-model`, else `~/.cache/whetstone/default-model`.
  public static var recordedDefaultModelFile: URL {
    let environment = ProcessInfo.processInfo.environment
    let cache =
      environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) }
      ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache")
    return cache.appendingPathComponent("whetstone/default-model")
  }

  /// Loads `path`: a `.gguf` file, or a directory with `config.json`, safetensors weights and
  /// `tokenizer.json` (plus `tokenizer_config.json` for the chat template).
  public static func load(_ path: String) throws -> LanguageModel {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw ModelLoadError.notFound(path: path)
    }
    let url = URL(fileURLWithPath: path)
    if isDirectory.boolValue {
      let decoder = try HFModelLoader.decoder(directory: url)
      let tokenizerURL = url.appendingPathComponent("tokenizer.json")
      guard FileManager.default.fileExists(atPath: tokenizerURL.path) else {
        throw ModelLoadError.missingFile(directory: path, file: "tokenizer.json")
      }
      let tokenizer = try Tokenizer(tokenizerJSON: tokenizerURL)
      let config = Self.tokenizerConfig(url.appendingPathComponent("tokenizer_config.json"))
      return try LanguageModel(
        path: path, decoder: decoder, tokenizer: tokenizer,
        template: config["chat_template"] as? String,
        packed: PackedWeights(), bos: Self.tokenString(config["bos_token"]),
        eos: Self.tokenString(config["eos_token"]))
    }
    let file = try GGUFFile(contentsOf: url)
    let decoder = try GGUFModelLoader.decoder(from: file)
    let tokenizer = try Tokenizer.fromGGUF(file)
    return try LanguageModel(
      path: path, decoder: decoder, tokenizer: tokenizer,
      template: file.metadata["tokenizer.chat_template"]?.stringValue,
      packed: try PackedWeights.fromGGUF(file, model: decoder), bos: nil, eos: nil)
  }

  init(
    path: String, decoder: TransformerDecoder, tokenizer: Tokenizer, template: String?,
    packed: PackedWeights,
    bos: String?, eos: String?
  ) throws {
    self.path = path
    self.decoder = decoder
    self.tokenizer = tokenizer
    self.packed = packed
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

  /// The chat text of `messages` through the model's template.
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

  /// Token ids of `text`, or of `text` as one user message through the chat template.
  public func encode(_ text: String, chat: Bool) throws -> [Int] {
    let rendered = chat ? try renderChat([ChatMessage(role: "user", content: text)]) : text
    return tokenizer.encode(rendered)
  }

  /// A batched generator over this model (packed weights for small batches).
  public func generator(maxContext: Int = 8192) -> Generator {
    let tokenizer = self.tokenizer
    return Generator(
      model: decoder, packed: packed, stopTokens: stopTokens, maxContext: maxContext,
      detokenize: { tokenizer.decode($0) })
  }
}
