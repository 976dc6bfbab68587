/// `tokenizers`' `Split` pre-tokenizer with one of the known patterns and the `Isolated`
/// behaviour: every match becomes a piece of its own.
public struct SplitPreTokenizer: PreTokenizer {
  /// The pattern.
  public let pattern: SplitPattern

  /// A split stage with `pattern`.
  public init(_ pattern: SplitPattern) { self.pattern = pattern }

  public func preTokenize(_ text: String) -> [String] { pattern.split(text) }
}
