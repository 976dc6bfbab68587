/// A sandboxed run that pushed against the sandbox rather than merely failing its tests: what
/// an RL run logs, because a policy optimised against the `code` reward will try every way
/// around it.
public struct SandboxViolation: Sendable, Equatable {
  public enum Kind: String, Sendable, CaseIterable {
    /// The wall-clock or CPU limit.
    case timeLimit = "time_limit"
    case memoryLimit = "memory_limit"
    case outputLimit = "output_limit"
    /// A blocked operation: network access (refused, or unreachable from the sandbox's own
    /// network namespace), a write outside the scratch directory, a forbidden system call
    /// (`PermissionError`, `EPERM`, `EACCES`, `EROFS`).
    case blockedOperation = "blocked_operation"
    /// Killed by a signal it did not ask for (a seccomp kill is `SIGSYS`).
    case killed
    /// The solution process left before the tests ran to the end (an `exit` in the code, or
    /// an attempt to end the judge early).
    case earlyExit = "early_exit"
  }

  public var kind: Kind
  /// The sandbox's one-line account of it.
  public var detail: String

  /// The violation in `result`, if it is one; a run that passed, or failed its tests
  /// without touching a limit, is none.
  public static func classify(_ result: SandboxResult) -> SandboxViolation? {
    switch result.outcome {
    case .passed, .failed: return nil
    case .timeout(let clock): return SandboxViolation(kind: .timeLimit, detail: clock.rawValue)
    case .memoryLimit: return SandboxViolation(kind: .memoryLimit, detail: "memory limit")
    case .outputLimit: return SandboxViolation(kind: .outputLimit, detail: "output limit")
    case .error(let message):
      let blocked = [
        "PermissionError", "Operation not permitted", "Permission denied", "Read-only file system",
        "network access is disabled", "Network is unreachable",
      ]
      if blocked.contains(where: { message.contains($0) || result.stderrExcerpt.contains($0) }) {
        return SandboxViolation(kind: .blockedOperation, detail: message)
      }
      if let signal = result.signal {
        return SandboxViolation(kind: .killed, detail: "signal \(signal): \(message)")
      }
      if message.contains(PythonSandbox.beforeTheTestsFinished)
        || message.localizedCaseInsensitiveContains("exit")
      {
        return SandboxViolation(kind: .earlyExit, detail: message)
      }
      // Syntax and runtime errors are the code's own failures, not attempts on the sandbox.
      return nil
    }
  }
}
