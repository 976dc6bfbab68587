import Foundation
import TestSupport
import Testing

/// `whet train kto|orpo|rm` end to end on the tiny Llama fixture: each trains (its loss
/// falls), writes what it should, and a reward model's head is what `whet score --source rm:`
/// reads.
@Suite(.serialized) struct OfflineObjectivesCLITests {
  static let model = TrainResumeTests.model

  static func file(_ lines: [String]) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent(
      "whet-objectives-\(UUID().uuidString).jsonl")
    try lines.joined(separator: "\n").write(to: url, atomically: true, encoding: .utf8)
    return url
  }

  static func trains(_ command: [String], data: URL, extra: [String]) throws -> (
    out: URL, lines: [[String: Double]]
  ) {
    let out = FileManager.default.temporaryDirectory.appendingPathComponent(
      "whet-objectives-\(UUID().uuidString)")
    let run = try CLITests.whet(
      ["train"] + command + [
        "--model", model, "--data", data.path, "--out", out.path, "--batch-size", "4",
        "--learning-rate", "1e-2", "--lora-rank", "4",
      ] + extra)
    #expect(run.status == 0, "\(run.stderr)")
    let lines = try TrainResumeTests.metrics(out)
    let first = try #require(lines.first(where: { $0["loss"] != nil })?["loss"])
    let last = try #require(lines.last(where: { $0["loss"] != nil })?["loss"])
    #expect(last < first, "\(command): loss \(first) → \(last)")
    return (out, lines)
  }

  @Test func ktoAndORPOTrain() throws {
    var unpaired: [String] = []
    for i in 0..<12 {
      unpaired.append(
        #"{"prompt": "Q\#(i): after \#(i)?", "completion": " \#(i + 1)", "label": true}"#)
      unpaired.append(
        #"{"prompt": "Q\#(i): after \#(i)?", "completion": " \#(i + 5)", "label": false}"#)
    }
    let kto = try Self.file(unpaired)
    let pairs = try TrainResumeTests.data()
    defer {
      try? FileManager.default.removeItem(at: kto)
      try? FileManager.default.removeItem(at: pairs)
    }
    let k = try Self.trains(["kto"], data: kto, extra: ["--max-steps", "10", "--beta", "0.5"])
    #expect(k.lines.allSatisfy { $0["kl"] != nil && $0["rewards/chosen"] != nil })
    let o = try Self.trains(["orpo"], data: pairs, extra: ["--max-steps", "10"])
    #expect(o.lines.allSatisfy { $0["log_odds_ratio"] != nil })
    for out in [k.out, o.out] {
      #expect(
        FileManager.default.fileExists(
          atPath: out.appendingPathComponent("adapter/adapter_model.safetensors").path))
      try? FileManager.default.removeItem(at: out)
    }
  }

  /// A reward model learns the pairs (held-out accuracy reported), and `whet score --source
  /// rm:OUT` ranks a chosen answer above its rejected one as the trained head does; a scorer
  /// trained on a column regresses it.
  @Test func rewardModelAndScorerTrainAndScore() throws {
    let pairs = try TrainResumeTests.data()
    var scored: [String] = []
    for i in 0..<16 {
      scored.append(
        #"{"prompt": "Q\#(i)", "completion": " \#(i % 2 == 0 ? "even" : "odd")", "scores": {"w": \#(i % 2 == 0 ? 0.9 : 0.1)}}"#
      )
    }
    let scoredFile = try Self.file(scored)
    defer {
      try? FileManager.default.removeItem(at: pairs)
      try? FileManager.default.removeItem(at: scoredFile)
    }
    let rm = try Self.trains(
      ["rm"], data: pairs,
      extra: ["--num-train-epochs", "3", "--eval-data", pairs.path, "--lora-rank", "8"])
    defer { try? FileManager.default.removeItem(at: rm.out) }
    let accuracy = try #require(rm.lines.last?["eval_accuracy"])
    #expect(accuracy >= 0.75, "held-out pair accuracy \(accuracy)")
    // The split is evaluated before the first step too (the report's "before").
    #expect(rm.lines.first?["step"] == 0 && rm.lines.first?["eval_accuracy"] != nil)
    let report = try String(
      contentsOf: rm.out.appendingPathComponent("report.html"), encoding: .utf8)
    #expect(report.contains("<svg") && report.contains("before (step 0)"))
    #expect(
      FileManager.default.fileExists(
        atPath: rm.out.appendingPathComponent("score.safetensors").path))

    // Score each pair's chosen and rejected answers through `whet score`, as standard text.
    var candidates: [String] = []
    for i in 0..<24 {
      candidates.append(
        #"{"prompt": "Q\#(i): what comes after \#(i)?", "completion": " \#(i + 1) indeed"}"#)
      candidates.append(
        #"{"prompt": "Q\#(i): what comes after \#(i)?", "completion": " \#(i + 7) no"}"#)
    }
    let candidateFile = try Self.file(candidates)
    defer { try? FileManager.default.removeItem(at: candidateFile) }
    let scoredRun = try CLITests.whet([
      "score", "--model", Self.model, "--data", candidateFile.path, "--source", "rm:\(rm.out.path)",
      "--no-chat",
    ])
    #expect(scoredRun.status == 0, "\(scoredRun.stderr)")
    let rewards = try scoredRun.stdout.split(separator: "\n").map { line -> Double in
      let object = try #require(
        try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
      let scores = try #require(object["scores"] as? [String: Double])
      return try #require(scores["rm:\(rm.out.path)"])
    }
    let right = stride(from: 0, to: rewards.count, by: 2).filter { rewards[$0] > rewards[$0 + 1] }
      .count
    #expect(Double(right) / 24 >= accuracy - 0.01, "whet score ranks \(right)/24 pairs right")

    // A scorer fine-tuned in full: its model directory and head score the rows it learnt.
    let scorer = try Self.trains(
      ["rm"], data: scoredFile,
      extra: [
        "--score-column", "scores.w", "--pointwise-loss", "regression", "--max-steps", "12",
        "--full", "--learning-rate", "3e-3",
      ])
    defer { try? FileManager.default.removeItem(at: scorer.out) }
    #expect(
      FileManager.default.fileExists(
        atPath: scorer.out.appendingPathComponent("model/model.safetensors").path))
    let rescored = try CLITests.whet([
      "score", "--model", Self.model, "--data", scoredFile.path, "--source",
      "rm:\(scorer.out.path)", "--no-chat",
    ])
    #expect(rescored.status == 0, "\(rescored.stderr)")
    let values = try rescored.stdout.split(separator: "\n").map { line -> Double in
      let object = try #require(
        try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
      return try #require((object["scores"] as? [String: Double])?["rm:\(scorer.out.path)"])
    }
    let even = stride(from: 0, to: 16, by: 2).map { values[$0] }
    let odd = stride(from: 1, to: 16, by: 2).map { values[$0] }
    #expect(even.min()! > odd.max()!, "even \(even) odd \(odd)")
  }
}
