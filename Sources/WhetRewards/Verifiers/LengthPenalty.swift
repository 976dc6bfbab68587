/// A length penalty: 1 up to ``target``, then falling linearly to 0 at `target + window`.
///
/// `score = 1 − max(0, length − target) / window`, clamped to [0, 1]. Length is counted in
/// characters (grapheme clusters) or whitespace-separated words.
public struct LengthPenalty: ItemVerifier {
  /// Only the completion.
  public var columnsRead: Set<String> { [] }
  /// What a unit of length is.
  public enum Unit: String, Sendable, Equatable {
    case characters, words
  }

  public let name: String
  /// The longest length with no penalty.
  public var target: Int
  /// The excess length at which the score reaches 0.
  public var window: Int
  /// Characters or words.
  public var unit: Unit

  /// - Parameters:
  ///   - target: the longest length with no penalty (≥ 0).
  ///   - window: extra length at which the score reaches 0 (≥ 1); defaults to `target`.
  public init(target: Int, window: Int? = nil, unit: Unit = .characters, name: String? = nil) {
    self.target = max(0, target)
    self.window = max(1, window ?? target)
    self.unit = unit
    self.name = name ?? (unit == .characters ? "length:\(target)" : "length:\(target):words")
  }

  public func verify(_ item: ScoringItem) -> Score {
    .value(score(length: length(of: item.completion)))
  }

  /// The length of `text` in ``unit``.
  public func length(of text: String) -> Int {
    switch unit {
    case .characters: return text.count
    case .words: return text.split(whereSeparator: \.isWhitespace).count
    }
  }

  /// The score of a completion of `length` units.
  public func score(length: Int) -> Double {
    let over = max(0, length - target)
    return max(0, 1 - Double(over) / Double(window))
  }
}
