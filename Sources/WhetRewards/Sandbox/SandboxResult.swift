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

/// How network access was taken away for a run.
public enum NetworkIsolationMethod: String, Sendable, Equatable {
  /// `unshare --net --pid`: a fresh network namespace with no usable interface (even
  /// loopback is down) and a PID namespace whose processes all die with its first process.
  case namespaces
  /// A Python preamble replacing `socket.socket` and `socket.getaddrinfo` with functions that
  /// raise `PermissionError`. Stops ordinary library code, not deliberate use of `_socket`.
  case pythonSocketBlock
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
  /// The process's exit status, when it exited normally.
  public var exitStatus: Int32?
  /// The signal that ended it, when it was killed.
  public var signal: Int32?
  /// Standard output (harness report lines removed), at most ``SandboxLimits/outputBytes``.
  public var stdout: String
  /// The last part of standard error (the end of a traceback), at most 2,000 characters.
  public var stderrExcerpt: String
  /// Wall-clock time from spawn to the end of the run.
  public var elapsedSeconds: Double
  /// How network access was removed.
  public var networkIsolation: NetworkIsolationMethod

  /// A result; the sandbox builds these, tests may too.
  public init(
    outcome: SandboxOutcome, testsPassed: Int = 0, testsTotal: Int = 0, exitStatus: Int32? = nil,
    signal: Int32? = nil, stdout: String = "", stderrExcerpt: String = "",
    elapsedSeconds: Double = 0,
    networkIsolation: NetworkIsolationMethod = .pythonSocketBlock
  ) {
    self.outcome = outcome
    self.testsPassed = testsPassed
    self.testsTotal = testsTotal
    self.exitStatus = exitStatus
    self.signal = signal
    self.stdout = stdout
    self.stderrExcerpt = stderrExcerpt
    self.elapsedSeconds = elapsedSeconds
    self.networkIsolation = networkIsolation
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
