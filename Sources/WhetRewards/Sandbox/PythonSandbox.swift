import Foundation
import WhetLM

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Runs untrusted Python code against tests in a subprocess with time, memory, process,
/// output, file-size and network limits.
///
/// Each run gets a fresh scratch directory (removed afterwards) holding `solution.py` and
/// `tests.json`, a minimal environment (`PATH`, `HOME`/`TMPDIR` = the scratch directory,
/// `LANG`), and this process layout:
///
/// ```
/// [own process group] unshare --net --pid --fork --kill-child   (when namespaces work)
///                      └─ sh -c '"$@"; exit $?'   PID 1 of the new PID namespace
///                          └─ python3 -I -B -c <harness>   (limits, then drops root)
/// ```
///
/// How each limit is enforced:
/// - wall clock: the parent polls with a deadline and sends `SIGKILL` to the process group;
///   `--kill-child` and the PID namespace take down anything that left the group (`setsid`);
/// - CPU: `RLIMIT_CPU` (`SIGXCPU` at the soft limit, `SIGKILL` one second later);
/// - memory: `RLIMIT_AS`, so large allocations raise `MemoryError`;
/// - processes: `RLIMIT_NPROC` after dropping to an unprivileged uid (root is exempt from it);
/// - output: each stream is read up to ``SandboxLimits/outputBytes``; past that the run is killed;
/// - network: see ``NetworkIsolation``;
/// - files: `RLIMIT_FSIZE`, `RLIMIT_NOFILE`, no core dumps; the scratch directory is deleted.
///
/// The PID-1 `sh` is there so Python is not the namespace's init, which the kernel shields
/// from default-action signals such as `SIGXCPU`.
public struct PythonSandbox: Sendable {
  /// Time, memory, process, output and file limits.
  public var limits: SandboxLimits
  /// How network access is removed.
  public var networkIsolation: NetworkIsolation
  /// The interpreter; `nil` picks the first of `/usr/bin/python3`, `/usr/local/bin/python3`,
  /// `/bin/python3`, then `python3` on `PATH`. When running as root the code runs as
  /// ``unprivilegedUser``, which must be able to read the interpreter (a `pyenv` build under
  /// `/root` is not readable), which is why system paths come first.
  public var python: String?
  /// uid and gid the code runs as when the sandbox is started by root (`nobody` by default).
  public var unprivilegedUser: (uid: UInt32, gid: UInt32)

  /// A sandbox; the defaults suit unit-test style problems.
  public init(
    limits: SandboxLimits = .init(), networkIsolation: NetworkIsolation = .automatic,
    python: String? = nil,
    unprivilegedUser: (uid: UInt32, gid: UInt32) = (65534, 65534)
  ) {
    self.limits = limits
    self.networkIsolation = networkIsolation
    self.python = python
    self.unprivilegedUser = unprivilegedUser
  }

  /// Runs `solution` then each test (Python source: typically `assert` statements; every
  /// top-level statement counts as one test) and reports how it went. Blocks the calling
  /// thread for at most about ``SandboxLimits/wallClockSeconds`` plus half a second.
  ///
  /// - Throws: ``SandboxError`` only when the sandbox cannot start; every behaviour of the
  ///   code itself, however hostile, is a ``SandboxResult``.
  public func run(solution: String, tests: [String]) throws(SandboxError) -> SandboxResult {
    let interpreter = try resolvePython()
    let workdir = try makeWorkdir()
    defer { try? FileManager.default.removeItem(atPath: workdir) }
    try write(solution, to: workdir + "/solution.py")
    try write(JSONValue.array(tests.map { .string($0) }).jsonText(), to: workdir + "/tests.json")

    let isRoot = geteuid() == 0
    let method = networkIsolation.effectiveMethod
    let harnessArguments = [
      interpreter, "-I", "-B", "-c", PythonHarness.source, workdir,
      String(limits.memoryBytes), String(limits.cpuSeconds), String(limits.maxProcesses),
      String(limits.fileSizeBytes), String(limits.openFiles),
      isRoot ? String(unprivilegedUser.uid) : "-1", isRoot ? String(unprivilegedUser.gid) : "-1",
      method == .pythonSocketBlock ? "1" : "0",
    ]
    let executable: String
    let arguments: [String]
    if method == .namespaces, let unshare = NetworkIsolation.unshareExecutable {
      executable = unshare
      arguments =
        [
          "--net", "--pid", "--fork", "--kill-child", "--", "/bin/sh", "-c", "\"$@\"; exit $?",
          "sh",
        ]
        + harnessArguments
    } else {
      executable = interpreter
      arguments = Array(harnessArguments.dropFirst())
    }

    let nonce = UUID().uuidString.replacingOccurrences(of: "-", with: "")
    let process = Subprocess(
      executable: executable, arguments: arguments,
      environment: ["PATH=/usr/bin:/bin", "HOME=\(workdir)", "TMPDIR=\(workdir)", "LANG=C.UTF-8"],
      standardInput: Array((nonce + "\n").utf8), timeoutSeconds: limits.wallClockSeconds,
      outputCap: limits.outputBytes)
    let output = try process.run()
    return Self.interpret(output, nonce: nonce, viaShell: method == .namespaces, isolation: method)
  }

