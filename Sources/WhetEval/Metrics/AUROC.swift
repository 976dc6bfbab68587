extension EvalMetrics {
  /// Area under the ROC curve: the probability that a random positive scores above a random
  /// negative, ties counting one half (the Mann–Whitney U statistic over `P·N`). A
  /// threshold-free measure of how well a score separates correct from wrong; 0.5 is chance.
  ///
  /// Computed from mid-ranks in `O(n log n)`. `nil` when either class is empty.
  public static func auroc(scores: [Double], labels: [Bool]) throws(MetricError) -> Double? {
    try checkLengths(labels.count, scores.count)
    try checkNumbers(scores)
    let positives = labels.filter { $0 }.count
    let negatives = labels.count - positives
    guard positives > 0, negatives > 0 else { return nil }
    let order = scores.indices.sorted { scores[$0] < scores[$1] }
    // Sum of the positives' mid-ranks (1-based; a run of ties shares its mean rank).
    var rankSum = 0.0
    var start = 0
    while start < order.count {
      var end = start
      while end + 1 < order.count && scores[order[end + 1]] == scores[order[start]] { end += 1 }
      let midRank = Double(start + end) / 2 + 1
      for k in start...end where labels[order[k]] { rankSum += midRank }
      start = end + 1
    }
    let p = Double(positives)
    return (rankSum - p * (p + 1) / 2) / (p * Double(negatives))
  }
}
