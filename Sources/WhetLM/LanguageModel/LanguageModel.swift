import Foundation
import WhetNN
import WhetTensor

/// A model ready to use: decoder weights, tokenizer, chat template and stop tokens, loaded
/// from a GGUF file or a Hugging Face model directory.
public final class LanguageModel {
  public let path: String
  public let decoder: TransformerDecoder
  /// Tokenizer, chat template and special tokens.
  public let text: TextEncoder
  /// Packed quantized weights for fast small-batch decoding (GGUF models only).
  public let packed: PackedWeights

  public var tokenizer: Tokenizer { text.tokenizer }
  /// The model's chat template, if its files carry one.
  public var chatTemplate: ChatTemplate? { text.chatTemplate }
  /// Tokens that end a reply: the end-of-sequence token and the template's end-of-turn marker.
  public var stopTokens: Set<Int> { text.stopTokens }

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
  /// `tokenizer.json` (plus the chat template files, ``ChatTemplateFiles``).
  public static func load(_ path: String) throws -> LanguageModel {
    var isDirectory: ObjCBool = false
    let url = URL(fileURLWithPath: path)
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory),
      isDirectory.boolValue
    {
      return try LanguageModel(
        path: path, decoder: try HFModelLoader.decoder(directory: url),
        text: try TextEncoder.load(path), packed: PackedWeights())
    }
    guard FileManager.default.fileExists(atPath: path) else {
      throw ModelLoadError.notFound(path: path)
    }
    let file = try GGUFFile(contentsOf: url)
    let decoder = try GGUFModelLoader.decoder(from: file)
    return try LanguageModel(
      path: path, decoder: decoder, text: try TextEncoder(gguf: file),
      packed: try PackedWeights.fromGGUF(file, model: decoder))
  }

  init(path: String, decoder: TransformerDecoder, text: TextEncoder, packed: PackedWeights) throws {
    // A tokenizer that can produce ids the embedding has no row for would index out of range.
    guard text.tokenizer.vocabularySize <= decoder.config.vocabularySize else {
      throw ModelLoadError.invalidConfiguration(
        file: path,
        reason:
          "the tokenizer has \(text.tokenizer.vocabularySize) tokens but the model's embedding only \(decoder.config.vocabularySize) rows"
      )
    }
    self.path = path
    self.decoder = decoder
    self.text = text
    self.packed = packed
  }

  /// The chat text of `messages` through the model's template.
  public func renderChat(_ messages: [ChatMessage], addGenerationPrompt: Bool = true) throws
    -> String
  {
    try text.renderChat(messages, addGenerationPrompt: addGenerationPrompt)
  }

  /// Token ids of `text` (with the tokenizer's special tokens, as transformers' default
  /// `add_special_tokens=True`), or of `text` as one user message through the chat template.
  public func encode(_ text: String, chat: Bool) throws -> [Int] {
    try self.text.encode(text, chat: chat)
  }

  /// A batched generator over this model (packed weights for small batches).
  public func generator(maxContext: Int = 8192) -> Generator {
    let tokenizer = self.tokenizer
    return Generator(
      model: decoder, packed: packed, stopTokens: stopTokens, maxContext: maxContext,
      detokenize: { tokenizer.decode($0) })
  }
}
