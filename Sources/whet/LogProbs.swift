import ArgumentParser
import Foundation
import WhetLM
import WhetTensor

/// `whet logprobs`: the most likely next tokens after TEXT.
struct LogProbs: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "logprobs",
    abstract: "Print the top next-token logits and log-probabilities after TEXT.")

  @OptionGroup var options: ModelOptions
  @Option(help: "How many tokens to list.") var top = 5
  @Flag(
    help: "Print {\"input_ids\": [...], \"top\": [{\"id\", \"token\", \"logit\", \"logprob\"}]}.")
  var json = false
  @Argument(help: "The text whose continuation to score.") var text: String

  func validate() throws {
    guard top > 0 else { throw ValidationError("--top must be positive") }
  }

  func run() throws {
    let model = try options.load()
    let ids = try model.encode(text, chat: options.chat)
    guard !ids.isEmpty else { throw ValidationError("TEXT has no tokens") }
    let logits = model.decoder.lastPositionLogits(tokens: ids, batch: 1)
    let logProbs = logits.logSoftmax().scalars
    let values = logits.scalars
    let best = values.indices.sorted { values[$0] > values[$1] }.prefix(top)
    let rows: [[String: Any]] = best.map {
      [
        "id": $0, "token": model.tokenizer.token($0) ?? "", "logit": Double(values[$0]),
        "logprob": Double(logProbs[$0]),
      ]
    }
    if json {
      try printJSON(["input_ids": ids, "top": rows])
    } else {
      for r in rows {
        print(
          String(
            format: "%6d  %-20@ logit %8.4f  logprob %8.4f", r["id"] as! Int,
            (r["token"] as! String).debugDescription, r["logit"] as! Double, r["logprob"] as! Double
          ))
      }
    }
  }
}
