extension EvalMetrics {
  /// Unbiased pass@k (Chen et al. 2021, "Evaluating large language models trained on code"):
  /// with `n` samples of which `c` are correct, `1 − C(n − c, k) / C(n, k)`.
  ///
  /// Computed in the numerically stable product form
  /// `1 − Π_{i = n − c + 1}^{n} (1 − k / i)`, which never forms a binomial coefficient.
  /// Equals 1 when `n − c < k` (every k-subset contains a correct sample).
  public static func passAtK(n: Int, c: Int, k: Int) throws(MetricError) -> Double {
    guard n >= 1 else { throw .invalidArgument("n = \(n) must be ≥ 1") }
    guard (0...n).contains(c) else { throw .invalidArgument("c = \(c) must be in 0...\(n)") }
    guard (1...n).contains(k) else { throw .invalidArgument("k = \(k) must be in 1...\(n)") }
    if n - c < k { return 1 }
    if c == 0 { return 0 }
    var allWrong = 1.0
    for i in (n - c + 1)...n { allWrong *= 1 - Double(k) / Double(i) }
    return 1 - allWrong
  }

  /// Mean pass@k over problems, each given as `(n, c)`.
  public static func meanPassAtK(_ problems: [(n: Int, c: Int)], k: Int) throws(MetricError)
    -> Double
  {
    guard !problems.isEmpty else { throw .empty }
    var total = 0.0
    for p in problems { total += try passAtK(n: p.n, c: p.c, k: k) }
    return total / Double(problems.count)
  }
}
