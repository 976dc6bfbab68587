import ArgumentParser
import WhetLM

/// `whet tokenize`: token ids of a text.
struct Tokenize: ParsableCommand {
  static let configuration = CommandConfiguration(abstract: "Print the token ids of TEXT.")

  @OptionGroup var options: ModelOptions
  @Flag(help: "Print {\"ids\": [...]}.") var json = false
  @Flag(help: "Leave out the tokenizer's special tokens (transformers' add_special_tokens=False).")
  var noSpecial = false
  @Argument(help: "The text to tokenize.") var text: String

  /// Only the tokenizer is loaded: a vocab-only GGUF or a directory with `tokenizer.json` works.
  func run() throws {
    let model = try TextEncoder.load(options.model ?? LanguageModel.defaultPath)
    let ids = try model.encode(text, chat: options.chat, addSpecialTokens: !noSpecial)
    if json {
      try printJSON(["ids": ids])
    } else {
      for id in ids { print(id, model.tokenizer.token(id).map { $0.debugDescription } ?? "?") }
    }
  }
}
