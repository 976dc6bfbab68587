import Foundation
import Synchronization
import WhetLM

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Runs untrusted Python code against tests, deciding the verdict outside the process that
/// runs the code.
///
/// Two processes take part (``PythonHarness``): the **server** runs the solution in the
/// sandbox, and the **judge**, a separate Python process with no untrusted code in it, runs
/// the tests, reaching the solution's functions through a pipe. The tests never enter the
/// sandbox, and what comes back is plain data compared by the judge, so a solution can only
/// earn what its return values earn.
///
/// The server's process tree, when namespaces are available (``SandboxIsolation``):
///
/// ```
/// [own process group, own cgroup] waiter
///   └─ init: PID 1 of new PID, mount, network, IPC, UTS and cgroup namespaces
///       └─ python3 -I -B -c <server>   limits set, then its own uid (when we are root)
/// ```
///
/// How each limit is enforced:
/// - wall clock: the parent polls with a deadline and sends `SIGKILL` to both process
///   groups; the PID namespace dies with its init, taking anything that left the group;
/// - CPU: `RLIMIT_CPU` (`SIGXCPU` at the soft limit, `SIGKILL` one second later);
/// - memory: `RLIMIT_AS` per process (large allocations raise `MemoryError`) and the run's
///   cgroup memory cap;
/// - processes: the cgroup's `pids.max`, and `RLIMIT_NPROC` for the run's own uid;
/// - output: each stream is read up to ``SandboxLimits/outputBytes``; past that the run is killed;
/// - network: a network namespace with no interface (or, without namespaces, a Python-level
///   socket block that deliberate code can get around);
/// - files: a read-only root, private size-capped `/tmp` and `/dev/shm` that vanish with the
///   run, `RLIMIT_FSIZE`, `RLIMIT_NOFILE`, no core dumps;
/// - descriptors and environment: only the two protocol pipes and stdio reach the code (every
///   other descriptor is closed before `exec`), with `PATH`, `HOME`, `TMPDIR` and `LANG` as
///   its whole environment.
public struct PythonSandbox: Sendable {
  /// Time, memory, process, output and file limits.
  public var limits: SandboxLimits
  /// Whether the code may run when namespaces cannot be made here.
  public var isolationPolicy: SandboxIsolationPolicy
  /// The interpreter; `nil` picks the first of `/usr/bin/python3`, `/usr/local/bin/python3`,
  /// `/bin/python3`, then `python3` on `PATH`. When running as root the code runs under an
  /// unprivileged uid, which must be able to read the interpreter (a `pyenv` build under
  /// `/root` is not readable), which is why system paths come first.
  public var python: String?

  /// A sandbox; the defaults suit unit-test style problems.
  public init(
    limits: SandboxLimits = .init(), isolationPolicy: SandboxIsolationPolicy = .preferred,
    python: String? = nil
  ) {
    self.limits = limits
    self.isolationPolicy = isolationPolicy
    self.python = python
  }

  /// Directories covered by empty mounts in an isolated run (unless the interpreter lives there).
  static let hiddenPaths = ["/root", "/home"]
  /// The first of the uids given to runs when we are root; each concurrent run gets its own.
  static let firstRunUID: Int32 = 200_000
  /// Longest JSON line either side of the protocol may send.
  static let messageLimit = 4 << 20

  private static let runCounter = Atomic<Int>(0)

  /// The isolation runs get on this machine with this policy (namespaces are probed once).
  public var expectedIsolation: SandboxIsolation {
    let namespaces = isolationPolicy != .disabled && SandboxIsolation.unavailableReason == nil
    return SandboxIsolation(namespaces: namespaces, cgroup: false, separateUser: geteuid() == 0)
  }

