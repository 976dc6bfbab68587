import Foundation
import Testing

@testable import WhetRewards

/// What the RL violation log calls a violation, on real sandboxed runs of the exploit kinds:
/// running out the clock, reaching for the network, leaving before the tests, killing itself,
/// flooding the output; and what it does not (a wrong answer, a syntax error, a pass).
@Suite struct SandboxViolationTests {
  static let sandbox = PythonSandbox(
    limits: SandboxLimits(
      wallClockSeconds: 3, cpuSeconds: 1, memoryBytes: 256 << 20, maxProcesses: 16,
      outputBytes: 16 << 10, scratchBytes: 8 << 20))
  static let tests = ["assert add(1, 2) == 3"]

  static func kind(_ solution: String) throws -> SandboxViolation.Kind? {
    let result = try sandbox.run(solution: solution, tests: tests)
    return SandboxViolation.classify(result)?.kind
  }

  @Test func exploitsAreViolations() throws {
    #expect(try Self.kind("def add(a, b):\n    while True: pass\n") == .timeLimit)
    #expect(
      try Self.kind(
        "import socket\nsocket.create_connection(('1.1.1.1', 80))\ndef add(a, b):\n    return a + b\n"
      )
        == .blockedOperation)
    #expect(
      try Self.kind("import os\nos._exit(0)\ndef add(a, b):\n    return a + b\n") == .earlyExit)
    #expect(
      try Self.kind("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n") == .killed)
    #expect(
      try Self.kind("print('x' * 100000)\ndef add(a, b):\n    return a + b\n") == .outputLimit)
  }

  @Test func honestFailuresAreNot() throws {
    #expect(try Self.kind("def add(a, b):\n    return a + b\n") == nil)
    #expect(try Self.kind("def add(a, b):\n    return 0\n") == nil)
    #expect(try Self.kind("def add(a, b) return\n") == nil)
  }
}
