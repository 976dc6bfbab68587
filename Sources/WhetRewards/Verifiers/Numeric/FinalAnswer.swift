import Foundation

/// The final numeric answer read from a solution, and where it was found.
public struct FinalAnswer: Sendable, Equatable {
  /// Where in the text the answer was found, in the order they are tried.
  public enum Source: String, Sendable, Equatable, CaseIterable {
    /// GSM8K's `#### 72` line.
    case gsm8kMarker
    /// The last `\boxed{…}` (or `\fbox{…}`), nested braces allowed.
    case boxed
    /// The last `<answer>…</answer>` element.
    case answerTag
    /// After the last "answer is" / "answer:" (any case, e.g. "The final answer is $18").
    case answerPhrase
    /// The last number anywhere in the text.
    case lastNumber
  }

  /// The answer's value.
  public var value: Double
  /// Where it was found.
  public var source: Source
  /// The number's text as found.
  public var text: String

  /// An answer found at `source`.
  public init(value: Double, source: Source, text: String) {
    self.value = value
    self.source = source
    self.text = text
  }

  /// The final answer of `text`, trying each ``Source`` in order; a marker whose content
  /// holds no number is skipped. `nil` when the text has no number at all.
  ///
  /// In a box or answer tag containing `=`, only the part after the last `=` counts
  /// (`\boxed{x = 5}` is 5); in the other places the first number after the marker counts.
  public static func extract(from text: String) -> FinalAnswer? {
    if let segment = gsm8kSegment(text), let n = NumberScanner.numbers(in: segment).first {
      return FinalAnswer(value: n.value, source: .gsm8kMarker, text: n.text)
    }
    if let content = boxedContent(text), let n = afterLastEquals(content) {
      return FinalAnswer(value: n.value, source: .boxed, text: n.text)
    }
    if let content = tagContent(text, tag: "answer"), let n = afterLastEquals(content) {
      return FinalAnswer(value: n.value, source: .answerTag, text: n.text)
    }
    if let segment = phraseSegment(text), let n = NumberScanner.numbers(in: segment).first {
      return FinalAnswer(value: n.value, source: .answerPhrase, text: n.text)
    }
    if let n = NumberScanner.numbers(in: text).last {
      return FinalAnswer(value: n.value, source: .lastNumber, text: n.text)
    }
    return nil
  }

  /// A key under which equal final answers of `text` compare equal (`"4"`, `"4.0"` and
  /// `"#### 4"` share one), for majority votes and answer agreement; `nil` when the text
  /// states no number.
  public static func key(of text: String) -> String? {
    extract(from: text).map { String($0.value) }
  }

  /// Whether the answer was marked as final (`####`, a box, an answer tag or "the answer
  /// is"), as opposed to being the last number of running text.
  public var isMarked: Bool { source != .lastNumber }

  /// The first number after the last `=` of `content`, or its first number when there is no
  /// `=` (or nothing numeric after it).
  static func afterLastEquals(_ content: String) -> ExtractedNumber? {
    if let eq = content.range(of: "=", options: .backwards),
      let n = NumberScanner.numbers(in: String(content[eq.upperBound...])).first
    {
      return n
    }
    return NumberScanner.numbers(in: content).first
  }

  /// The rest of the line after the last `####`.
  static func gsm8kSegment(_ text: String) -> String? {
    guard let marker = text.range(of: "####", options: .backwards) else { return nil }
    return String(text[marker.upperBound...].prefix { $0 != "\n" })
  }

  /// The content of the last `\boxed{…}` / `\fbox{…}` (or `\boxed 5`), braces balanced.
  public static func boxedContent(_ text: String) -> String? {
    let candidates = ["\\boxed", "\\fbox"].compactMap { text.range(of: $0, options: .backwards) }
    guard let marker = candidates.max(by: { $0.lowerBound < $1.lowerBound }) else { return nil }
    var rest = text[marker.upperBound...]
    if rest.first == "{" {
      var depth = 0
      var end = rest.startIndex
      while end < rest.endIndex {
        if rest[end] == "{" { depth += 1 }
        if rest[end] == "}" {
          depth -= 1
          if depth == 0 { break }
        }
        end = rest.index(after: end)
      }
      guard end < rest.endIndex else { return nil }  // unbalanced
      return String(rest[rest.index(after: rest.startIndex)..<end])
    }
    guard rest.first == " " else { return nil }
    rest = rest.drop { $0 == " " }
    return String(rest.prefix { $0 != "$" && !$0.isWhitespace })
  }

  /// The content of the last `<tag>…</tag>`.
  public static func tagContent(_ text: String, tag: String) -> String? {
    guard let close = text.range(of: "</\(tag)>", options: .backwards),
      let open = text[..<close.lowerBound].range(of: "<\(tag)>", options: .backwards)
    else { return nil }
    return String(text[open.upperBound..<close.lowerBound])
  }

  /// The text after the last "answer is" or "answer:": the rest of that line, or the next
  /// non-empty line when the marker ends its line ("Final answer:\n42").
  static func phraseSegment(_ text: String) -> String? {
    let markers = ["answer is", "answer:"].compactMap {
      text.range(of: $0, options: [.caseInsensitive, .backwards])
    }
    guard let marker = markers.max(by: { $0.lowerBound < $1.lowerBound }) else { return nil }
    let lines = text[marker.upperBound...].split(separator: "\n", omittingEmptySubsequences: false)
    let first = lines.first.map(String.init) ?? ""
    if first.contains(where: { $0.isNumber }) { return first }
    let next = lines.dropFirst().first { !$0.allSatisfy(\.isWhitespace) }
    return next.map(String.init) ?? first
  }
}
