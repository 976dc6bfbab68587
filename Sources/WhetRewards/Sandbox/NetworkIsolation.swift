#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// How the sandbox takes network access away.
public enum NetworkIsolation: Sendable, Equatable {
  /// Linux namespaces (`unshare --net --pid --fork --kill-child`) when they work on this
  /// machine (probed once: needs root or unprivileged user namespaces), otherwise the Python
  /// socket block. See ``NetworkIsolationMethod``.
  case automatic
  /// Only the Python socket block, even where namespaces would work.
  case pythonSocketBlock

  /// The `unshare` binary, when namespaces can be created here; probed once per process by
  /// running `unshare --net --pid --fork --kill-child -- /bin/true`.
  static let unshareExecutable: String? = {
    for candidate in ["/usr/bin/unshare", "/bin/unshare", "/usr/sbin/unshare"]
    where access(candidate, X_OK) == 0 && access("/bin/sh", X_OK) == 0 {
      let probe = Subprocess(
        executable: candidate,
        arguments: ["--net", "--pid", "--fork", "--kill-child", "--", "/bin/sh", "-c", "exit 0"],
        environment: ["PATH=/usr/bin:/bin"], timeoutSeconds: 5, outputCap: 4096)
      if let output = try? probe.run(), output.termination == .exited(0) { return candidate }
    }
    return nil
  }()

  /// The method a run with this setting uses on this machine.
  public var effectiveMethod: NetworkIsolationMethod {
    switch self {
    case .automatic: return Self.unshareExecutable == nil ? .pythonSocketBlock : .namespaces
    case .pythonSocketBlock: return .pythonSocketBlock
    }
  }
}
