import ArgumentParser
import Foundation
import WhetEval
import WhetLM
import WhetRewards

/// `whet eval`: accuracy, pass@k and best-of-N by each score against the hidden `answer`;
/// RewardBench-style pair and best-of-4 accuracy of each score on (correct, wrong)
/// candidates of a query; Brier and ECE of every score that reads as a probability and of
/// `p_correct` (from `whet select --method weaver` or `whet demo`).
struct Eval: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract:
      "Evaluate candidates (rows grouped by `query`, else `prompt`) against their `answer` column: accuracy, pass@k, best-of-N, pair and best-of-4 accuracy, calibration; prints JSON."
  )

  @Option(help: "JSONL of candidates (from `whet sample` or `whet score`).") var data: String
  @Option(help: "The verifier deciding correctness against `answer`.") var verifier = "math"
  @Option(name: .customLong("k"), help: "k for pass@k (repeatable; default 1 and the group size).")
  var ks: [Int] = []

  func run() async throws {
    let rows = try readRows(data, strings: ["completion"])
    let report: [String: Any]
    do {
      report = try await CandidateEvaluation.report(
        rows, verifier: try VerifierRegistry.make(verifier), ks: ks)
    } catch let error as CandidateEvaluationError {
      throw ValidationError("\(data): \(error)")
    }
    let json = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys])
    print(String(decoding: json, as: UTF8.self))
  }
}