  /// Runs `solution` then each test (Python source: typically `assert` statements; every
  /// top-level statement counts as one test) and reports how it went. Blocks the calling
  /// thread for at most about ``SandboxLimits/wallClockSeconds`` plus half a second.
  ///
  /// - Throws: ``SandboxError`` only when the sandbox cannot start (or, with
  ///   ``SandboxIsolationPolicy/required``, cannot isolate); every behaviour of the code
  ///   itself, however hostile, is a ``SandboxResult``.
  public func run(solution: String, tests: [String]) throws(SandboxError) -> SandboxResult {
    let interpreter = try resolvePython()
    let unavailable = isolationPolicy == .disabled ? "disabled" : SandboxIsolation.unavailableReason
    if isolationPolicy == .required, let unavailable {
      throw .isolationUnavailable(reason: unavailable)
    }
    let namespaces = unavailable == nil
    let slot = Self.runCounter.wrappingAdd(1, ordering: .relaxed).oldValue
    let isRoot = geteuid() == 0
    let uid = isRoot ? Self.firstRunUID + Int32(slot % 50_000) : nil

    let workdir = namespaces ? "/tmp" : try makeWorkdir(owner: uid)
    defer { if !namespaces { try? FileManager.default.removeItem(atPath: workdir) } }
    let cgroup =
      isRoot
      ? SandboxCgroup.make(
        name: "whet-sandbox-\(getpid())-\(slot)", processes: limits.maxProcesses + 3,
        memoryBytes: limits.memoryBytes + 2 * limits.scratchBytes) : nil
    defer { cgroup?.remove() }
    let isolation = SandboxIsolation(
      namespaces: namespaces, cgroup: cgroup != nil, separateUser: uid != nil)

    let request = try ProcessControl.pipe()
    let reply = try ProcessControl.pipe()
    let serverOut = try ProcessControl.pipe()
    let serverErr = try ProcessControl.pipe()
    let judgeIn = try ProcessControl.pipe()
    let judgeOut = try ProcessControl.pipe()
    let judgeErr = try ProcessControl.pipe()
    let null = open("/dev/null", O_RDWR | O_CLOEXEC)
    let given = [
      request.read, request.write, reply.read, reply.write, serverOut.write, serverErr.write,
      judgeIn.read, judgeOut.write, judgeErr.write, null,
    ]
    var closedGiven = false
    func closeGiven() {
      guard !closedGiven else { return }
      closedGiven = true
      for fd in given where fd >= 0 { close(fd) }
    }
    defer { closeGiven() }
    var readers = [
      PipeReader(fd: serverOut.read, cap: limits.outputBytes),
      PipeReader(fd: serverErr.read, cap: limits.outputBytes),
      PipeReader(fd: judgeOut.read, cap: Self.messageLimit),
      PipeReader(fd: judgeErr.read, cap: 64 << 10),
    ]
    let spec = JSONValue.object([
      "solution": .string(solution), "tests": .array(tests.map { .string($0) }),
      "message_limit": .number(Double(Self.messageLimit)),
    ])
    var writers = [PipeWriter(fd: judgeIn.write, data: Array(spec.jsonText().utf8))]
    defer {
      for i in readers.indices { readers[i].closeNow() }
      for i in writers.indices { writers[i].closeNow() }
    }

    let environment = [
      "PATH=/usr/bin:/bin", "HOME=\(workdir)", "TMPDIR=\(workdir)", "LANG=C.UTF-8",
    ]
    let start = ProcessControl.now()
    let realInterpreter = URL(fileURLWithPath: interpreter).resolvingSymlinksInPath().path
    let server = try SpawnRequest(
      executable: interpreter,
      arguments: [
        "-I", "-B", "-c", PythonHarness.server, namespaces ? "0" : "1", String(Self.messageLimit),
      ],
      environment: environment,
      descriptors: [null, serverOut.write, serverErr.write, request.read, reply.write],
      isolate: namespaces, tmpfsBytes: limits.scratchBytes,
      hiddenPaths: Self.hiddenPaths.filter {
        !realInterpreter.hasPrefix($0 + "/") && !interpreter.hasPrefix($0 + "/")
      },
      cgroupProcs: cgroup?.procsFiles ?? [], workdir: workdir, cpuSeconds: limits.cpuSeconds,
      addressSpace: limits.memoryBytes, processes: limits.maxProcesses,
      fileSize: limits.fileSizeBytes, openFiles: limits.openFiles,
      user: uid.map { ($0, $0) }
    ).spawn()
    let judge: pid_t
    do {
      judge = try SpawnRequest(
        executable: interpreter, arguments: ["-I", "-B", "-c", PythonHarness.judge],
        environment: ["PATH=/usr/bin:/bin", "LANG=C.UTF-8"],
        descriptors: [judgeIn.read, judgeOut.write, judgeErr.write, request.write, reply.read]
      ).spawn()
    } catch {
      kill(-server, SIGKILL)
      _ = ProcessControl.reap(server)
      throw error
    }
    closeGiven()

    // Until the judge is done, the deadline passes or the solution floods its output.
    let deadline = start + limits.wallClockSeconds
    var timedOut = false
    var judgeDone = false
    while !judgeDone {
      let remaining = deadline - ProcessControl.now()
      if remaining <= 0 {
        timedOut = true
        break
      }
      pollStreams(
        &readers, &writers, timeoutMilliseconds: Int32(min(50, max(1, remaining * 1000))))
      if readers[0].overflowed || readers[1].overflowed { break }
      judgeDone = ProcessControl.hasExited(judge) && readers[2].closed
    }
    // A solution whose process died tells the judge by closing its pipe; give the server's
    // waiter time to report how it died before the group is killed. On a loaded machine the
    // reap can lag the judge by seconds (a CPU-limit kill was once reported as an early exit
    // after a fixed 2 s), so the wait lasts until the run's own deadline, at least 2 s; it
    // ends as soon as the exit lands.
    let settle = max(deadline, ProcessControl.now() + 2.0)
    while judgeDone, !ProcessControl.hasExited(server), ProcessControl.now() < settle,
      Self.events(in: readers[2].data).contains(where: { $0["status"]?.stringValue == "gone" })
    {
      usleep(5_000)
    }
    let serverEndedItself = ProcessControl.hasExited(server)
    kill(-server, SIGKILL)
    kill(-judge, SIGKILL)
    let serverStatus = ProcessControl.reap(server)
    _ = ProcessControl.reap(judge)
    let drainDeadline = ProcessControl.now() + 0.5
    while readers.contains(where: { !$0.closed }), ProcessControl.now() < drainDeadline {
      pollStreams(&readers, &writers, timeoutMilliseconds: 20)
      if readers.contains(where: \.overflowed) { break }
    }
    return Self.interpret(
      RunRecord(
        events: Self.events(in: readers[2].data), judgeError: readers[3].data,
        serverOut: readers[0].data, serverErr: readers[1].data,
        serverStatus: serverEndedItself ? serverStatus : nil, timedOut: timedOut,
        outputLimitExceeded: readers[0].overflowed || readers[1].overflowed,
        memoryCapReached: cgroup?.memoryLimitReached() ?? false,
        elapsedSeconds: ProcessControl.now() - start),
      isolation: isolation)
  }

