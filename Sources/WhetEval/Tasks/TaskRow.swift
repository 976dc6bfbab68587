import WhetLM
import WhetRewards

/// One generated task: a prompt with a checkable answer, in the column layout the verifiers
/// read (`prompt`, `answer`, `task`, `difficulty`).
public struct TaskRow: Sendable, Equatable {
  /// The question, ending with the required answer format ("Answer with just the number.").
  public var prompt: String
  /// The ground truth, exactly as a correct reply would state it.
  public var answer: String
  /// `suite/kind`, e.g. `arithmetic/steps-2`, `strings/uppercase(reverse)`.
  public var task: String
  /// 1 (easiest) upwards; the meaning is per suite (steps, composed functions, list length).
  public var difficulty: Int?
  /// Python test statements (the `code` suite; the `code` verifier's `tests` column).
  public var tests: [String]?

  /// A row with the given columns.
  public init(
    prompt: String, answer: String, task: String, difficulty: Int? = nil, tests: [String]? = nil
  ) {
    self.prompt = prompt
    self.answer = answer
    self.task = task
    self.difficulty = difficulty
    self.tests = tests
  }

  /// The row as a JSONL object.
  public var jsonObject: [String: JSONValue] {
    var object: [String: JSONValue] = [
      "prompt": .string(prompt), "answer": .string(answer), "task": .string(task),
    ]
    if let difficulty { object["difficulty"] = .number(Double(difficulty)) }
    if let tests { object["tests"] = .array(tests.map(JSONValue.string)) }
    return object
  }

  /// The extra columns handed to reward sources (`answer`, `task`, `difficulty`).
  public var columns: [String: String] {
    var columns = ["answer": answer, "task": task]
    if let difficulty { columns["difficulty"] = String(difficulty) }
    if let tests { columns["tests"] = JSONValue.array(tests.map(JSONValue.string)).jsonText() }
    return columns
  }

  /// A scoring item pairing this task with a model's completion.
  public func scoringItem(completion: String) -> ScoringItem {
    ScoringItem(prompt: prompt, completion: completion, columns: columns)
  }
}
