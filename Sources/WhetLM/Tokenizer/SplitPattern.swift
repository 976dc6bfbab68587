/// The pre-tokenizer regular expressions GPT-2-family tokenizers use, each implemented as a
/// hand-written scanner over Unicode scalars that reproduces the regex's leftmost-first,
/// backtracking semantics exactly (no regex engine is involved).
public enum SplitPattern: Sendable, Equatable, CaseIterable {
  /// GPT-2's pattern, used by `ByteLevel` with `use_regex: true`:
  /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
  case gpt2
  /// Llama 3's pattern (llama.cpp's `llama-bpe`): case-insensitive contractions, one optional
  /// non-letter before a letter run, numbers in groups of at most three:
  /// `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
  case llama3
  /// Qwen 2's pattern: Llama 3's with single digits (`\p{N}` instead of `\p{N}{1,3}`).
  case qwen2

  /// The regex source as it appears in `tokenizer.json`.
  public var regex: String {
    switch self {
    case .gpt2:
      return #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#
    case .llama3:
      return
        #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    case .qwen2:
      return
        #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    }
  }

  /// The pattern whose regex source is `regex`, if it is one of the known ones.
  public init?(regex: String) {
    guard let match = Self.allCases.first(where: { $0.regex == regex }) else { return nil }
    self = match
  }

  /// The consecutive matches of the pattern in `scalars`, as index ranges. Together they cover
  /// every scalar (each pattern ends in a `\s+` catch-all, and every non-space character
  /// belongs to one of its classes).
  public func matches(in scalars: [Unicode.Scalar]) -> [Range<Int>] {
    let classes = ScalarClass.classify(scalars)
    switch self {
    case .gpt2: return GPT2Scanner.matches(scalars, classes)
    case .llama3: return Llama3Scanner.matches(scalars, classes, maxDigits: 3)
    case .qwen2: return Llama3Scanner.matches(scalars, classes, maxDigits: 1)
    }
  }

  /// The matches of the pattern in `text`, as strings.
  public func split(_ text: String) -> [String] {
    let scalars = Array(text.unicodeScalars)
    return matches(in: scalars).map { scalars.string($0) }
  }
}

/// Shared pieces of the scanners.
enum ScannerSupport {
  /// The end of the run of scalars of class `cls` starting at `start`.
  @inline(__always)
  static func runEnd(_ classes: [ScalarClass], from start: Int, _ cls: ScalarClass) -> Int {
    var end = start
    while end < classes.count && classes[end] == cls { end += 1 }
    return end
  }

  /// Where `\s+(?!\S)|\s+` ends when matched at `start`, given the whitespace run ends at
  /// `runEnd`: the whole run at the end of the text, otherwise all but the last whitespace
  /// (which then attaches to what follows), and a single whitespace on its own.
  @inline(__always)
  static func whitespaceMatchEnd(start: Int, runEnd: Int, count: Int) -> Int {
    if runEnd == count || runEnd - start < 2 { return runEnd }
    return runEnd - 1
  }
}
