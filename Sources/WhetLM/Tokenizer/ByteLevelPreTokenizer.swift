/// `tokenizers`' `ByteLevel` pre-tokenizer: optionally prepends a space, splits with GPT-2's
/// pattern (when `useRegex`), then spells each piece's UTF-8 bytes in the byte-level alphabet.
public struct ByteLevelPreTokenizer: PreTokenizer {
  /// Prepend a space to every piece that does not start with one.
  public let addPrefixSpace: Bool
  /// Split with GPT-2's pattern before mapping bytes.
  public let useRegex: Bool

  /// A byte-level stage; SmolLM2 and GPT-2 use `addPrefixSpace: false, useRegex: true`.
  public init(addPrefixSpace: Bool = false, useRegex: Bool = true) {
    self.addPrefixSpace = addPrefixSpace
    self.useRegex = useRegex
  }

  public func preTokenize(_ text: String) -> [String] {
    var text = text
    if addPrefixSpace && !text.hasPrefix(" ") { text = " " + text }
    if text.isEmpty { return [] }
    let pieces = useRegex ? SplitPattern.gpt2.split(text) : [text]
    return pieces.map(ByteLevelAlphabet.encode)
  }
}
