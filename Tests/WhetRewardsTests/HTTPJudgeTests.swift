import Foundation
import TestSupport
import Testing

@testable import WhetRewards

/// The HTTP backend against a local mock endpoint (`Fixtures/mock_openai.py`).
@Suite(.serialized) struct HTTPJudgeTests {
  final class MockServer {
    let process = Process()
    let port: Int
    let countFile = FileManager.default.temporaryDirectory.appendingPathComponent(
      "mock-count-\(UUID().uuidString)")

    init() throws {
      process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
      process.arguments = [
        "python3", Fixtures.file("WhetRewardsTests", "mock_openai.py").path, countFile.path,
      ]
      let out = Pipe()
      process.standardOutput = out
      // Not the test's own stderr: a child holding it open would keep `swift test` waiting.
      process.standardError = FileHandle.nullDevice
      try process.run()
      var line = Data()
      while !line.contains(UInt8(ascii: "\n")) {
        let chunk = out.fileHandleForReading.availableData
        if chunk.isEmpty { break }
        line.append(chunk)
      }
      port =
        Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        ?? 0
    }

    var url: String { "http://127.0.0.1:\(port)/v1" }

    /// Completion requests the server has received.
    func count() -> Int { Int((try? String(contentsOf: countFile, encoding: .utf8)) ?? "0") ?? 0 }

    func stop() {
      kill(process.processIdentifier, SIGKILL)
      process.waitUntilExit()
      try? FileManager.default.removeItem(at: countFile)
    }
  }

  @Test func repliesProbabilitiesRetriesTimeoutsAndCache() async throws {
    let server = try MockServer()
    defer { server.stop() }
    #expect(server.port > 0)
    let cache = FileManager.default.temporaryDirectory.appendingPathComponent(
      "whet-judge-cache-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: cache) }
    let backend = HTTPJudgeBackend(
      baseURL: server.url, model: "mock", timeoutSeconds: 1, retries: 2, concurrency: 2,
      cacheDirectory: cache)
    #expect(try await backend.complete(["hello"], maxTokens: 8) == ["Looks fine. Score: 3"])
    // P(yes) / (P(yes) + P(no)) = 0.6 / 0.8.
    let p = try await backend.yesProbability(["is it?"])
    #expect(abs((p[0] ?? .nan) - 0.75) < 1e-9)
    // A 500 on the first try is retried.
    #expect(try await backend.complete(["FLAKY one"], maxTokens: 8) == ["Looks fine. Score: 3"])
    // The cache answers a repeated request without reaching the server.
    let before = server.count()
    _ = try await backend.complete(["hello"], maxTokens: 8)
    #expect(server.count() == before)
    // A server slower than the timeout: a typed timeout error after the retries, not a hang.
    let start = Date()
    await #expect(throws: JudgeError.self) {
      try await backend.complete(["SLOW please"], maxTokens: 8)
    }
    #expect(Date().timeIntervalSince(start) < 8)
  }

  @Test func unreachableEndpointIsATypedError() async throws {
    let backend = HTTPJudgeBackend(
      baseURL: "http://127.0.0.1:9/v1", model: "m", timeoutSeconds: 1, retries: 1)
    await #expect(throws: JudgeError.self) { try await backend.complete(["x"], maxTokens: 4) }
  }

  /// Digests from `sha256sum` (coreutils): the NIST "abc" vector and a full request.
  @Test func cacheKeyIsTheSHA256OfTheWholeRequest() {
    #expect(
      HTTPJudgeBackend.cacheKey("abc")
        == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    let request =
      "http://127.0.0.1:9/v1/chat/completions\n"
      + #"{"max_tokens":4,"messages":[{"content":"Is 2+2=4?","role":"user"}],"model":"m","temperature":0}"#
    #expect(
      HTTPJudgeBackend.cacheKey(request)
        == "c51e0fac669afd1efbc4fc7ae2425c1a919ec5da191def611514df8edebff432")
  }
}