  /// Turns the raw process result into a verdict.
  static func interpret(
    _ output: Subprocess.Output, nonce: String, viaShell: Bool, isolation: NetworkIsolationMethod
  ) -> SandboxResult {
    let stdoutText = String(decoding: output.stdout, as: UTF8.self)
    let stderrText = String(decoding: output.stderr, as: UTF8.self)
    var exitStatus: Int32?
    var signal: Int32?
    switch output.termination {
    case .exited(let code):
      // `sh` reports a child killed by signal n as status 128 + n.
      if viaShell, code > 128, code < 160 { signal = code - 128 } else { exitStatus = code }
    case .signaled(let s): signal = s
    }

    var report: (status: String, passed: Int, total: Int)?
    var keptLines: [Substring] = []
    for line in stdoutText.split(separator: "\n", omittingEmptySubsequences: false) {
      let fields = line.split(separator: " ")
      if fields.count == 4, fields[0] == nonce, let passed = Int(fields[2]),
        let total = Int(fields[3])
      {
        if report == nil || fields[1] != "passed" { report = (String(fields[1]), passed, total) }
      } else {
        keptLines.append(line)
      }
    }
    var cleanedStdout = keptLines.joined(separator: "\n")
    if report != nil, cleanedStdout.hasSuffix("\n") { cleanedStdout.removeLast() }

    let outcome: SandboxOutcome
    if output.timedOut {
      outcome = .timeout(.wallClock)
    } else if output.outputLimitExceeded {
      outcome = .outputLimit
    } else if let report {
      switch report.status {
      case "passed": outcome = .passed
      case "failed": outcome = .failed
      case "memory": outcome = .memoryLimit
      default: outcome = .error(Self.lastLine(stderrText) ?? "error")
      }
    } else if signal == SIGXCPU {
      outcome = .timeout(.cpu)
    } else if let signal {
      outcome = .error(
        "killed by signal \(signal)" + (Self.lastLine(stderrText).map { ": \($0)" } ?? ""))
    } else {
      let detail = Self.lastLine(stderrText).map { ": \($0)" } ?? ""
      outcome = .error("exited with status \(exitStatus ?? -1) before the tests finished\(detail)")
    }
    return SandboxResult(
      outcome: outcome, testsPassed: report?.passed ?? 0, testsTotal: report?.total ?? 0,
      exitStatus: exitStatus,
      signal: signal, stdout: cleanedStdout, stderrExcerpt: String(stderrText.suffix(2000)),
      elapsedSeconds: output.elapsedSeconds, networkIsolation: isolation)
  }

  /// A one-line summary of stderr: the last exception line of a traceback (`NameError: …`),
  /// else the last non-blank line. Several processes' tracebacks may interleave.
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

  func makeWorkdir() throws(SandboxError) -> String {
    let base = FileManager.default.temporaryDirectory.path
    var template =
      Array((base.hasSuffix("/") ? base : base + "/").utf8CString.dropLast())
      + Array("whet-sandbox-XXXXXX".utf8CString)
    guard let made = mkdtemp(&template) else {
      throw .workspace(path: base, reason: String(cString: strerror(errno)))
    }
    let path = String(cString: made)
    if geteuid() == 0, chown(path, unprivilegedUser.uid, unprivilegedUser.gid) != 0 {
      let reason = String(cString: strerror(errno))
      try? FileManager.default.removeItem(atPath: path)
      throw .workspace(path: path, reason: "chown to the unprivileged user failed: \(reason)")
    }
    return path
  }

  func write(_ text: String, to path: String) throws(SandboxError) {
    guard
      FileManager.default.createFile(
        atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o644])
    else { throw .workspace(path: path, reason: "could not write the file") }
  }
}
