import Foundation
import Testing
import WhetTensor

@testable import WhetRewards

/// Tight limits so hostile programs end quickly: 3 s wall clock, 1 s CPU, 256 MiB, 16 processes,
/// 64 KiB of output.
private let limits = SandboxLimits(
  wallClockSeconds: 3, cpuSeconds: 1, memoryBytes: 256 << 20, maxProcesses: 16,
  outputBytes: 64 << 10)
private let sandbox = PythonSandbox(limits: limits)
/// Wall clock plus the half-second drain and scheduling slack on a loaded two-core machine.
private let ceiling = limits.wallClockSeconds + 1.5

@Suite struct SandboxTests {
  @Test func correctSolutionPasses() throws {
    let result = try sandbox.run(
      solution: "def add(a, b):\n    return a + b\n",
      tests: ["assert add(1, 2) == 3", "assert add(-1, 1) == 0"])
    #expect(result.outcome == .passed, "\(result)")
    #expect(result.testsPassed == 2 && result.testsTotal == 2)
    #expect(result.score() == 1)
  }

  @Test func wrongSolutionFails() throws {
    let result = try sandbox.run(
      solution: "def add(a, b):\n    return a - b\n",
      tests: ["assert add(1, 2) == 3\nassert add(0, 0) == 0"])
    #expect(result.outcome == .failed, "\(result)")
    #expect(result.testsPassed == 1 && result.testsTotal == 2)
    #expect(result.score() == 0)
    #expect(result.score(partialCredit: true) == 0.5)
    #expect(result.stderrExcerpt.contains("AssertionError"))
  }

  @Test func infiniteLoopHitsTheCPULimit() throws {
    // 1 s of CPU against a 30 s wall clock: the CPU limit ends it even when the other tests
    // leave this process a small share of the two cores.
    var generous = limits
    generous.wallClockSeconds = 30
    let result = try PythonSandbox(limits: generous).run(
      solution: "while True:\n    pass\ndef f():\n    return 1\n", tests: ["assert f() == 1"])
    #expect(result.outcome == .timeout(.cpu), "\(result)")
    #expect(result.elapsedSeconds < generous.wallClockSeconds)
    #expect(result.score() == 0)
  }

  @Test func sleeperHitsTheWallClock() throws {
    let result = try sandbox.run(solution: "import time\ntime.sleep(60)\n", tests: ["assert True"])
    #expect(result.outcome == .timeout(.wallClock), "\(result)")
    #expect(result.elapsedSeconds >= limits.wallClockSeconds && result.elapsedSeconds < ceiling)
  }

  /// The run's cgroup (`pids.max` = 16 + the 3 processes that set the run up) and its own
  /// uid's `RLIMIT_NPROC` (16, counting the solution's own process) cap the processes one run
  /// can have: at most 15 children, however they are started.
  @Test func forkBombIsContained() throws {
    let counting = """
      import os, time
      N = 0
      try:
          while True:
              if os.fork() == 0:
                  time.sleep(30)
                  os._exit(0)
              N += 1
      except OSError:
          pass
      def forks():
          return N

      """
    let result = try sandbox.run(solution: counting, tests: ["assert 1 <= forks() <= 15"])
    #expect(result.outcome == .passed, "\(result)")
    #expect(result.elapsedSeconds < ceiling)
    // A bomb that swallows the fork errors spins in 16 processes until a clock runs out
    // (which one first depends on how the 2 cores are shared: each process has 1 s of CPU),
    // or, when 16 interpreters fill the 256 MiB, until the memory cap holds them.
    let stubborn =
      "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
    let second = try sandbox.run(solution: stubborn, tests: ["assert True"])
    let stopped: Bool
    switch second.outcome {
    case .timeout, .memoryLimit: stopped = true
    default: stopped = false
    }
    #expect(stopped, "\(second)")
    #expect(second.score() == 0)
    #expect(second.elapsedSeconds < ceiling)
  }

  @Test func memoryHogHitsTheMemoryLimit() throws {
    let hog = "chunks = []\nwhile True:\n    chunks.append(bytearray(10 ** 7))\n"
    let result = try sandbox.run(solution: hog, tests: ["assert True"])
    #expect(result.outcome == .memoryLimit, "\(result)")
    #expect(result.elapsedSeconds < ceiling)
    let single = try sandbox.run(solution: "x = bytearray(2 ** 30)\n", tests: ["assert True"])
    #expect(single.outcome == .memoryLimit, "\(single)")
  }

