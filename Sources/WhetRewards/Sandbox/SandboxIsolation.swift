#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Whether a sandboxed run may go ahead without namespaces.
public enum SandboxIsolationPolicy: Sendable, Equatable {
  /// Namespaces when this machine has them; otherwise the code runs with per-process limits
  /// only, and the result's ``SandboxResult/isolation`` says so.
  case preferred
  /// Refuse to run untrusted code without namespaces (``SandboxError/isolationUnavailable(reason:)``).
  /// Training uses this.
  case required
  /// Never use namespaces (for comparing the two paths in tests).
  case disabled
}

/// What kept one run apart from the machine and from other runs.
///
/// With ``namespaces`` the code runs in new mount, PID, network, IPC, UTS and cgroup
/// namespaces: the root file system is read-only (recursively), `/tmp` (its working
/// directory) and `/dev/shm` are private tmpfs mounts of ``SandboxLimits/scratchBytes`` that
/// vanish with the run, `/root` and `/home` are covered by empty mounts, `/proc` shows only
/// the run's own processes, and there is no network interface at all. Without it, the code
/// runs in a scratch directory with per-process limits, and network access is only blocked
/// inside Python's `socket` module.
public struct SandboxIsolation: Sendable, Equatable, CustomStringConvertible {
  /// Namespaces as described above.
  public var namespaces: Bool
  /// A cgroup of its own caps the run's process count and memory.
  public var cgroup: Bool
  /// The code ran under a uid of its own (never shared with a concurrent run).
  public var separateUser: Bool

  public init(namespaces: Bool, cgroup: Bool, separateUser: Bool) {
    self.namespaces = namespaces
    self.cgroup = cgroup
    self.separateUser = separateUser
  }

  /// Nothing beyond per-process limits.
  public static let none = SandboxIsolation(namespaces: false, cgroup: false, separateUser: false)

  public var description: String {
    guard namespaces else { return "not isolated (per-process limits only)" }
    var parts = ["namespaces"]
    if cgroup { parts.append("cgroup") }
    if separateUser { parts.append("own uid") }
    return parts.joined(separator: " + ")
  }

  /// Why namespaces cannot be made on this machine, or nil when they can. Probed once per
  /// process by starting `/bin/sh -c 'exit 0'` fully isolated.
  public static let unavailableReason: String? = {
    #if os(Linux)
      let shell =
        ["/bin/sh", "/usr/bin/sh"].first { (path: String) in access(path, X_OK) == 0 } ?? "/bin/sh"
      guard let null = Optional(open("/dev/null", O_RDWR | O_CLOEXEC)), null >= 0 else {
        return "cannot open /dev/null"
      }
      defer { close(null) }
      let request = SpawnRequest(
        executable: shell, arguments: ["-c", "exit 0"], environment: ["PATH=/usr/bin:/bin"],
        descriptors: [null, null, null], isolate: true, tmpfsBytes: 1 << 20,
        hiddenPaths: PythonSandbox.hiddenPaths, workdir: "/tmp")
      do {
        let pid = try request.spawn()
        let status = ProcessControl.reap(pid)
        return status == .exited(0) ? nil : "the isolated probe ended with \(status)"
      } catch {
        return "\(error)"
      }
    #else
      return "namespaces are a Linux feature"
    #endif
  }()
}
