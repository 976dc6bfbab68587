extension EvalMetrics {
  /// RewardBench (v1) pair accuracy (Lambert et al. 2024): a pair is correct iff
  /// `r(chosen) > r(rejected)` strictly; ties count as wrong.
  public static func pairAccuracy(chosen: [Double], rejected: [Double]) throws(MetricError)
    -> Double
  {
    try checkLengths(chosen.count, rejected.count)
    try checkNumbers(chosen)
    try checkNumbers(rejected)
    let wins = zip(chosen, rejected).filter { $0 > $1 }.count
    return Double(wins) / Double(chosen.count)
  }

  /// Credit of one best-of-N item (RewardBench 2, Malik et al. 2025): `1 / #tied-at-max` if
  /// the chosen completion's score equals the maximum over chosen and rejected, else 0.
  public static func bestOfNCredit(chosen: Double, rejected: [Double]) throws(MetricError)
    -> Double
  {
    guard !rejected.isEmpty else { throw .invalidArgument("no rejected completions") }
    if chosen.isNaN { throw .notANumber(index: 0) }
    if let i = rejected.firstIndex(where: { $0.isNaN }) { throw .notANumber(index: i + 1) }
    let top = max(chosen, rejected.max()!)
    guard chosen == top else { return 0 }
    return 1 / Double(1 + rejected.filter { $0 == top }.count)
  }

  /// Mean best-of-N credit over items (``bestOfNCredit(chosen:rejected:)``).
  public static func bestOfNAccuracy(chosen: [Double], rejected: [[Double]]) throws(MetricError)
    -> Double
  {
    try checkLengths(chosen.count, rejected.count)
    var total = 0.0
    for (c, r) in zip(chosen, rejected) { total += try bestOfNCredit(chosen: c, rejected: r) }
    return total / Double(chosen.count)
  }

  /// RewardBench 2 best-of-4 accuracy: one chosen against exactly three rejected completions
  /// per item (chance = 25%).
  public static func bestOfFourAccuracy(chosen: [Double], rejected: [[Double]])
    throws(MetricError) -> Double
  {
    if let bad = rejected.firstIndex(where: { $0.count != 3 }) {
      throw .invalidArgument("item \(bad) has \(rejected[bad].count) rejected completions, not 3")
    }
    return try bestOfNAccuracy(chosen: chosen, rejected: rejected)
  }

  /// A RewardBench section score: the prompt-weighted mean of its subsets' accuracies.
  public static func sectionScore(_ subsets: [(accuracy: Double, prompts: Int)]) throws(MetricError)
    -> Double
  {
    let total = subsets.reduce(0) { $0 + $1.prompts }
    guard total > 0 else { throw .empty }
    if subsets.contains(where: { $0.prompts < 0 }) {
      throw .invalidArgument("negative prompt count")
    }
    return subsets.reduce(0) { $0 + $1.accuracy * Double($1.prompts) } / Double(total)
  }

  /// Preference ranking accuracy of a policy: share of pairs with
  /// `log π(y_w) > log π(y_l)` strictly (ALGORITHMS.md §6).
  public static func rankingAccuracy(chosenLogProbs: [Double], rejectedLogProbs: [Double])
    throws(MetricError) -> Double
  {
    try pairAccuracy(chosen: chosenLogProbs, rejected: rejectedLogProbs)
  }
}
