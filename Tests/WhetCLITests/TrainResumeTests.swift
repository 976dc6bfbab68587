import Foundation
import TestSupport
import Testing

/// `whet train` killed with SIGKILL mid-run and resumed gives the same metric lines as an
/// uninterrupted run (weights, optimizer moments, data position and the LoRA dropout
/// generators all come back exactly), on a tiny random Llama (the architecture fixture).
@Suite(.serialized) struct TrainResumeTests {
  static let model = Fixtures.file("WhetLMTests", "architectures/llama/hf").path

  static func data() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent(
      "whet-resume-\(UUID().uuidString).jsonl")
    var lines: [String] = []
    for i in 0..<24 {
      lines.append(
        #"{"prompt": "Q\#(i): what comes after \#(i)?", "chosen": " \#(i + 1) indeed", "rejected": " \#(i + 7) no"}"#
      )
    }
    try lines.joined(separator: "\n").write(to: url, atomically: true, encoding: .utf8)
    return url
  }

  static func arguments(data: URL, out: URL) -> [String] {
    [
      "train", "dpo", "--model", model, "--data", data.path, "--out", out.path,
      "--num-train-epochs", "3", "--batch-size", "2", "--gradient-accumulation-steps", "2",
      "--save-steps", "4", "--lora-rank", "4", "--lora-dropout", "0.2", "--learning-rate", "1e-2",
      "--warmup-steps", "3",
    ]
  }

  /// The metric lines without the wall-clock ones.
  static func metrics(_ dir: URL) throws -> [[String: Double]] {
    let text = try String(contentsOf: dir.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
    return try text.split(separator: "\n").map { line in
      var object = try #require(
        try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Double])
      object["tokens_per_second"] = nil
      return object
    }
  }

  @Test func killedAndResumedRunMatchesAnUninterruptedOne() throws {
    let data = try Self.data()
    let root = FileManager.default.temporaryDirectory.appendingPathComponent(
      "whet-resume-\(UUID().uuidString)")
    defer {
      try? FileManager.default.removeItem(at: root)
      try? FileManager.default.removeItem(at: data)
    }
    let straight = root.appendingPathComponent("straight")
    let whole = try CLITests.whet(Self.arguments(data: data, out: straight))
    #expect(whole.status == 0, "\(whole.stderr)")
    let expected = try Self.metrics(straight)
    #expect(expected.count == 18)

    // Start again and kill it once it is past its second checkpoint (step 8) but not done.
    let killed = root.appendingPathComponent("killed")
    let process = Process()
    process.executableURL = CLITests.executable
    process.arguments = Self.arguments(data: data, out: killed)
    process.standardError = FileHandle.nullDevice
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    let metricsFile = killed.appendingPathComponent("metrics.jsonl").path
    let deadline = Date().addingTimeInterval(120)
    while process.isRunning, Date() < deadline {
      let lines = (try? String(contentsOfFile: metricsFile, encoding: .utf8))?.split(
        separator: "\n")
      if (lines?.count ?? 0) >= 10 { break }
      usleep(500)
    }
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
    #expect(process.terminationReason == .uncaughtSignal, "the run ended before it was killed")
    let partial = try Self.metrics(killed)
    #expect(partial.count < expected.count)

    let resumed = try CLITests.whet(Self.arguments(data: data, out: killed) + ["--resume"])
    #expect(resumed.status == 0, "\(resumed.stderr)")
    #expect(try Self.metrics(killed) == expected)
  }

  /// `--gradient-checkpointing` (recomputing each block in the backward pass, LoRA dropout
  /// drawn again from the same state) writes the same metric lines as keeping the activations.
  @Test func gradientCheckpointingTrainsTheSameRun() throws {
    let data = try Self.data()
    let root = FileManager.default.temporaryDirectory.appendingPathComponent(
      "whet-recompute-\(UUID().uuidString)")
    defer {
      try? FileManager.default.removeItem(at: root)
      try? FileManager.default.removeItem(at: data)
    }
    func run(_ name: String, _ extra: [String]) throws -> [[String: Double]] {
      let out = root.appendingPathComponent(name)
      let result = try CLITests.whet(
        Self.arguments(data: data, out: out) + ["--max-steps", "5"] + extra)
      #expect(result.status == 0, "\(result.stderr)")
      return try Self.metrics(out)
    }
    let plain = try run("plain", [])
    #expect(plain.count == 5)
    #expect(try run("checkpointed", ["--gradient-checkpointing"]) == plain)
  }

  /// A learning rate that blows the loss up stops the run at the step it happened, names it,
  /// and leaves the last good checkpoint.
  @Test func nonFiniteLossStopsTheRunAndNamesTheStep() throws {
    let data = try Self.data()
    let out = FileManager.default.temporaryDirectory.appendingPathComponent(
      "whet-nan-\(UUID().uuidString)")
    defer {
      try? FileManager.default.removeItem(at: out)
      try? FileManager.default.removeItem(at: data)
    }
    let run = try CLITests.whet([
      "train", "dpo", "--model", Self.model, "--data", data.path, "--out", out.path,
      "--max-steps", "40", "--batch-size", "2", "--save-steps", "1", "--full",
      "--learning-rate", "1e30", "--max-grad-norm", "0",
    ])
    #expect(run.status != 0)
    #expect(run.stderr.contains("is not finite"), "\(run.stderr)")
    #expect(run.stderr.contains("the last good checkpoint is"), "\(run.stderr)")
  }

  /// `--config` supplies any flag from YAML (nested keys join with `_`); flags on the command
  /// line win; a key that is no flag is refused by name.
  @Test func yamlConfigSuppliesFlags() throws {
    let data = try Self.data()
    let root = FileManager.default.temporaryDirectory.appendingPathComponent(
      "whet-config-\(UUID().uuidString)")
    defer {
      try? FileManager.default.removeItem(at: root)
      try? FileManager.default.removeItem(at: data)
    }
    try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    let out = root.appendingPathComponent("run")
    let yaml = """
      model: \(Self.model)
      data: \(data.path)
      out: \(out.path)
      batch_size: 2
      max_steps: 7
      beta: 0.2
      loss_type: [sigmoid, sft]
      loss_weights: [1.0, 0.5]
      lora:
        rank: 4
        dropout: 0.0
      """
    let config = root.appendingPathComponent("run.yaml")
    try yaml.write(to: config, atomically: true, encoding: .utf8)
    let run = try CLITests.whet(["train", "dpo", "--config", config.path, "--max-steps", "3"])
    #expect(run.status == 0, "\(run.stderr)")
    let lines = try Self.metrics(out)
    #expect(lines.count == 3)
    let adapterConfig = try #require(
      try JSONSerialization.jsonObject(
        with: Data(contentsOf: out.appendingPathComponent("adapter/adapter_config.json")))
        as? [String: Any])
    #expect(adapterConfig["r"] as? Int == 4)

    try (yaml + "\nlora_rnk: 3\n").write(to: config, atomically: true, encoding: .utf8)
    let bad = try CLITests.whet(["train", "dpo", "--config", config.path])
    #expect(bad.status != 0)
    #expect(bad.stderr.contains("lora-rnk"), "\(bad.stderr)")
  }

  /// SimPO through `whet train cpo` trains (the loss falls) and writes its adapter.
  @Test func simpoTrainsThroughTheCLI() throws {
    let data = try Self.data()
    let out = FileManager.default.temporaryDirectory.appendingPathComponent(
      "whet-simpo-\(UUID().uuidString)")
    defer {
      try? FileManager.default.removeItem(at: out)
      try? FileManager.default.removeItem(at: data)
    }
    let run = try CLITests.whet([
      "train", "cpo", "--model", Self.model, "--data", data.path, "--out", out.path,
      "--loss-type", "simpo", "--cpo-alpha", "0", "--beta", "2", "--max-steps", "12",
      "--batch-size", "4", "--learning-rate", "1e-2", "--lora-rank", "4",
    ])
    #expect(run.status == 0, "\(run.stderr)")
    let lines = try Self.metrics(out)
    #expect(lines.count == 12)
    let first = try #require(lines.first?["loss"])
    let last = try #require(lines.last?["loss"])
    #expect(last < first, "loss \(first) → \(last)")
    #expect(
      FileManager.default.fileExists(
        atPath: out.appendingPathComponent("adapter/adapter_model.safetensors").path))
  }
}
