/// How a sandboxed run ended.
public enum SandboxOutcome: Sendable, Equatable {
  /// Every test passed.
  case passed
  /// The code ran but at least one test's assertion failed.
  case failed
  /// A time limit was hit.
  case timeout(TimeLimit)
  /// The memory limit was hit (`MemoryError`).
  case memoryLimit
  /// More output than ``SandboxLimits/outputBytes``; the run was stopped.
  case outputLimit
  /// Anything else: a syntax or runtime error, an exit before the tests finished, a signal.
  /// The message is a one-line summary (e.g. the exception line of the traceback).
  case error(String)

  /// Which clock ran out.
  public enum TimeLimit: String, Sendable, Equatable {
    case wallClock, cpu
  }

  /// Whether the tests passed.
  public var isPassed: Bool { self == .passed }
}

/// The structured result of one sandboxed run.
public struct SandboxResult: Sendable, Equatable {
  /// How the run ended.
  public var outcome: SandboxOutcome
  /// Top-level test statements that passed, of ``testsTotal`` (0 of 0 when the run never got
  /// to the tests).
  public var testsPassed: Int
  /// Top-level test statements run.
  public var testsTotal: Int
  /// The solution process's exit status, when it exited by itself.
  public var exitStatus: Int32?
  /// The signal that ended it, when it was killed.
  public var signal: Int32?
  /// The solution's standard output, at most ``SandboxLimits/outputBytes``.
  public var stdout: String
  /// The last part of the solution's standard error, then one line per test that did not
  /// pass, at most 2,000 characters.
  public var stderrExcerpt: String
  /// Wall-clock time from spawn to the end of the run.
  public var elapsedSeconds: Double
  /// What kept the run apart from the machine and other runs.
  public var isolation: SandboxIsolation

  /// A result; the sandbox builds these, tests may too.
  public init(
    outcome: SandboxOutcome, testsPassed: Int = 0, testsTotal: Int = 0, exitStatus: Int32? = nil,
    signal: Int32? = nil, stdout: String = "", stderrExcerpt: String = "",
    elapsedSeconds: Double = 0, isolation: SandboxIsolation = .none
  ) {
    self.outcome = outcome
    self.testsPassed = testsPassed
    self.testsTotal = testsTotal
    self.exitStatus = exitStatus
    self.signal = signal
    self.stdout = stdout
    self.stderrExcerpt = stderrExcerpt
    self.elapsedSeconds = elapsedSeconds
    self.isolation = isolation
  }

  /// 1 when the tests passed, else 0; with `partialCredit`, a run whose tests merely failed
  /// scores the share of tests that passed (timeouts and errors still score 0).
  public func score(partialCredit: Bool = false) -> Double {
    switch outcome {
    case .passed: return 1
    case .failed where partialCredit && testsTotal > 0:
      return Double(testsPassed) / Double(testsTotal)
    default: return 0
    }
  }
}
