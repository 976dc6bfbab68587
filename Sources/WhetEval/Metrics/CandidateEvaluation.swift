import Foundation
import WhetLM
import WhetRewards

/// `whet eval`'s report on candidate rows against their `answer` column: accuracy, pass@k,
/// best-of-N by every score, RewardBench-style pair and best-of-4 accuracy of each score on
/// (correct, wrong) candidates of a query, and Brier/ECE of every score that reads as a
/// probability and of `p_correct`.
public enum CandidateEvaluation {
  /// The report as a JSON-ready dictionary. Rows without a usable reference are missing, not
  /// wrong: they are left out of every figure (`missing_reference`). With a reference present,
  /// a verifier's abstention counts as wrong.
  public static func report(
    _ all: [[String: JSONValue]], verifier: any RewardSource, ks: [Int] = []
  ) async throws -> [String: Any] {
    let rows = all.filter { row in
      guard let answer = row["answer"], answer != .null else { return false }
      return !(answer.stringValue?.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ?? false)
    }
    guard !rows.isEmpty else { throw CandidateEvaluationError.noReference }
    let items = rows.map { row in
      ScoringItem(
        prompt: row["prompt"]?.stringValue ?? "", completion: row["completion"]?.stringValue ?? "",
        columns: ["answer": row["answer"].map { $0.stringValue ?? $0.jsonText() } ?? ""])
    }
    let correct = try await verifier.score(items).map { ($0.value ?? 0) >= 0.5 }
    let groups = QueryGroups(rows: rows)
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
    let columns = scoreSources(rows).map { s in
      (s, rows.map { $0["scores"]?.objectValue?[s]?.numberValue })
    }
    var bestOf: [String: Double] = [:]
    for (s, column) in columns {
      let picks = try CandidateSelection.bestOfN(scores: column, groups: groups)
      bestOf[s] = try CandidateSelection.accuracy(selected: picks, correct: correct)
    }
    if !bestOf.isEmpty { report["best_of_n_accuracy"] = bestOf }
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
    return report
  }

  /// The names of every score column in the rows' `scores` objects, sorted.
  public static func scoreSources(_ rows: [[String: JSONValue]]) -> [String] {
    Array(Set(rows.flatMap { $0["scores"]?.objectValue?.keys.map { $0 } ?? [] })).sorted()
  }
}

public enum CandidateEvaluationError: Error, CustomStringConvertible {
  case noReference

  public var description: String { "no row has a reference in its `answer` column" }
}
