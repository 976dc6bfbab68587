import Foundation
import TestSupport
import Testing

/// End-to-end runs of the `whet` executable, checking the output contracts later tools read.
@Suite struct CLITests {
  struct Run {
    var status: Int32
    var stdout: String
    var stderr: String
    var json: [String: Any]? {
      (try? JSONSerialization.jsonObject(with: Data(stdout.utf8))) as? [String: Any]
    }
  }

  /// `whet` sits beside the test bundle in the build directory.
  static let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    .deletingLastPathComponent().appendingPathComponent("whet")

  static func whet(_ arguments: [String], input: String? = nil) throws -> Run {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    process.currentDirectoryURL = Fixtures.repositoryRoot
    let out = Pipe(), err = Pipe(), inPipe = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = inPipe
    try process.run()
    if let input { inPipe.fileHandleForWriting.write(Data(input.utf8)) }
    try inPipe.fileHandleForWriting.close()
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Run(
      status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
      stderr: String(decoding: stderr, as: UTF8.self))
  }

  nonisolated(unsafe) static let reference: [String: Any]? = {
    guard let root = try? Fixtures.json("WhetLMTests", "smollm2_reference.json") as? [String: Any]
    else { return nil }
    return (root["prompts"] as? [[String: Any]])?.first
  }()

  @Test func tokenizeChatMatchesTransformers() throws {
    let ref = try #require(Self.reference)
    let run = try Self.whet(["tokenize", "--chat", "--json", "What is the capital of France?"])
    #expect(run.status == 0, "\(run.stderr)")
    #expect(run.json?["ids"] as? [Int] == ref["input_ids"] as? [Int])
  }

  @Test func logprobsMatchTransformers() throws {
    let ref = try #require(Self.reference)
    let run = try Self.whet([
      "logprobs", "--chat", "--top", "5", "--json", "What is the capital of France?",
    ])
    #expect(run.status == 0, "\(run.stderr)")
    let top = try #require(run.json?["top"] as? [[String: Any]])
    let expected = try #require(ref["last_top5"] as? [[String: Any]])
    #expect(top.map { $0["id"] as? Int } == expected.map { $0["id"] as? Int })
    for (a, b) in zip(top, expected) {
      #expect(abs((a["logit"] as? Double ?? .nan) - (b["logit"] as? Double ?? 0)) < 1e-3)
      #expect(abs((a["logprob"] as? Double ?? .nan) - (b["logprob"] as? Double ?? 0)) < 1e-3)
      #expect(a["token"] as? String == b["token"] as? String)
    }
  }

  @Test func greedyGenerateAnswersTheReference() throws {
    let ref = try #require(Self.reference)
    let run = try Self.whet([
      "generate", "--chat", "--json", "--temperature", "0", "--max-tokens", "16",
      "What is the capital of France?",
    ])
    #expect(run.status == 0, "\(run.stderr)")
    let completion = try #require((run.json?["completions"] as? [[String: Any]])?.first)
    // The reference continuation ends with <|im_end|>, which stops generation and is not returned.
    #expect(
      completion["text"] as? String
        == (ref["greedy_16_text"] as? String)?.replacingOccurrences(of: "<|im_end|>", with: ""))
    #expect(completion["finish_reason"] as? String == "eos")
    #expect((completion["logprobs"] as? [Double])?.count == (completion["tokens"] as? [Int])?.count)
  }

  @Test func chatReadsTurnsFromStandardInput() throws {
    let run = try Self.whet(
      ["chat", "--temperature", "0", "--max-tokens", "12"],
      input: "What is the capital of France?\n\n")
    #expect(run.status == 0, "\(run.stderr)")
    #expect(run.stdout.contains("Paris"))
  }

  @Test func missingAndCorruptModelsFailWithTheirPath() throws {
    let missing = try Self.whet(["tokenize", "--model", "/nonexistent/model.gguf", "hi"])
    #expect(missing.status != 0)
    #expect(missing.stderr.contains("/nonexistent/model.gguf"))
    // A truncated copy of the real model.
    let source = try Data(contentsOf: Fixtures.defaultModel, options: .alwaysMapped)
    let truncated = FileManager.default.temporaryDirectory.appendingPathComponent(
      "whet-truncated-\(UUID().uuidString).gguf")
    defer { try? FileManager.default.removeItem(at: truncated) }
    try source.prefix(source.count / 2).write(to: truncated)
    let run = try Self.whet(["generate", "--model", truncated.path, "hi"])
    #expect(run.status != 0)
    #expect(run.stderr.contains(truncated.path))
    #expect(!run.stderr.contains("Fatal error"))
  }
}
