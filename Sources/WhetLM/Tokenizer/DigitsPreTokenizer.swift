/// `tokenizers`' `Digits` pre-tokenizer: isolates numbers (`\p{N}`: Nd, Nl, No) from the rest,
/// each digit on its own when `individualDigits`, otherwise runs of them.
public struct DigitsPreTokenizer: PreTokenizer {
  /// One piece per digit rather than per run of digits.
  public let individualDigits: Bool

  /// A digits stage; SmolLM2's original `tokenizer.json` uses `individualDigits: true`.
  public init(individualDigits: Bool = true) { self.individualDigits = individualDigits }

  public func preTokenize(_ text: String) -> [String] {
    let scalars = Array(text.unicodeScalars)
    var out: [String] = []
    var start = 0
    var i = 0
    while i < scalars.count {
      guard ScalarClass(scalars[i]) == .number else {
        i += 1
        continue
      }
      if start < i { out.append(scalars.string(start..<i)) }
      var end = i + 1
      if !individualDigits {
        while end < scalars.count && ScalarClass(scalars[end]) == .number { end += 1 }
      }
      out.append(scalars.string(i..<end))
      start = end
      i = end
    }
    if start < scalars.count { out.append(scalars.string(start..<scalars.count)) }
    return out
  }
}
