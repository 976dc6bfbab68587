import WhetRewards

/// RewardBench-style comparisons built from sampled candidates with known correctness, to
/// rate a score (a verifier, judge or reward model) as RewardBench rates reward models
/// (Lambert et al. 2024; Malik et al. 2025).
///
/// Within each query, every correct candidate paired with every wrong one is a
/// (chosen, rejected) pair; every correct candidate with the query's first three wrong ones
/// is a best-of-4 item (queries with fewer than three wrong candidates give none).
public struct CandidatePairs: Sendable {
  /// `(chosen, rejected)` item indices.
  public var pairs: [(chosen: Int, rejected: Int)]
  /// One chosen against three rejected item indices.
  public var quadruples: [(chosen: Int, rejected: [Int])]

  public init(correct: [Bool], groups: QueryGroups) {
    pairs = []
    quadruples = []
    for members in groups.members {
      let right = members.filter { correct[$0] }
      let wrong = members.filter { !correct[$0] }
      for c in right {
        for w in wrong { pairs.append((c, w)) }
        if wrong.count >= 3 { quadruples.append((c, Array(wrong.prefix(3)))) }
      }
    }
  }

  /// Pair accuracy of `scores` (``EvalMetrics/pairAccuracy(chosen:rejected:)``) over the pairs
  /// where both are scored; `nil` when none are.
  public func pairAccuracy(_ scores: [Double?]) throws(MetricError) -> Double? {
    let scored = pairs.compactMap { p -> (Double, Double)? in
      guard let c = scores[p.chosen], let r = scores[p.rejected] else { return nil }
      return (c, r)
    }
    guard !scored.isEmpty else { return nil }
    return try EvalMetrics.pairAccuracy(chosen: scored.map(\.0), rejected: scored.map(\.1))
  }

  /// Best-of-4 accuracy of `scores` (ties share credit) over the fully scored quadruples;
  /// `nil` when none are.
  public func bestOfFourAccuracy(_ scores: [Double?]) throws(MetricError) -> Double? {
    let scored = quadruples.compactMap { q -> (Double, [Double])? in
      guard let c = scores[q.chosen] else { return nil }
      let r = q.rejected.compactMap { scores[$0] }
      return r.count == 3 ? (c, r) : nil
    }
    guard !scored.isEmpty else { return nil }
    return try EvalMetrics.bestOfFourAccuracy(chosen: scored.map(\.0), rejected: scored.map(\.1))
  }

}
