/// The sandbox itself could not run (not a verdict on the code under test).
public enum SandboxError: Error, Sendable, Equatable, CustomStringConvertible {
  /// No usable Python interpreter was found.
  case pythonNotFound(searched: [String])
  /// The scratch directory or its files could not be created.
  case workspace(path: String, reason: String)
  /// `posix_spawn` or pipe creation failed.
  case spawnFailed(executable: String, errno: Int32)

  public var description: String {
    switch self {
    case .pythonNotFound(let searched):
      return "no Python 3 interpreter found (searched \(searched.joined(separator: ", ")))"
    case .workspace(let path, let reason):
      return "could not prepare the sandbox directory \(path): \(reason)"
    case .spawnFailed(let executable, let errno):
      return "could not start \(executable) (errno \(errno))"
    }
  }
}
