/// One candidate to score: the prompt, the completion, and the row's extra columns
/// (`answer`, `tests`, … passed through from the data, as TRL passes them to reward functions).
public struct ScoringItem: Sendable, Equatable {
  public var prompt: String
  public var completion: String
  /// Extra columns as strings (numbers and JSON values in their JSON text form).
  public var columns: [String: String]

  public init(prompt: String, completion: String, columns: [String: String] = [:]) {
    self.prompt = prompt
    self.completion = completion
    self.columns = columns
  }
}

/// A source's verdict on one item: a score, or an abstention with its reason.
public enum Score: Sendable, Equatable {
  case value(Double)
  case abstain(reason: String)

  /// The score, or `nil` when the source abstained.
  public var value: Double? {
    if case .value(let v) = self { return v }
    return nil
  }
}

/// Anything that scores candidates: a verifier, a judge, a reward model, a model-based score.
///
/// Sources are named (the name appears in configs, on the CLI and as a column of the score
/// matrix), take a batch at a time, and may be asynchronous (HTTP judges).
public protocol RewardSource: Sendable {
  /// A stable name such as `math`, `judge:local`, `self-certainty`.
  var name: String { get }
  /// The item columns the source reads besides the prompt and the completion (`answer` for
  /// `math`, `tests` for `code`, the placeholders of a judge's template). Label-free methods
  /// refuse a source that reads the ground-truth column (``LabelFreeCheck``).
  var columnsRead: Set<String> { get }
  /// One score per item, in order.
  func score(_ items: [ScoringItem]) async throws -> [Score]
}

/// A source made of a synchronous per-item function (most verifiers).
public struct FunctionSource: RewardSource {
  public let name: String
  public let columnsRead: Set<String>
  let function: @Sendable (ScoringItem) -> Score

  /// A source from `function`, which reads the item columns `columnsRead`.
  public init(
    name: String, columnsRead: Set<String>, _ function: @escaping @Sendable (ScoringItem) -> Score
  ) {
    self.name = name
    self.columnsRead = columnsRead
    self.function = function
  }

  public func score(_ items: [ScoringItem]) async throws -> [Score] { items.map(function) }
}

/// Scores of `items × sources`; `nil` where a source abstained. The hand-off between scoring
/// and label models, selection and training (`../shared/ARCHITECTURE.md`).
public struct ScoreMatrix: Sendable, Equatable {
  public var sources: [String]
  /// `values[item][source]`.
  public var values: [[Double?]]

  public init(sources: [String], values: [[Double?]]) {
    precondition(values.allSatisfy { $0.count == sources.count }, "ScoreMatrix: ragged rows")
    self.sources = sources
    self.values = values
  }

  public var itemCount: Int { values.count }

  /// The column of source `name`.
  public func column(_ name: String) -> [Double?]? {
    sources.firstIndex(of: name).map { j in values.map { $0[j] } }
  }
}
