/// The sandbox itself could not run (not a verdict on the code under test).
public enum SandboxError: Error, Sendable, Equatable, CustomStringConvertible {
  /// No usable Python interpreter was found.
  case pythonNotFound(searched: [String])
  /// The scratch directory or its files could not be created.
  case workspace(path: String, reason: String)
  /// A process could not be started: which set-up step failed, and its errno.
  case spawnFailed(executable: String, step: SpawnStage, errno: Int32)
  /// ``SandboxIsolationPolicy/required`` was asked for, and namespaces cannot be made here.
  case isolationUnavailable(reason: String)

  public var description: String {
    switch self {
    case .pythonNotFound(let searched):
      return "no Python 3 interpreter found (searched \(searched.joined(separator: ", ")))"
    case .workspace(let path, let reason):
      return "could not prepare the sandbox directory \(path): \(reason)"
    case .spawnFailed(let executable, let step, let errno):
      return "could not start \(executable): \(step) failed (errno \(errno))"
    case .isolationUnavailable(let reason):
      return
        "untrusted code would run without isolation (\(reason)); run as root or enable unprivileged user namespaces, or allow unisolated runs explicitly"
    }
  }
}
