/// `tokenizers`' `Punctuation` pre-tokenizer: every punctuation character is a delimiter,
/// treated as `behavior` says. Punctuation is Rust's `is_ascii_punctuation` (which takes in
/// `$+<=>^`|~`) or a Unicode general category P*.
public struct PunctuationPreTokenizer: PreTokenizer {
  public let behavior: SplitDelimiterBehavior

  /// A punctuation stage; `tokenizers` defaults to `.isolated`.
  public init(behavior: SplitDelimiterBehavior = .isolated) { self.behavior = behavior }

  static func isPunctuation(_ s: Unicode.Scalar) -> Bool {
    if s.isASCII {
      let v = s.value
      return (0x21...0x2F).contains(v) || (0x3A...0x40).contains(v) || (0x5B...0x60).contains(v)
        || (0x7B...0x7E).contains(v)
    }
    switch s.properties.generalCategory {
    case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
      .initialPunctuation, .finalPunctuation, .otherPunctuation:
      return true
    default:
      return false
    }
  }

  public func preTokenize(_ text: String) -> [String] {
    let scalars = Array(text.unicodeScalars)
    let matches = scalars.indices.filter { Self.isPunctuation(scalars[$0]) }.map { $0..<($0 + 1) }
    let spans = SplitDelimiterBehavior.spans(matches: matches, in: 0..<scalars.count)
    return behavior.apply(spans).map { scalars.string($0) }
  }
}
