/// What `Split` and `Punctuation` do with the delimiters they find (`tokenizers`'
/// `SplitDelimiterBehavior`), applied to the spans a pattern yields.
public enum SplitDelimiterBehavior: String, Sendable, CaseIterable {
  /// Delimiters are dropped.
  case removed = "Removed"
  /// Each delimiter is a piece of its own.
  case isolated = "Isolated"
  /// A delimiter joins the piece before it.
  case mergedWithPrevious = "MergedWithPrevious"
  /// A delimiter joins the piece after it.
  case mergedWithNext = "MergedWithNext"
  /// Adjacent delimiters form one piece.
  case contiguous = "Contiguous"

  /// The behaviour named `name` as `tokenizers` writes it (`MergedWithPrevious`), or in
  /// snake case (`merged_with_previous`) as its Python API and older files spell it.
  public init?(name: String) {
    let key = name.replacingOccurrences(of: "_", with: "").lowercased()
    guard let match = Self.allCases.first(where: { $0.rawValue.lowercased() == key }) else {
      return nil
    }
    self = match
  }

  /// The pieces `spans` become. `spans` cover the text in order, each flagged whether it is a
  /// delimiter (a match of the pattern); the result keeps order and drops empty pieces.
  public func apply<Bound: Comparable>(_ spans: [(Range<Bound>, isMatch: Bool)]) -> [Range<Bound>] {
    var out: [(Range<Bound>, remove: Bool)] = []
    out.reserveCapacity(spans.count)
    switch self {
    case .isolated:
      out = spans.map { ($0.0, false) }
    case .removed:
      out = spans.map { ($0.0, $0.isMatch) }
    case .contiguous:
      var previous = false
      for (range, isMatch) in spans {
        if isMatch == previous, let last = out.last {
          out[out.count - 1] = (last.0.lowerBound..<range.upperBound, false)
        } else {
          out.append((range, false))
        }
        previous = isMatch
      }
    case .mergedWithPrevious:
      var previous = false
      for (range, isMatch) in spans {
        if isMatch && !previous, let last = out.last {
          out[out.count - 1] = (last.0.lowerBound..<range.upperBound, false)
        } else {
          out.append((range, false))
        }
        previous = isMatch
      }
    case .mergedWithNext:
      var previous = false
      for (range, isMatch) in spans.reversed() {
        if isMatch && !previous, let last = out.last {
          out[out.count - 1] = (range.lowerBound..<last.0.upperBound, false)
        } else {
          out.append((range, false))
        }
        previous = isMatch
      }
      out.reverse()
    }
    return out.compactMap { $0.remove || $0.0.isEmpty ? nil : $0.0 }
  }

  /// `matches` (ascending, non-overlapping) and the gaps between them, covering
  /// `whole`, as `tokenizers`' `find_matches` lists them.
  public static func spans<Bound: Comparable>(
    matches: [Range<Bound>], in whole: Range<Bound>
  ) -> [(Range<Bound>, isMatch: Bool)] {
    var spans: [(Range<Bound>, isMatch: Bool)] = []
    spans.reserveCapacity(matches.count * 2 + 1)
    var previous = whole.lowerBound
    for m in matches {
      if previous != m.lowerBound { spans.append((previous..<m.lowerBound, false)) }
      spans.append((m, true))
      previous = m.upperBound
    }
    if previous != whole.upperBound { spans.append((previous..<whole.upperBound, false)) }
    return spans
  }
}
