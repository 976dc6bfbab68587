import ArgumentParser
import WhetLM

/// `whet tokenize`: token ids of a text.
struct Tokenize: ParsableCommand {
  static let configuration = CommandConfiguration(abstract: "Print the token ids of TEXT.")

  @OptionGroup var options: ModelOptions
  @Flag(help: "Print {\"ids\": [...]}.") var json = false
  @Argument(help: "The text to tokenize.") var text: String

  func run() throws {
    let model = try options.load()
    let ids = try model.encode(text, chat: options.chat)
    if json {
      try printJSON(["ids": ids])
    } else {
      for id in ids { print(id, model.tokenizer.token(id).map { $0.debugDescription } ?? "?") }
    }
  }
}
