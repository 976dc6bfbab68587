/// A family of synthetic tasks with verifiable answers, generated from a seed.
///
/// Same `(suite, n, seed)` → same rows; row `i` depends only on `(suite, seed, i)`. Rows cycle
/// through the suite's difficulty levels (row `i` has level `i % levels + 1`) unless a level
/// is given.
public enum TaskSuite: String, Sendable, CaseIterable {
  /// Word problems with 1–4 arithmetic steps on small integers (answer: a number).
  case arithmetic
  /// Compositions like `uppercase(reverse("abcde"))` of 1–3 string functions.
  case strings
  /// Sorting 4–10 numbers, or words, ascending or descending (answer: a comma-separated list).
  case sorting
  /// Counting letters in a word or list items with a property (answer: a number).
  case counting
  /// Python functions checked by tests in the sandbox (a `tests` column; answer: a reference
  /// solution).
  case code

  /// The suite called `name` (its raw value).
  public static func named(_ name: String) throws(TaskSuiteError) -> TaskSuite {
    guard let suite = TaskSuite(rawValue: name) else {
      throw .unknownSuite(name: name, valid: allCases.map(\.rawValue))
    }
    return suite
  }

  /// Difficulty levels, 1 through this.
  public var levels: Int {
    switch self {
    case .arithmetic: return 4
    case .strings: return 3
    case .sorting: return 4
    case .counting: return 3
    case .code: return 3
    }
  }

  /// `n` rows from `seed`, cycling through the levels, or all at `difficulty` (clamped to
  /// `1...levels`) when given.
  public func generate(n: Int, seed: UInt64, difficulty: Int? = nil) -> [TaskRow] {
    (0..<max(0, n)).map { i in
      let level = difficulty.map { min(max($0, 1), levels) } ?? (i % levels + 1)
      var random = TaskRandom(seed: seed, salt: salt, index: i)
      switch self {
      case .arithmetic: return ArithmeticTasks.make(level: level, random: &random)
      case .strings: return StringTasks.make(level: level, random: &random)
      case .sorting: return SortingTasks.make(level: level, random: &random)
      case .counting: return CountingTasks.make(level: level, random: &random)
      case .code: return CodeTasks.make(level: level, random: &random)
      }
    }
  }

  /// Keeps suites with the same seed apart.
  private var salt: UInt64 {
    switch self {
    case .arithmetic: return 1
    case .strings: return 2
    case .sorting: return 3
    case .counting: return 4
    case .code: return 5
    }
  }
}

/// A task suite name that does not exist.
public enum TaskSuiteError: Error, Sendable, Equatable, CustomStringConvertible {
  case unknownSuite(name: String, valid: [String])

  public var description: String {
    switch self {
    case .unknownSuite(let name, let valid):
      return "unknown task suite '\(name)'; valid suites: \(valid.joined(separator: ", "))"
    }
  }
}
