/// A repetition penalty: `1 − (repeated n-gram fraction)`, where the fraction is
/// `1 − distinct / total` over the completion's word n-grams (lowercased,
/// whitespace-separated). 1 for text with no repeated n-gram or fewer than `n` words.
///
/// "the cat the cat the cat" with n = 2 has 5 bigrams, 2 distinct: fraction 3/5, score 0.4.
public struct RepetitionPenalty: ItemVerifier {
  /// Only the completion.
  public var columnsRead: Set<String> { [] }
  public let name: String
  /// The n-gram length in words.
  public var n: Int

  /// - Parameter n: the n-gram length (≥ 1); 3 by default.
  public init(n: Int = 3, name: String? = nil) {
    self.n = max(1, n)
    self.name = name ?? (n == 3 ? "repetition" : "repetition:\(n)")
  }

  public func verify(_ item: ScoringItem) -> Score {
    .value(1 - repeatedFraction(item.completion))
  }

  /// The share of the text's n-grams that repeat an earlier one.
  public func repeatedFraction(_ text: String) -> Double {
    let words = text.lowercased().split(whereSeparator: \.isWhitespace)
    guard words.count >= n else { return 0 }
    let total = words.count - n + 1
    var seen = Set<ArraySlice<Substring>>()
    for start in 0..<total { seen.insert(words[start..<(start + n)]) }
    return 1 - Double(seen.count) / Double(total)
  }
}
