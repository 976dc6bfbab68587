/// A token matched whole in the raw text before pre-tokenization, such as `<|im_start|>`
/// (`tokenizers`' `AddedToken`).
public struct AddedToken: Sendable, Equatable, Hashable {
  /// The token's id.
  public let id: Int
  /// Its text.
  public let content: String
  /// Special tokens can be skipped when decoding.
  public let special: Bool
  /// Matched against normalized text (otherwise against raw text, before normalization).
  public let normalized: Bool
  /// Also absorbs the whitespace to its left.
  public let lstrip: Bool
  /// Also absorbs the whitespace to its right.
  public let rstrip: Bool
  /// Matches only when not inside a word.
  public let singleWord: Bool

  /// An added token. Special tokens are not normalized by default, others are.
  public init(
    id: Int, content: String, special: Bool, normalized: Bool? = nil, lstrip: Bool = false,
    rstrip: Bool = false, singleWord: Bool = false
  ) {
    self.id = id
    self.content = content
    self.special = special
    self.normalized = normalized ?? !special
    self.lstrip = lstrip
    self.rstrip = rstrip
    self.singleWord = singleWord
  }
}
