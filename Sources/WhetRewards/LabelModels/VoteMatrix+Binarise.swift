extension VoteMatrix {
  /// Binarises a score matrix at one threshold τ for every source (Weaver step 2,
  /// ALGORITHMS.md §2): a score `≥ τ` is a positive vote, a score `< τ` a negative one, and an
  /// abstention (`nil`) or a NaN score is an abstain vote.
  public init(binarising scores: ScoreMatrix, threshold: Double = 0.5) throws(LabelModelError) {
    try self.init(
      binarising: scores, thresholds: [Double](repeating: threshold, count: scores.sources.count))
  }

  /// Binarises a score matrix with one threshold per source (same rules as
  /// ``init(binarising:threshold:)``).
  public init(binarising scores: ScoreMatrix, thresholds: [Double]) throws(LabelModelError) {
    let m = scores.sources.count
    guard thresholds.count == m else {
      throw .shapeMismatch(expected: m, got: thresholds.count)
    }
    if let bad = thresholds.firstIndex(where: { $0.isNaN }) {
      throw .invalidParameter("threshold of source \(scores.sources[bad]) is NaN")
    }
    var codes = [UInt8](repeating: Vote.abstain.rawValue, count: scores.itemCount * m)
    for (i, row) in scores.values.enumerated() {
      guard row.count == m else { throw .shapeMismatch(expected: m, got: row.count) }
      for j in 0..<m {
        guard let v = row[j], !v.isNaN else { continue }
        codes[i * m + j] = v >= thresholds[j] ? Vote.positive.rawValue : Vote.negative.rawValue
      }
    }
    self.init(uncheckedSources: scores.sources, itemCount: scores.itemCount, codes: codes)
  }
}
