/// Checks the layout of XML-like tags in a completion: 1 when it follows the format, else 0.
///
/// Each of ``tags`` must occur exactly once, in the given order, with non-blank content.
/// Unless ``allowsSurroundingText``, nothing but whitespace may come before, between or after
/// them, which is the strict `<think>…</think><answer>…</answer>` format reward of
/// DeepSeek-R1-style training.
public struct TagFormatVerifier: ItemVerifier {
  /// Only the completion.
  public var columnsRead: Set<String> { [] }
  public let name: String
  /// Tag names, in the order they must appear.
  public var tags: [String]
  /// Whether text may come before, between and after the tagged parts.
  public var allowsSurroundingText: Bool

  /// A custom layout, e.g. `tags: ["reasoning", "answer"]`.
  public init(name: String, tags: [String], allowsSurroundingText: Bool) {
    self.name = name
    self.tags = tags
    self.allowsSurroundingText = allowsSurroundingText
  }

  /// `format:answer-tags`: one non-empty `<answer>…</answer>`, any text around it.
  public static let answerTags = TagFormatVerifier(
    name: "format:answer-tags", tags: ["answer"], allowsSurroundingText: true)

  /// `format:think-answer`: exactly `<think>…</think>` then `<answer>…</answer>`, nothing else.
  public static let thinkAnswer = TagFormatVerifier(
    name: "format:think-answer", tags: ["think", "answer"], allowsSurroundingText: false)

  public func verify(_ item: ScoringItem) -> Score {
    .value(follows(item.completion) ? 1 : 0)
  }

  /// Whether `text` follows the format.
  public func follows(_ text: String) -> Bool {
    var rest = text[...]
    for tag in tags {
      let open = "<\(tag)>"
      let close = "</\(tag)>"
      guard occurrences(of: open, in: text) == 1, occurrences(of: close, in: text) == 1,
        let openRange = rest.firstRange(of: open),
        let closeRange = rest[openRange.upperBound...].firstRange(of: close)
      else { return false }
      if !allowsSurroundingText, !rest[..<openRange.lowerBound].allSatisfy(\.isWhitespace) {
        return false
      }
      if rest[openRange.upperBound..<closeRange.lowerBound].allSatisfy(\.isWhitespace) {
        return false
      }
      rest = rest[closeRange.upperBound...]
    }
    return allowsSurroundingText || rest.allSatisfy(\.isWhitespace)
  }

  private func occurrences(of needle: String, in text: String) -> Int {
    text.ranges(of: needle).count
  }
}