  @Test func networkIsUnavailable() throws {
    let code = "import socket\nsocket.create_connection(('1.1.1.1', 80), timeout=2)\n"
    let result = try sandbox.run(solution: code, tests: ["assert True"])
    #expect(result.isolation.namespaces)
    #expect(result.outcome == .error("OSError: [Errno 101] Network is unreachable"), "\(result)")
    #expect(result.elapsedSeconds < ceiling)
    // Without namespaces, only the Python-level socket block stands in the way.
    let blocked = try PythonSandbox(limits: limits, isolationPolicy: .disabled).run(
      solution: code, tests: ["assert True"])
    #expect(!blocked.isolation.namespaces)
    #expect(
      blocked.outcome == .error("PermissionError: network access is disabled in the sandbox"),
      "\(blocked)")
  }

  @Test func earlyExitDoesNotPass() throws {
    // Each would pass if the exit were taken for success: the function below it is right.
    for exit in ["import os\nos._exit(0)\n", "import sys\nsys.exit(0)\n", "exit()\n"] {
      let result = try sandbox.run(
        solution: exit + "def one():\n    return 1\n", tests: ["assert one() == 1"])
      #expect(!result.outcome.isPassed, "\(exit): \(result)")
      #expect(result.score() == 0)
    }
  }

  @Test func outputFloodIsCut() throws {
    let result = try sandbox.run(
      solution: "while True:\n    print('x' * 1000)\n", tests: ["assert True"])
    #expect(result.outcome == .outputLimit, "\(result)")
    #expect(result.stdout.utf8.count <= limits.outputBytes)
  }

  @Test func unisolatedRunsUseAScratchDirectoryThatIsRemoved() throws {
    let code = "import os\nWHERE = os.getcwd()\nopen('scratch.txt', 'w').write('hi')\n"
    let result = try PythonSandbox(limits: limits, isolationPolicy: .disabled).run(
      solution: code, tests: ["assert WHERE.split('/')[-1].startswith('whet-sandbox-')"])
    #expect(result.outcome == .passed, "\(result)")
    #expect(!result.isolation.namespaces)
  }

  @Test func syntaxErrorIsAnError() throws {
    let result = try sandbox.run(solution: "def f(:\n", tests: ["assert f() == 1"])
    #expect(result.outcome == .error("SyntaxError: invalid syntax"), "\(result)")
  }

  @Test func codeVerifierScoresCompletions() async throws {
    let verifier = CodeVerifier(sandbox: sandbox)
    let tests = #"["assert square(3) == 9", "assert square(-2) == 4"]"#
    let items = [
      ScoringItem(
        prompt: "Write square(x).",
        completion: "Here you go:\n```python\ndef square(x):\n    return x * x\n```\n",
        columns: ["tests": tests]),
      ScoringItem(
        prompt: "Write square(x).", completion: "```python\ndef square(x):\n    return 2 * x\n```",
        columns: ["tests": tests]),
      ScoringItem(
        prompt: "Write square(x).", completion: "def square(x): return x ** 2",
        columns: ["tests": "assert square(4) == 16"]),
      ScoringItem(prompt: "Write square(x).", completion: "def square(x): return x ** 2"),
    ]
    let scores = try await verifier.score(items)
    #expect(scores.map(\.value) == [1, 0, 1, nil])
  }

  @Test func codeAndTestsAreExtracted() {
    #expect(CodeVerifier.code(in: "a\n```python\nx = 1\n```\nb\n```py\ny = 2\n```") == "y = 2\n")
    #expect(CodeVerifier.code(in: "```\nz = 3\n```") == "z = 3\n")
    #expect(CodeVerifier.code(in: "w = 4") == "w = 4")
    #expect(
      CodeVerifier.tests(from: #"["assert a", " ", "assert b"]"#) == ["assert a", "assert b"])
    #expect(
      CodeVerifier.tests(from: "assert f(1) == 2\nassert f(2) == 3") == [
        "assert f(1) == 2\nassert f(2) == 3"
      ])
    #expect(CodeVerifier.tests(from: "  ").isEmpty)
  }

  /// Starting a run while OpenBLAS threads are busy in another thread: glibc's `fork` would
  /// run OpenBLAS's prefork handler, which joins its workers and could hang (it did); the
  /// sandbox forks without atfork handlers.
  @Test(.timeLimit(.minutes(1))) func runsStartWhileBLASIsBusy() async throws {
    let busy = Task.detached {
      let a = Tensor(shape: [256, 256]) { p in for i in 0..<p.count { p[i] = Float(i % 7) } }
      var sum: Float = 0
      let end = Date().addingTimeInterval(3)
      while Date() < end { sum += Tensor.matmul(a, a).scalars[0] }
      return sum
    }
    for _ in 0..<6 {
      let result = try sandbox.run(
        solution: "def add(a, b):\n    return a + b\n", tests: ["assert add(1, 2) == 3"])
      #expect(result.outcome == .passed, "\(result)")
    }
    _ = await busy.value
  }
}
