import ArgumentParser
import Foundation
import WhetData
import WhetTrain

/// `whet pairs`: preference pairs from scored candidates, for `whet train dpo`.
struct Pairs: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract:
      "Build preference pairs from candidates: best against worst per question by a score, SPIN (a reference answer against the model's sample) or delta learning (a stronger model's sample against a weaker one's)."
  )

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
  @Option(
    help:
      "SPIN: the column holding each question's reference answer (chosen) against the first sample (rejected)."
  )
  var spin: String?
  @Option(
    help:
      "Delta learning: a weaker model's candidates for the same questions; --data's first sample is chosen, this file's rejected."
  )
  var deltaAgainst: String?

  func run() throws {
    var builder = PairBuilder(ranking: .init(by))
    builder.minimumMargin = minMargin
    builder.conversational = chat
    guard spin == nil || deltaAgainst == nil else {
      throw ValidationError("choose one of --spin and --delta-against")
    }
    let rows = try JSONLReader.readAll(URL(fileURLWithPath: data))
    let result: PairBuilder.Result
    if let spin {
      result = try builder.spinPairs(rows, referenceColumn: spin, file: data)
    } else if let deltaAgainst {
      result = try builder.deltaPairs(
        stronger: rows, strongerFile: data,
        weaker: try JSONLReader.readAll(URL(fileURLWithPath: deltaAgainst)),
        weakerFile: deltaAgainst)
    } else {
      result = try builder.pairs(rows, file: data)
    }
    for pair in result.pairs { print(JSONLWriter.line(pair), terminator: "") }
    FileHandle.standardError.write(
      Data(
        "\(result.pairs.count) pairs from \(result.questions) questions (\(result.skippedTies) all tied, \(result.skippedMargin) below the margin)\n"
          .utf8))
  }
}
