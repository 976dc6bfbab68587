#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// A child process run to completion with a deadline and capped output, in its own process
/// group so that everything it starts can be killed together.
///
/// `posix_spawn` puts the child in a new process group (`POSIX_SPAWN_SETPGROUP`), resets
/// signal dispositions and the mask, and connects stdin/stdout/stderr to pipes created
/// close-on-exec (no other descriptor of ours leaks into it). The parent polls both output
/// pipes with a timeout, so it never blocks on a child that stops writing or never exits.
/// When the child exits, the deadline passes or either stream exceeds its cap, the whole
/// group gets `SIGKILL` (orphaned grandchildren would otherwise keep running and keep the
/// pipes open), the child is reaped, and the pipes are drained for at most half a second.
struct Subprocess {
  /// How the child ended.
  enum Termination: Equatable {
    case exited(Int32)
    case signaled(Int32)
  }

  struct Output {
    var termination: Termination
    var stdout: [UInt8]
    var stderr: [UInt8]
    var timedOut: Bool
    var outputLimitExceeded: Bool
    var elapsedSeconds: Double
  }

  var executable: String
  var arguments: [String]
  var environment: [String]
  var standardInput: [UInt8] = []
  var timeoutSeconds: Double
  var outputCap: Int

  /// Runs the child; throws only when it cannot be started.
  func run() throws(SandboxError) -> Output {
    var inPipe: [Int32] = [-1, -1]
    var outPipe: [Int32] = [-1, -1]
    var errPipe: [Int32] = [-1, -1]
    guard Self.makePipe(&inPipe), Self.makePipe(&outPipe), Self.makePipe(&errPipe) else {
      let code = errno
      for fd in inPipe + outPipe + errPipe where fd >= 0 { close(fd) }
      throw .spawnFailed(executable: executable, errno: code)
    }

    let start = Self.now()
    let pid: pid_t
    do {
      pid = try spawn(stdin: inPipe[0], stdout: outPipe[1], stderr: errPipe[1])
    } catch {
      for fd in inPipe + outPipe + errPipe { close(fd) }
      throw error
    }
    close(inPipe[0])
    close(outPipe[1])
    close(errPipe[1])
    for fd in [outPipe[0], errPipe[0]] { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }

    // Small input fits in the pipe buffer; a child that never reads cannot block us.
    if !standardInput.isEmpty {
      _ = fcntl(inPipe[1], F_SETFL, fcntl(inPipe[1], F_GETFL) | O_NONBLOCK)
      standardInput.withUnsafeBytes { raw in _ = write(inPipe[1], raw.baseAddress, raw.count) }
    }
    close(inPipe[1])

    var streams = [
      PipeReader(fd: outPipe[0], cap: outputCap), PipeReader(fd: errPipe[0], cap: outputCap),
    ]
    let deadline = start + timeoutSeconds
    var exited = false
    var timedOut = false
    var overflow = false

    // Phase 1: until the child exits, the deadline passes or the output overflows.
    while !exited {
      let remaining = deadline - Self.now()
      if remaining <= 0 {
        timedOut = true
        break
      }
      Self.pollAndRead(&streams, timeoutMilliseconds: Int32(min(50, max(1, remaining * 1000))))
      if streams.contains(where: \.overflowed) {
        overflow = true
        break
      }
      exited = Self.hasExited(pid)
    }

    // Phase 2: kill the whole group, then reap. The child is not reaped before the kill (it
    // stays a zombie), so its pid, which names the group, cannot have been reused.
    kill(-pid, SIGKILL)
    let status = Self.reap(pid)
    let drainDeadline = Self.now() + 0.5
    while streams.contains(where: { !$0.closed }), Self.now() < drainDeadline {
      Self.pollAndRead(&streams, timeoutMilliseconds: 20)
      if streams.contains(where: \.overflowed) { break }
    }
    for stream in streams where !stream.closed { close(stream.fd) }

    return Output(
      termination: status, stdout: streams[0].data, stderr: streams[1].data,
      timedOut: timedOut, outputLimitExceeded: overflow || streams.contains(where: \.overflowed),
      elapsedSeconds: Self.now() - start)
  }

