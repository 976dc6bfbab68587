import ArgumentParser
import Foundation
import WhetLM
import WhetTensor

/// `whet chat`: a multi-turn conversation on the terminal.
struct Chat: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract:
      "Chat with a model on the terminal (an empty line or /exit ends; /reset clears the history).")

  @Option(help: "A .gguf file or a Hugging Face model directory.") var model: String?
  @Option(help: "A system message to start the conversation with.") var system: String?
  @OptionGroup var sampling: SamplingOptions

  func run() throws {
    try MixedPrecision.with(sampling.precision) { try runInPrecision() }
  }

  func runInPrecision() throws {
    let lm = try LanguageModel.load(model ?? LanguageModel.defaultPath)
    let generator = lm.generator()
    var history: [ChatMessage] = system.map { [ChatMessage(role: "system", content: $0)] } ?? []
    var turn: UInt64 = 0
    print("Chatting with \(lm.path). An empty line or /exit ends, /reset clears the history.")
    while true {
      emitText("\n> ")
      guard let line = readLine(), !line.isEmpty, line != "/exit" else { break }
      if line == "/reset" {
        history = system.map { [ChatMessage(role: "system", content: $0)] } ?? []
        continue
      }
      history.append(ChatMessage(role: "user", content: line))
      let ids = lm.tokenizer.encode(try lm.renderChat(history))
      var parameters = sampling.parameters
      parameters.seed = sampling.seed &+ turn
      turn += 1
      var decoder = lm.tokenizer.makeStreamingDecoder(skipSpecialTokens: true)
      let reply = try generator.generate(prompts: [ids], parameters: parameters) { _, token in
        if !lm.stopTokens.contains(token) { emitText(decoder.append(token)) }
      }[0]
      emitText(decoder.finish() + "\n")
      history.append(ChatMessage(role: "assistant", content: reply.text))
    }
  }
}