  /// The words every "ended early" error carries, which ``SandboxViolation/classify(_:)``
  /// reads: whether the server's own exit status was reaped in time or not, the run ended
  /// before the judge got through the tests.
  static let beforeTheTestsFinished = "before the tests finished"

  /// What one run left behind, for ``interpret(_:isolation:)``.
  struct RunRecord {
    var events: [[String: JSONValue]]
    var judgeError: [UInt8]
    var serverOut: [UInt8]
    var serverErr: [UInt8]
    /// How the server ended, when it ended before we killed it.
    var serverStatus: Termination?
    var timedOut: Bool
    var outputLimitExceeded: Bool
    var memoryCapReached: Bool
    var elapsedSeconds: Double
  }

  /// The judge's event lines (JSON objects; anything else is ignored).
  static func events(in data: [UInt8]) -> [[String: JSONValue]] {
    String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap {
      (try? JSONValue.parse(String($0)))?.objectValue
    }
  }

  /// Turns what the judge reported and how the server ended into a verdict.
  static func interpret(_ run: RunRecord, isolation: SandboxIsolation) -> SandboxResult {
    let serverErrText = String(decoding: run.serverErr, as: UTF8.self)
    var total = 0
    var statuses: [String] = []
    var messages: [String] = []
    var load: [String: JSONValue]?
    var testsError: String?
    var done = false
    for event in run.events {
      if let n = event["tests"]?.numberValue { total = Int(n) }
      if let status = event["status"]?.stringValue {
        statuses.append(status)
        if status != "passed" {
          messages.append(
            "test \(statuses.count - 1) \(status): \(event["message"]?.stringValue ?? "")")
        }
      }
      if event["load"] != nil { load = event }
      if let message = event["tests_error"]?.stringValue { testsError = message }
      if event["done"] != nil { done = true }
    }
    let passed = statuses.filter { $0 == "passed" }.count
    let signal = run.serverStatus?.signal
    let loadFailure = load?["load"]?.stringValue == "error"
    let loadType = load?["type"]?.stringValue ?? ""

    let outcome: SandboxOutcome
    // A program held at its memory cap spends its time in the kernel's reclaim, so on a busy
    // machine a clock can run out first: reaching the cap is the diagnosis either way.
    if run.memoryCapReached {
      outcome = .memoryLimit
    } else if run.timedOut {
      outcome = .timeout(.wallClock)
    } else if run.outputLimitExceeded {
      outcome = .outputLimit
    } else if signal == SIGXCPU {
      outcome = .timeout(.cpu)
    } else if statuses.contains("memory") || (loadFailure && loadType == "MemoryError") {
      outcome = .memoryLimit
    } else if let testsError {
      outcome = .error(testsError)
    } else if !done {
      let detail = lastLine(String(decoding: run.judgeError, as: UTF8.self)).map { ": \($0)" }
      outcome = .error("the judge stopped \(Self.beforeTheTestsFinished)\(detail ?? "")")
    } else if loadFailure {
      let message = load?["message"]?.stringValue ?? ""
      outcome = .error(lastLine(serverErrText) ?? "\(loadType): \(message)")
    } else if statuses.count == total, statuses.allSatisfy({ $0 == "passed" }) {
      outcome = .passed
    } else if statuses.allSatisfy({ $0 == "passed" || $0 == "failed" }) {
      outcome = .failed
    } else if statuses.contains("gone") || load?["load"]?.stringValue == "gone" {
      let how =
        signal.map { "killed by signal \($0)" }
        ?? run.serverStatus?.exitStatus.map { "exited with status \($0)" } ?? "ended"
      let detail = lastLine(serverErrText).map { ": \($0)" } ?? ""
      outcome = .error("the solution's process \(how) \(Self.beforeTheTestsFinished)\(detail)")
    } else {
      let first = run.events.first { $0["status"]?.stringValue == "error" }
      outcome = .error(String((first?["message"]?.stringValue ?? "error").prefix(300)))
    }
    var excerpt = serverErrText
    if !messages.isEmpty {
      excerpt += (excerpt.isEmpty ? "" : "\n") + messages.joined(separator: "\n")
    }
    return SandboxResult(
      outcome: outcome, testsPassed: passed, testsTotal: total,
      exitStatus: run.serverStatus?.exitStatus, signal: signal,
      stdout: String(decoding: run.serverOut, as: UTF8.self),
      stderrExcerpt: String(excerpt.suffix(2000)), elapsedSeconds: run.elapsedSeconds,
      isolation: isolation)
  }

