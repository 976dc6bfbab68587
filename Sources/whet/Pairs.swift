import ArgumentParser
import Foundation
import WhetData
import WhetTrain

/// `whet pairs`: preference pairs from scored candidates, for `whet train dpo`.
struct Pairs: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract:
      "Build preference pairs (best against worst per question) from scored candidates.")

  @Option(help: "Candidates JSONL (from `whet sample` + `whet score`, or `whet demo`).")
  var data: String
  @Option(
    help:
      "What ranks candidates: a numeric column (p_correct; `correct` is the oracle), score:SOURCE, or random:SEED."
  )
  var by = "p_correct"
  @Option(help: "Skip pairs whose score margin is below this.") var minMargin: Double = 0
  @Flag(inversion: .prefixedNo, help: "Write prompt and answers as chat messages.")
  var chat = true

  func run() throws {
    var builder = PairBuilder(ranking: .init(by))
    builder.minimumMargin = minMargin
    builder.conversational = chat
    let rows = try JSONLReader.readAll(URL(fileURLWithPath: data))
    let result = try builder.pairs(rows, file: data)
    for pair in result.pairs { print(JSONLWriter.line(pair), terminator: "") }
    FileHandle.standardError.write(
      Data(
        "\(result.pairs.count) pairs from \(result.questions) questions (\(result.skippedTies) all tied, \(result.skippedMargin) below the margin)\n"
          .utf8))
  }
}
