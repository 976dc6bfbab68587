import Dispatch
import WhetLM

/// The `code` verifier: runs the completion's Python code against the item's tests in a
/// ``PythonSandbox``. 1 when every test passes, else 0 (or the share of passing tests with
/// ``partialCredit``).
///
/// The code is the last fenced block (```` ```python ````, ```` ```py ```` or plain
/// ```` ``` ````) of the completion, or the whole completion when it has none. The tests
/// come from ``testsColumn``: a JSON array of Python snippets, or plain Python text (e.g.
/// `assert` lines); each top-level statement counts as one test. Abstains when the column is
/// missing or empty, or when the sandbox cannot start.
public struct CodeVerifier: RewardSource {
  public let name: String
  /// Where the code runs, with its limits.
  public var sandbox: PythonSandbox
  /// The column holding the tests.
  public var testsColumn: String
  /// Score failed runs by the share of passing tests instead of 0.
  public var partialCredit: Bool
  /// Items run at the same time (each is a separate process tree).
  public var concurrency: Int
  /// The tests column.
  public var columnsRead: Set<String> { [testsColumn] }

  /// A code verifier; `concurrency` is clamped to at least 1.
  public init(
    name: String = "code", sandbox: PythonSandbox = .init(), testsColumn: String = "tests",
    partialCredit: Bool = false, concurrency: Int = 2
  ) {
    self.name = name
    self.sandbox = sandbox
    self.testsColumn = testsColumn
    self.partialCredit = partialCredit
    self.concurrency = max(1, concurrency)
  }

  /// Runs up to ``concurrency`` items at a time, each on a Dispatch thread.
  public func score(_ items: [ScoringItem]) async throws -> [Score] {
    try await run(items).map(\.score)
  }

  /// Every item's verdict and, where the code ran, the sandbox's full result (for
  /// ``SandboxViolation`` logs); up to ``concurrency`` items at a time.
  public func run(_ items: [ScoringItem]) async throws -> [(score: Score, result: SandboxResult?)] {
    var scores = [(score: Score, result: SandboxResult?)](
      repeating: (.abstain(reason: "not run"), nil), count: items.count)
    await withTaskGroup(of: (Int, (Score, SandboxResult?)).self) { group in
      var next = 0
      func addNext() {
        guard next < items.count else { return }
        let index = next
        let item = items[index]
        next += 1
        group.addTask { (index, await self.scoreOffThread(item)) }
      }
      for _ in 0..<concurrency { addNext() }
      for await (index, score) in group {
        scores[index] = score
        addNext()
      }
    }
    return scores
  }

  /// The verdict on one item, computed on the calling thread (blocks for up to the wall-clock
  /// limit).
  public func verify(_ item: ScoringItem) -> Score { verifyWithResult(item).score }

  /// ``verify(_:)`` with the sandbox's result, when the code ran.
  public func verifyWithResult(_ item: ScoringItem) -> (score: Score, result: SandboxResult?) {
    guard let cell = item.columns[testsColumn] else {
      return (.abstain(reason: "no tests: column '\(testsColumn)' is missing"), nil)
    }
    let tests = Self.tests(from: cell)
    guard !tests.isEmpty else {
      return (.abstain(reason: "no tests: column '\(testsColumn)' is empty"), nil)
    }
    do {
      let result = try sandbox.run(solution: Self.code(in: item.completion), tests: tests)
      return (.value(result.score(partialCredit: partialCredit)), result)
    } catch {
      return (.abstain(reason: "sandbox unavailable: \(error)"), nil)
    }
  }

  /// Runs ``verifyWithResult(_:)`` on a Dispatch thread so the blocking wait does not hold a
  /// thread of Swift's cooperative pool.
  private func scoreOffThread(_ item: ScoringItem) async -> (Score, SandboxResult?) {
    await withCheckedContinuation { continuation in
      DispatchQueue.global().async {
        let out = self.verifyWithResult(item)
        continuation.resume(returning: (out.score, out.result))
      }
    }
  }

  /// The test snippets in a tests cell: the strings of a JSON array (or a JSON string), else
  /// the text itself. Blank snippets are dropped.
  public static func tests(from cell: String) -> [String] {
    let trimmed = cell.trimmingWhitespace()
    var snippets = [trimmed]
    if trimmed.hasPrefix("[") || trimmed.hasPrefix("\""), let value = try? JSONValue.parse(trimmed)
    {
      if let list = value.arrayValue, list.allSatisfy({ $0.stringValue != nil }) {
        snippets = list.compactMap(\.stringValue)
      } else if let single = value.stringValue {
        snippets = [single]
      }
    }
    return snippets.filter { !$0.trimmingWhitespace().isEmpty }
  }

  /// The body of the last fenced code block of `completion`, or all of it when there is none.
  public static func code(in completion: String) -> String {
    let parts = completion.split(separator: "```", omittingEmptySubsequences: false)
    guard parts.count >= 3 else { return completion }
    var body = parts[parts.count % 2 == 1 ? parts.count - 2 : parts.count - 3]
    if let newline = body.firstIndex(of: "\n") {
      let info = body[..<newline].trimmingWhitespace()
      if info.isEmpty || info.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "+" || $0 == "-" }) {
        body = body[body.index(after: newline)...]
      }
    }
    return String(body)
  }
}

extension StringProtocol {
  fileprivate func trimmingWhitespace() -> String {
    String(drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
  }
}