  /// A one-line summary of stderr: the last exception line of a traceback (`NameError: …`),
  /// else the last non-blank line.
  static func lastLine(_ text: String) -> String? {
    let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
      !$0.isEmpty
    }
    let exceptionLine = lines.last { line in
      guard let colon = line.firstIndex(of: ":") else { return false }
      let head = line[..<colon]
      return !head.isEmpty
        && head.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." }
        && (head.hasSuffix("Error") || head.hasSuffix("Exception") || head.hasSuffix("Exit")
          || head.hasSuffix("Interrupt"))
    }
    return (exceptionLine ?? lines.last).map { String($0.prefix(300)) }
  }

  func resolvePython() throws(SandboxError) -> String {
    if let python { return python }
    var searched = ["/usr/bin/python3", "/usr/local/bin/python3", "/bin/python3"]
    for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
      searched.append("\(dir)/python3")
    }
    if let found = searched.first(where: { access($0, X_OK) == 0 }) { return found }
    throw .pythonNotFound(searched: searched)
  }

  /// A fresh scratch directory for a run without namespaces, owned by the run's uid.
  func makeWorkdir(owner: Int32?) throws(SandboxError) -> String {
    let base = FileManager.default.temporaryDirectory.path
    var template =
      Array((base.hasSuffix("/") ? base : base + "/").utf8CString.dropLast())
      + Array("whet-sandbox-XXXXXX".utf8CString)
    guard let made = mkdtemp(&template) else {
      throw .workspace(path: base, reason: String(cString: strerror(errno)))
    }
    let path = String(cString: made)
    if let owner, chown(path, uid_t(owner), gid_t(owner)) != 0 {
      let reason = String(cString: strerror(errno))
      try? FileManager.default.removeItem(atPath: path)
      throw .workspace(path: path, reason: "chown to the run's user failed: \(reason)")
    }
    return path
  }
}
