import Foundation

/// `format:final-answer`: whether a completion states a numeric final answer plainly. It
/// never sees the reference answer.
///
/// - 1: the completion is just a number, or marks its answer (``FinalAnswer/isMarked``:
///   `####`, `\boxed{}`, `<answer>`, "the answer is");
/// - 0.5: a number only appears in running text (the last one would be taken);
/// - 0: no number at all.
public struct AnswerFormatVerifier: ItemVerifier {
  /// Only the completion.
  public var columnsRead: Set<String> { [] }
  public let name = "format:final-answer"

  public init() {}

  public func verify(_ item: ScoringItem) -> Score {
    .value(Self.grade(item.completion))
  }

  /// The grade of `text` (1, 0.5 or 0, as above).
  public static func grade(_ text: String) -> Double {
    guard let answer = FinalAnswer.extract(from: text) else { return 0 }
    let trimmed = text.trimmingCharacters(
      in: .whitespacesAndNewlines.union(.init(charactersIn: ".")))
    if answer.isMarked || trimmed == answer.text { return 1 }
    return 0.5
  }
}
