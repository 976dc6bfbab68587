/// `tokenizers`' `Split` pre-tokenizer: finds a pattern's matches and cuts the text around
/// them as `behavior` says (with `invert`, the text between matches is the delimiter).
///
/// The GPT-2, Llama 3 and Qwen 2 regexes run on hand-written scanners (``SplitPattern``);
/// any other regex runs on Swift's regex engine with Unicode-scalar semantics, which reads
/// the Oniguruma syntax `tokenizers` uses (`\p{L}`, `(?i:…)`, `(?!…)`, `{1,3}`, ranges of
/// any scalars).
public struct SplitPreTokenizer: PreTokenizer {
  /// What is searched for.
  public enum Pattern: Sendable {
    /// One of the known regexes, scanned by hand.
    case known(SplitPattern)
    /// Any other regex.
    case regex(SplitRegex)
    /// A literal string (`{"String": …}`).
    case literal(String)
  }

  public let pattern: Pattern
  public let behavior: SplitDelimiterBehavior
  public let invert: Bool

  /// A split stage with a known pattern, isolating its matches.
  public init(_ pattern: SplitPattern) {
    self.init(pattern: .known(pattern), behavior: .isolated, invert: false)
  }

  /// A split stage.
  public init(pattern: Pattern, behavior: SplitDelimiterBehavior, invert: Bool) {
    self.pattern = pattern
    self.behavior = behavior
    self.invert = invert
  }

  public func preTokenize(_ text: String) -> [String] {
    if case .known(let known) = pattern, behavior == .isolated, !invert {
      return known.split(text)
    }
    switch pattern {
    case .known(let known):
      let scalars = Array(text.unicodeScalars)
      return pieces(matches: known.matches(in: scalars), in: 0..<scalars.count) {
        scalars.string($0)
      }
    case .regex(let regex):
      return pieces(matches: regex.matches(in: text), in: text.startIndex..<text.endIndex) {
        String(text.unicodeScalars[$0])
      }
    case .literal(let needle):
      return pieces(
        matches: Self.occurrences(of: needle, in: text), in: text.startIndex..<text.endIndex
      ) {
        String(text.unicodeScalars[$0])
      }
    }
  }

  private func pieces<Bound: Comparable>(
    matches: [Range<Bound>], in whole: Range<Bound>, text: (Range<Bound>) -> String
  ) -> [String] {
    var spans = SplitDelimiterBehavior.spans(matches: matches, in: whole)
    if invert { spans = spans.map { ($0.0, !$0.isMatch) } }
    return behavior.apply(spans).map(text)
  }

  /// The non-overlapping occurrences of `needle` in `text`, scalar by scalar, left to right.
  static func occurrences(of needle: String, in text: String) -> [Range<String.Index>] {
    let n = Array(needle.unicodeScalars)
    guard !n.isEmpty else { return [] }
    let view = text.unicodeScalars
    var out: [Range<String.Index>] = []
    var i = view.startIndex
    while i < view.endIndex {
      var j = i
      var k = 0
      while k < n.count, j < view.endIndex, view[j] == n[k] {
        j = view.index(after: j)
        k += 1
      }
      if k == n.count {
        out.append(i..<j)
        i = j
      } else {
        i = view.index(after: i)
      }
    }
    return out
  }
}

/// A compiled `Split` regex. Matching is by Unicode scalar, as Oniguruma matches UTF-8 text.
public final class SplitRegex: @unchecked Sendable {
  /// The pattern's source.
  public let source: String
  // A compiled Regex is immutable; matching does not mutate it.
  private let regex: Regex<AnyRegexOutput>

  /// Compiles `source`; nil when Swift's engine cannot read it.
  public init?(_ source: String) {
    guard let regex = try? Regex(Self.scalarRanges(source)) else { return nil }
    self.source = source
    self.regex = regex.matchingSemantics(.unicodeScalar)
  }

  /// The successive leftmost matches in `text`; an empty match advances one scalar.
  public func matches(in text: String) -> [Range<String.Index>] {
    text.matches(of: regex).map(\.range)
  }

  /// `source` with every character-class range that has an end Swift's parser refuses
  /// rewritten so that it means the same scalars. Swift accepts only range bounds that are
  /// their own NFC form, so a range ending in a scalar such as U+1F7D (≡ U+03CE) or starting
  /// at U+212A KELVIN SIGN (≡ `K`), as DeepSeek's letter class has, would not compile; such
  /// ends are taken out of the range and listed on their own as `\u{…}`.
  static func scalarRanges(_ source: String) -> String {
    let s = Array(source.unicodeScalars)
    var out = String.UnicodeScalarView()
    func append(_ scalar: Unicode.Scalar) {
      out.append(contentsOf: ("\\u{" + String(scalar.value, radix: 16) + "}").unicodeScalars)
    }
    var depth = 0
    var i = 0
    while i < s.count {
      let c = s[i]
      if c == "\\" {
        // Copy the escape whole: \p{…}, \u{…}, \x{…} or one scalar.
        var end = min(i + 2, s.count)
        if end < s.count, s[end] == "{", "pPuxN".unicodeScalars.contains(s[i + 1]) {
          while end < s.count, s[end] != "}" { end += 1 }
          end = min(end + 1, s.count)
        }
        out.append(contentsOf: s[i..<end])
        i = end
        continue
      }
      if c == "[" {
        depth += 1
      } else if c == "]", depth > 0 {
        depth -= 1
      } else if depth > 0, i + 2 < s.count, s[i + 1] == "-",
        !"]\\[".unicodeScalars.contains(s[i + 2]),
        !isCanonicalSelf(c) || !isCanonicalSelf(s[i + 2]), c.value <= s[i + 2].value
      {
        var lo = c.value
        var hi = s[i + 2].value
        while lo <= hi, let l = Unicode.Scalar(lo), !isCanonicalSelf(l) {
          append(l)
          lo += 1
        }
        while hi >= lo, let h = Unicode.Scalar(hi), !isCanonicalSelf(h) {
          append(h)
          hi -= 1
        }
        if lo <= hi, let l = Unicode.Scalar(lo), let h = Unicode.Scalar(hi) {
          append(l)
          if lo < hi {
            out.append("-")
            append(h)
          }
        }
        i += 3
        continue
      }
      out.append(c)
      i += 1
    }
    return String(out)
  }

  /// Whether `scalar` is its own canonical (NFC) form.
  static func isCanonicalSelf(_ scalar: Unicode.Scalar) -> Bool {
    UnicodeNormalizer(.nfc).normalize(String(scalar)).unicodeScalars.elementsEqual([scalar])
  }
}
