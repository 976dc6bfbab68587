/// `tokenizers`' `Metaspace` pre-tokenizer (SentencePiece's whitespace handling): spaces
/// become `replacement` (`▁`), and `▁` is prepended to a section that does not start with
/// one — always, only to the section at the very start of the input (`first`, so not after a
/// special token), or never. With `split`, the text is cut before each `▁`.
public struct MetaspacePreTokenizer: PreTokenizer {
  public enum PrependScheme: String, Sendable { case always, first, never }

  public let replacement: Character
  public let prependScheme: PrependScheme
  public let split: Bool

  public init(
    replacement: Character = "▁", prependScheme: PrependScheme = .always, split: Bool = true
  ) {
    self.replacement = replacement
    self.prependScheme = prependScheme
    self.split = split
  }

  public func preTokenize(_ text: String) -> [String] { preTokenize(text, atStart: true) }

  public func preTokenize(_ text: String, atStart: Bool) -> [String] {
    var replaced = String(text.map { $0 == " " ? replacement : $0 })
    let prepend =
      prependScheme == .always || (prependScheme == .first && atStart)
    if prepend, !replaced.hasPrefix(String(replacement)) {
      replaced = String(replacement) + replaced
    }
    guard split else { return replaced.isEmpty ? [] : [replaced] }
    var pieces: [String] = []
    var current = ""
    for c in replaced {
      if c == replacement, !current.isEmpty {
        pieces.append(current)
        current = ""
      }
      current.append(c)
    }
    if !current.isEmpty { pieces.append(current) }
    return pieces
  }
}
