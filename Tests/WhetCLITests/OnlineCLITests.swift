import Foundation
import TestSupport
import Testing

/// `whet train grpo|rloo|reinforce-pp|topr|raft|online-dpo` end to end on the tiny Llama
/// fixture: each runs its steps, logs TRL's metric names, evaluates the held-out prompts
/// before and after, and writes the adapter and the report; bad settings are refused with
/// the setting named.
@Suite(.serialized) struct OnlineCLITests {
  static let model = TrainResumeTests.model

  static func prompts() throws -> URL {
    let lines = (0..<6).map { i in #"{"prompt": "Count to \#(i + 2):", "answer": "\#(i + 2)"}"# }
    return try OfflineObjectivesCLITests.file(lines)
  }

  @Test(arguments: ["grpo", "rloo", "reinforce-pp", "topr", "raft", "online-dpo"])
  func everyObjectiveTrains(_ command: String) throws {
    let data = try Self.prompts()
    let out = FileManager.default.temporaryDirectory.appendingPathComponent(
      "whet-online-\(UUID().uuidString)")
    defer {
      try? FileManager.default.removeItem(at: data)
      try? FileManager.default.removeItem(at: out)
    }
    // `length:4` prefers completions near 4 words: rewards vary, so advantages are non-zero.
    let run = try CLITests.whet([
      "train", command, "--model", Self.model, "--data", data.path, "--eval-data", data.path,
      "--out", out.path, "--reward", "length:4:words", "--reward", "math", "--no-chat",
      "--num-generations", "3", "--prompts-per-step", "2", "--max-completion-length", "6",
      "--max-steps", "2", "--batch-size", "3", "--lora-rank", "4", "--learning-rate", "1e-3",
    ])
    #expect(run.status == 0, "\(command): \(run.stderr)")
    let lines = try TrainResumeTests.metrics(out)
    let steps = lines.filter { $0["loss"] != nil }
    #expect(steps.count == 2, "\(command): \(lines)")
    for name in [
      "reward", "rewards/length:4:words/mean", "rewards/math/abstained", "frac_reward_zero_std",
      "completions/mean_length", "entropy", "timing/generation_tokens_per_second",
    ] {
      #expect(steps.allSatisfy { $0[name] != nil }, "\(command): no \(name)")
    }
    #expect(lines.filter { $0["eval_greedy_accuracy"] != nil }.map { $0["step"] } == [0, 2])
    let fm = FileManager.default
    #expect(
      fm.fileExists(atPath: out.appendingPathComponent("adapter/adapter_model.safetensors").path))
    let report = try String(contentsOf: out.appendingPathComponent("report.html"), encoding: .utf8)
    #expect(report.contains("Held-out completions at the start and at the end"))
    // Each rollout names its prompt and the data line it came from (line i asks to count to
    // i + 1).
    let rollouts = try String(
      contentsOf: out.appendingPathComponent("rollouts/round-000001.jsonl"), encoding: .utf8
    ).split(separator: "\n").map {
      try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
    }
    #expect(rollouts.count == 6)
    for row in rollouts {
      let line = try #require(row["line"] as? Int)
      #expect(row["prompt"] as? String == "Count to \(line + 1):", "\(row)")
    }
  }

  @Test func badSettingsAreRefusedByName() throws {
    let data = try Self.prompts()
    defer { try? FileManager.default.removeItem(at: data) }
    let out = FileManager.default.temporaryDirectory.appendingPathComponent(
      "whet-online-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: out) }
    let base = [
      "train", "grpo", "--model", Self.model, "--data", data.path, "--out", out.path, "--no-chat",
    ]
    for (extra, words) in [
      (["--reward", "math", "--num-generations", "1"], "num_generations"),
      (["--reward", "math", "--temperature", "0"], "temperature"),
      (["--reward", "math", "--gradient-accumulation-steps", "2"], "gradient_accumulation_steps"),
      (["--reward", "math", "--reward-weights", "1,2"], "reward_weights"),
      (["--reward", "nonsense"], "nonsense"),
      ([String](), "--reward"),
    ] {
      let run = try CLITests.whet(base + extra)
      #expect(run.status != 0 && run.stderr.contains(words), "\(extra): \(run.stderr)")
    }
  }

  /// `whet compare` puts runs and given figures side by side, and names what it cannot read.
  @Test func compareWritesThePageAndTheTable() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "whet-compare-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    try Data(
      "{\"step\":0,\"eval_greedy_accuracy\":0.2}\n{\"step\":10,\"eval_greedy_accuracy\":0.3}\n".utf8
    ).write(to: dir.appendingPathComponent("metrics.jsonl"))
    let page = dir.appendingPathComponent("comparison.html")
    let run = try CLITests.whet([
      "compare", "--run", "GRPO=\(dir.path)", "--given", "offline DPO=0.375", "--out", page.path,
    ])
    #expect(run.status == 0, "\(run.stderr)")
    #expect(run.stdout.contains("| GRPO | 20.0 % | 30.0 % | +10.0 points |"), "\(run.stdout)")
    #expect(run.stdout.contains("| offline DPO |  | 37.5 % |"), "\(run.stdout)")
    #expect(FileManager.default.fileExists(atPath: page.path))
    let missing = try CLITests.whet(["compare", "--run", "x=\(dir.path)/nowhere"])
    #expect(missing.status != 0 && missing.stderr.contains("nowhere"), "\(missing.stderr)")
    let malformed = try CLITests.whet(["compare", "--given", "offline DPO"])
    #expect(malformed.status != 0 && malformed.stderr.contains("--given"), "\(malformed.stderr)")
  }
}
