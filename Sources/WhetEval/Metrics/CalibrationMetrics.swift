extension EvalMetrics {
  /// Brier score (Brier 1950): `mean (p − y)²` for probabilities `p` and outcomes `y ∈ {0, 1}`.
  public static func brierScore(probabilities: [Double], labels: [Bool]) throws(MetricError)
    -> Double
  {
    try checkProbabilities(probabilities, labels: labels)
    var total = 0.0
    for (p, y) in zip(probabilities, labels) {
      let d = p - (y ? 1 : 0)
      total += d * d
    }
    return total / Double(labels.count)
  }

  /// Expected calibration error with `bins` equal-width bins on `[0, 1]` (Naeini et al. 2015;
  /// Guo et al. 2017): `Σ_b (n_b / n)·|mean(y in b) − mean(p in b)|`. A probability `p` falls
  /// in bin `min(⌊p·bins⌋, bins − 1)`, so 1.0 lands in the last bin; empty bins add nothing.
  public static func expectedCalibrationError(
    probabilities: [Double], labels: [Bool], bins: Int = 10
  ) throws(MetricError) -> Double {
    guard bins >= 1 else { throw .invalidArgument("bins = \(bins) must be ≥ 1") }
    try checkProbabilities(probabilities, labels: labels)
    var count = [Int](repeating: 0, count: bins)
    var confidence = [Double](repeating: 0, count: bins)
    var positives = [Double](repeating: 0, count: bins)
    for (p, y) in zip(probabilities, labels) {
      let b = min(Int(p * Double(bins)), bins - 1)
      count[b] += 1
      confidence[b] += p
      positives[b] += y ? 1 : 0
    }
    var ece = 0.0
    for b in 0..<bins where count[b] > 0 {
      ece += abs(positives[b] - confidence[b]) / Double(labels.count)
    }
    return ece
  }

  static func checkProbabilities(_ p: [Double], labels: [Bool]) throws(MetricError) {
    try checkLengths(labels.count, p.count)
    if let i = p.firstIndex(where: { !(0...1).contains($0) }) {
      if p[i].isNaN { throw .notANumber(index: i) }
      throw .invalidArgument("probability \(p[i]) at index \(i) is outside [0, 1]")
    }
  }

  /// Share of predictions equal to their labels.
  public static func accuracy<T: Equatable>(predictions: [T], labels: [T]) throws(MetricError)
    -> Double
  {
    try checkLengths(labels.count, predictions.count)
    return Double(zip(predictions, labels).filter { $0 == $1 }.count) / Double(labels.count)
  }
}
