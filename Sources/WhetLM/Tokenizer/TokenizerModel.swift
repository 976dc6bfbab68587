/// Turns one pre-token into token ids (the BPE stage).
public protocol TokenizerModel: Sendable {
  /// The ids of `preToken`, which the pre-tokenizer produced (already byte-level spelled for
  /// byte-level tokenizers).
  func tokenize(_ preToken: String) -> [Int]
  /// The vocabulary entry for `id`, if there is one.
  func token(for id: Int) -> String?
  /// The id of the vocabulary entry `token`, if there is one.
  func id(for token: String) -> Int?
  /// One more than the largest id in the vocabulary.
  var vocabularySize: Int { get }
}
