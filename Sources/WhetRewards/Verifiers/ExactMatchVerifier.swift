import Foundation
import WhetLM

/// Exact or normalised string match against the reference column: 1 on a match, else 0.
///
/// The reference may be one string or a JSON array of strings (any of them matches), as
/// SQuAD-style data lists several gold answers. Abstains when the reference column is missing.
public struct ExactMatchVerifier: ItemVerifier {
  /// How strings are compared.
  public enum Comparison: Sendable, Equatable {
    /// Equal after trimming leading and trailing whitespace.
    case exact
    /// Equal after ``TextNormalization/squad(_:)``.
    case squadNormalized
  }

  /// Which part of the completion is compared.
  public enum Span: Sendable, Equatable {
    /// The whole completion.
    case whole
    /// The content of the last `<answer>…</answer>` when present, else the whole completion.
    case answerTag
  }

  public let name: String
  /// Exact or SQuAD-normalised comparison.
  public var comparison: Comparison
  /// Which part of the completion is compared.
  public var span: Span
  /// The column holding the reference answer(s).
  public var answerColumn: String

  /// A verifier named `exact` or `normalized` (after `comparison`) unless `name` is given.
  /// The reference column.
  public var columnsRead: Set<String> { [answerColumn] }

  public init(
    name: String? = nil, comparison: Comparison = .exact, span: Span = .whole,
    answerColumn: String = "answer"
  ) {
    self.name = name ?? (comparison == .exact ? "exact" : "normalized")
    self.comparison = comparison
    self.span = span
    self.answerColumn = answerColumn
  }

  public func verify(_ item: ScoringItem) -> Score {
    guard let reference = item.columns[answerColumn] else {
      return .abstain(reason: "no reference answer: column '\(answerColumn)' is missing")
    }
    var candidate = item.completion
    if span == .answerTag, let tagged = FinalAnswer.tagContent(candidate, tag: "answer") {
      candidate = tagged
    }
    let key = normalize(candidate)
    return .value(Self.references(reference).contains { normalize($0) == key } ? 1 : 0)
  }

  func normalize(_ s: String) -> String {
    switch comparison {
    case .exact: return s.trimmingCharacters(in: .whitespacesAndNewlines)
    case .squadNormalized: return TextNormalization.squad(s)
    }
  }

  /// The gold answers in a reference cell: the strings of a JSON array, or the cell itself.
  static func references(_ cell: String) -> [String] {
    let trimmed = cell.trimmingCharacters(in: .whitespacesAndNewlines)
    if trimmed.hasPrefix("["), let list = try? JSONValue.parse(trimmed).arrayValue {
      let strings = list.compactMap(\.stringValue)
      if strings.count == list.count, !strings.isEmpty { return strings }
    }
    return [cell]
  }
}
