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
    let all = try readRows(data, strings: ["completion"])
    // A row without a usable reference is missing, not wrong: it is left out of every figure.
    let rows = all.filter { row in
      guard let answer = row["answer"], answer != .null else { return false }
      return !(answer.stringValue?.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ?? false)
    }
    guard !rows.isEmpty else {
      throw ValidationError("no row of \(data) has a reference in its `answer` column")
    }
    let items = rows.map { row in
      ScoringItem(
        prompt: row["prompt"]?.stringValue ?? "", completion: row["completion"]?.stringValue ?? "",
        columns: ["answer": row["answer"].map { $0.stringValue ?? $0.jsonText() } ?? ""])
    }
    // With a reference present, an abstention (no number in the completion) is wrong.
    let correct = try await VerifierRegistry.make(verifier).score(items).map {
      ($0.value ?? 0) >= 0.5
    }
    let groups = queryGroups(rows)
    let perQuery = groups.members.map { m in (n: m.count, c: m.filter { correct[$0] }.count) }
    var report: [String: Any] = [
      "candidates": rows.count, "queries": groups.count,
      "missing_reference": all.count - rows.count,
      "accuracy": Double(correct.filter { $0 }.count) / Double(max(1, rows.count)),
    ]
    let groupSize = perQuery.map(\.n).min() ?? 1
    for k in (ks.isEmpty ? [1, groupSize] : ks) where k <= groupSize {
      report["pass@\(k)"] = try EvalMetrics.meanPassAtK(perQuery, k: k)
    }
    // Best-of-N accuracy of every score column.
    let columns = scoreSources(rows).map { s in
      (s, rows.map { $0["scores"]?.objectValue?[s]?.numberValue })
    }
    var bestOf: [String: Double] = [:]
    for (s, column) in columns {
      let picks = try CandidateSelection.bestOfN(scores: column, groups: groups)
      bestOf[s] = try CandidateSelection.accuracy(selected: picks, correct: correct)
    }
    if !bestOf.isEmpty { report["best_of_n_accuracy"] = bestOf }
    // RewardBench-style: each score on (correct, wrong) pairs and best-of-4 items of a query.
    let comparisons = CandidatePairs(correct: correct, groups: groups)
    var pairAccuracy: [String: Double] = [:]
    var bestOfFour: [String: Double] = [:]
    var calibration: [String: [String: Double]] = [:]
    var probabilityColumns = columns
    if rows.contains(where: { $0["p_correct"] != nil }) {
      probabilityColumns.append(("p_correct", rows.map { $0["p_correct"]?.numberValue }))
    }
    for (name, column) in probabilityColumns {
      if name != "p_correct" {
        pairAccuracy[name] = try comparisons.pairAccuracy(column)
        bestOfFour[name] = try comparisons.bestOfFourAccuracy(column)
      }
      // Calibration of every column that reads as a probability (all scored values in [0, 1]).
      let scored = column.indices.compactMap { i in column[i].map { (p: $0, y: correct[i]) } }
      if !scored.isEmpty, scored.allSatisfy({ (0...1).contains($0.p) }) {
        let p = scored.map(\.p), y = scored.map(\.y)
        calibration[name] = [
          "brier": try EvalMetrics.brierScore(probabilities: p, labels: y),
          "ece": try EvalMetrics.expectedCalibrationError(probabilities: p, labels: y),
        ]
      }
    }
    if !pairAccuracy.isEmpty {
      report["pair_accuracy"] = pairAccuracy
      report["pairs"] = comparisons.pairs.count
    }
    if !bestOfFour.isEmpty {
      report["best_of_4_accuracy"] = bestOfFour
      report["best_of_4_items"] = comparisons.quadruples.count
    }
    if !calibration.isEmpty { report["calibration"] = calibration }
    let data = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
  }
}