  private func spawn(stdin: Int32, stdout: Int32, stderr: Int32) throws(SandboxError) -> pid_t {
    #if os(Linux)
      var actions = posix_spawn_file_actions_t()
      var attributes = posix_spawnattr_t()
    #else
      var actions: posix_spawn_file_actions_t? = nil
      var attributes: posix_spawnattr_t? = nil
    #endif
    posix_spawn_file_actions_init(&actions)
    posix_spawnattr_init(&attributes)
    defer {
      posix_spawn_file_actions_destroy(&actions)
      posix_spawnattr_destroy(&attributes)
    }
    posix_spawn_file_actions_adddup2(&actions, stdin, 0)
    posix_spawn_file_actions_adddup2(&actions, stdout, 1)
    posix_spawn_file_actions_adddup2(&actions, stderr, 2)

    var noSignals = sigset_t()
    sigemptyset(&noSignals)
    var allSignals = sigset_t()
    sigfillset(&allSignals)
    posix_spawnattr_setsigmask(&attributes, &noSignals)
    posix_spawnattr_setsigdefault(&attributes, &allSignals)
    posix_spawnattr_setpgroup(&attributes, 0)
    let flags = POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF
    posix_spawnattr_setflags(&attributes, Int16(flags))

    let argv = ([executable] + arguments).map { strdup($0) }
    let envp = environment.map { strdup($0) }
    defer {
      for p in argv { free(p) }
      for p in envp { free(p) }
    }
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, executable, &actions, &attributes, argv + [nil], envp + [nil])
    guard rc == 0 else { throw .spawnFailed(executable: executable, errno: rc) }
    return pid
  }

  /// A pipe whose both ends are close-on-exec.
  private static func makePipe(_ fds: inout [Int32]) -> Bool {
    var pair: [Int32] = [-1, -1]
    guard pipe(&pair) == 0 else { return false }
    for fd in pair { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
    fds = pair
    return true
  }

  /// Whether the child has exited, without reaping it (`waitid` with `WNOWAIT`).
  private static func hasExited(_ pid: pid_t) -> Bool {
    #if os(Linux)
      var info = siginfo_t()
      let rc = waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT)
      return rc != 0 || info._sifields._sigchld.si_pid == pid
    #else
      var info = siginfo_t()
      let rc = waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT)
      return rc != 0 || info.si_pid == pid
    #endif
  }

  /// Reaps the child (blocking) and decodes its status.
  private static func reap(_ pid: pid_t) -> Termination {
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

  private static func pollAndRead(_ streams: inout [PipeReader], timeoutMilliseconds: Int32) {
    var fds = streams.filter { !$0.closed }.map {
      pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0)
    }
    guard !fds.isEmpty else {
      usleep(UInt32(timeoutMilliseconds) * 1000)
      return
    }
    guard poll(&fds, nfds_t(fds.count), timeoutMilliseconds) > 0 else { return }
    for p in fds where p.revents != 0 {
      if let i = streams.firstIndex(where: { $0.fd == p.fd && !$0.closed }) {
        streams[i].readAvailable()
      }
    }
  }

  static func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
  }
}

/// One output pipe: what has been read, up to a cap.
struct PipeReader {
  let fd: Int32
  let cap: Int
  var data: [UInt8] = []
  var closed = false
  var overflowed = false

  init(fd: Int32, cap: Int) {
    self.fd = fd
    self.cap = cap
  }

  /// Reads once (the descriptor was reported readable, so this does not block); closes on EOF.
  /// Never stores more than `cap` bytes: reading stops at the cap and marks the overflow.
  mutating func readAvailable() {
    var buffer = [UInt8](repeating: 0, count: 65536)
    let room = max(0, cap - data.count)
    let want = min(buffer.count, room + 1)  // one byte past the cap reveals an overflow
    let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, want) }
    if n > 0 {
      data.append(contentsOf: buffer[0..<min(n, room)])
      if n > room { overflowed = true }
    } else if n == 0 || (errno != EINTR && errno != EAGAIN) {
      close(fd)
      closed = true
    }
  }
}
