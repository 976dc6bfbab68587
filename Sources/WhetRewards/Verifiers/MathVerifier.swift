/// Numeric answer equivalence: 1 when the completion's final number equals the reference
/// (within a tolerance), else 0.
///
/// The final answer is read by ``FinalAnswer/extract(from:)`` (GSM8K `####`, `\boxed{}`,
/// `<answer>` tags, "the answer is", the last number). The reference column is read the same
/// way, so a full GSM8K solution (`… #### 72`) works as a reference as well as `72`.
/// Abstains, with the reason, when the reference column is missing or holds no number, or the
/// completion holds no number.
public struct MathVerifier: ItemVerifier {
  public let name: String
  /// The column holding the reference answer.
  public var answerColumn: String
  /// How close the two numbers must be.
  public var tolerance: NumericTolerance

  /// A verifier reading the reference from `answerColumn`.
  /// The reference column.
  public var columnsRead: Set<String> { [answerColumn] }

  public init(
    name: String = "math", answerColumn: String = "answer", tolerance: NumericTolerance = .init()
  ) {
    self.name = name
    self.answerColumn = answerColumn
    self.tolerance = tolerance
  }

  public func verify(_ item: ScoringItem) -> Score {
    guard let reference = item.columns[answerColumn] else {
      return .abstain(reason: "no reference answer: column '\(answerColumn)' is missing")
    }
    guard let expected = FinalAnswer.extract(from: reference) else {
      return .abstain(
        reason: "reference answer \(reference.prefix(40).debugDescription) holds no number")
    }
    guard let answer = FinalAnswer.extract(from: item.completion) else {
      return .abstain(reason: "no number in the completion")
    }
    return .value(tolerance.accepts(answer.value, expected.value) ? 1 : 0)
  }
}
