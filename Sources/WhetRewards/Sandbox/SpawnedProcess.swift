import CSandbox

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// How a child process ended.
enum Termination: Equatable, Sendable {
  case exited(Int32)
  case signaled(Int32)

  /// The signal, when the process was killed by one or exited with a shell-style `128 + n`
  /// status (the sandbox's inner processes report a signal that way).
  var signal: Int32? {
    switch self {
    case .signaled(let s): return s
    case .exited(let code) where code > 128 && code < 160: return code - 128
    case .exited: return nil
    }
  }

  /// The exit status, when the process exited with a status that is not a relayed signal.
  var exitStatus: Int32? {
    if case .exited(let code) = self, signal == nil { return code }
    return nil
  }
}

/// What the sandbox's process set-up needs, in Swift form; ``spawn()`` turns it into a
/// `whet_spawn_config` (`Sources/CSandbox`).
struct SpawnRequest {
  var executable: String
  var arguments: [String]
  var environment: [String]
  /// Descriptors of ours that become the child's 0, 1, 2, …; every other one is closed.
  var descriptors: [Int32]
  var isolate = false
  var tmpfsBytes = 0
  var hiddenPaths: [String] = []
  var cgroupProcs: [String] = []
  var workdir: String?
  var cpuSeconds = 0
  var addressSpace = 0
  var processes = 0
  var fileSize = 0
  var openFiles = 0
  /// uid and gid to run as when we are root.
  var user: (uid: Int32, gid: Int32)?

  /// Starts the child in its own process group (its pid names the group).
  func spawn() throws(SandboxError) -> pid_t {
    var stage: Int32 = 0
    var error: Int32 = 0
    let pid = withCStrings([executable] + arguments) { argv in
      withCStrings(environment) { envp in
        withCStrings(hiddenPaths) { hidden in
          withCStrings(cgroupProcs) { procs in
            descriptors.withUnsafeBufferPointer { fds in
              withOptionalCString(workdir) { dir in
                withCString(executable) { path in
                  var config = whet_spawn_config()
                  config.executable = path
                  config.argv = UnsafePointer(argv)
                  config.envp = UnsafePointer(envp)
                  config.child_fds = fds.baseAddress
                  config.child_fd_count = Int32(fds.count)
                  config.isolate = isolate ? 1 : 0
                  config.tmpfs_bytes = Int64(tmpfsBytes)
                  config.hidden_paths = constant(hidden)
                  config.cgroup_procs = cgroupProcs.isEmpty ? nil : constant(procs)
                  config.workdir = dir
                  config.limit_cpu_seconds = Int64(cpuSeconds)
                  config.limit_address_space = Int64(addressSpace)
                  config.limit_processes = Int64(processes)
                  config.limit_file_size = Int64(fileSize)
                  config.limit_open_files = Int64(openFiles)
                  config.uid = user?.uid ?? -1
                  config.gid = user?.gid ?? -1
                  return whet_spawn(&config, &stage, &error)
                }
              }
            }
          }
        }
      }
    }
    guard pid > 0 else {
      throw .spawnFailed(
        executable: executable, step: SpawnStage(rawValue: stage) ?? .none, errno: error)
    }
    return pid
  }
}

/// The set-up step of the sandbox's process start that failed.
public enum SpawnStage: Int32, Sendable, Equatable, CustomStringConvertible {
  case none = 0, fork, descriptors, cgroup, userNamespace, namespaces, mountPrivate, mountHide
  case mountReadOnly, mountTmp, mountProc, workdir, limits, credentials, exec

  public var description: String {
    switch self {
    case .none: return "start"
    case .fork: return "fork"
    case .descriptors: return "descriptor set-up"
    case .cgroup: return "joining the cgroup"
    case .userNamespace: return "user namespace"
    case .namespaces: return "namespaces"
    case .mountPrivate: return "private mounts"
    case .mountHide: return "hiding directories"
    case .mountReadOnly: return "read-only root"
    case .mountTmp: return "private /tmp"
    case .mountProc: return "private /proc"
    case .workdir: return "working directory"
    case .limits: return "resource limits"
    case .credentials: return "dropping privileges"
    case .exec: return "exec"
    }
  }
}

/// Process control used by the sandbox.
enum ProcessControl {
  /// Whether `pid` has exited, without reaping it (`waitid` with `WNOWAIT`), so its pid (which
  /// names its process group) cannot be reused before we kill the group.
  static func hasExited(_ pid: pid_t) -> Bool {
    var info = siginfo_t()
    let rc = waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT)
    #if os(Linux)
      return rc != 0 || info._sifields._sigchld.si_pid == pid
    #else
      return rc != 0 || info.si_pid == pid
    #endif
  }

  /// Reaps `pid` (blocking) and decodes its status.
  static func reap(_ pid: pid_t) -> Termination {
    var status: Int32 = 0
    while true {
      let rc = waitpid(pid, &status, 0)
      if rc == pid { break }
      if rc == -1, errno == EINTR { continue }
      return .signaled(SIGKILL)  // ECHILD: someone else reaped it
    }
    // The <sys/wait.h> macros, which Swift does not import.
    let low = status & 0x7F
    if low == 0 { return .exited((status >> 8) & 0xFF) }
    return .signaled(low)
  }

  /// A pipe whose two ends are close-on-exec: `(read, write)`.
  static func pipe() throws(SandboxError) -> (read: Int32, write: Int32) {
    var pair: [Int32] = [-1, -1]
    guard whet_pipe_cloexec(&pair) == 0 else {
      throw .spawnFailed(executable: "pipe", step: .descriptors, errno: errno)
    }
    return (pair[0], pair[1])
  }

  static func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
  }
}

private func withCString<R>(_ s: String, _ body: (UnsafePointer<CChar>) -> R) -> R {
  s.withCString(body)
}

private func withOptionalCString<R>(_ s: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
  guard let s else { return body(nil) }
  return s.withCString { body($0) }
}

/// A NULL-terminated array of C strings that lives for the duration of `body`.
private func withCStrings<R>(
  _ strings: [String], _ body: (UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> R
) -> R {
  var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) } + [nil]
  defer { for p in pointers { free(p) } }
  return pointers.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
}

/// The same array seen as `const char *const *`.
private func constant(_ p: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>)
  -> UnsafePointer<UnsafePointer<CChar>?>
{
  UnsafeRawPointer(p).assumingMemoryBound(to: UnsafePointer<CChar>?.self)
}
