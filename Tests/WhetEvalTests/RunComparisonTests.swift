import Foundation
import Testing

@testable import WhetEval

/// The side-by-side page of training runs, on metric lines written by hand.
@Suite struct RunComparisonTests {
  static let math = RunComparison.Run(
    label: "GRPO math",
    lines: [
      ["step": 0, "eval_greedy_accuracy": 0.25],
      ["step": 1, "loss": 0.1, "timing/generation_seconds": 20, "timing/training_seconds": 70],
      ["step": 2, "loss": 0.1, "timing/generation_seconds": 25, "timing/training_seconds": 65],
      ["step": 2, "eval_greedy_accuracy": 0.5],
    ])
  static let majority = RunComparison.Run(
    label: "GRPO majority",
    lines: [
      ["step": 0, "eval_greedy_accuracy": 0.25], ["step": 1, "loss": 0.2, "train_runtime": 30],
      ["step": 1, "eval_greedy_accuracy": 0.375],
    ])

  @Test func tableHasEveryStepTheChangeAndTheWallClock() {
    let comparison = RunComparison(
      title: "t", runs: [Self.math, Self.majority],
      given: [RunComparison.Given(label: "offline DPO", value: 0.4)])
    let (headers, rows) = comparison.table()
    #expect(headers == ["arm", "step 0", "step 1", "step 2", "change", "generation + training"])
    // The given figure stands under the last step; nothing is made up for the other columns.
    #expect(rows[0] == ["offline DPO", "", "", "40.0 %", "–", "–"])
    // 20 + 70 + 25 + 65 = 180 s; 0.5 − 0.25 = +25 points.
    #expect(rows[1] == ["GRPO math", "25.0 %", "–", "50.0 %", "+25.0 points", "3 min"])
    // No timing lines: the logged train_runtime.
    #expect(rows[2] == ["GRPO majority", "25.0 %", "37.5 %", "–", "+12.5 points", "30 s"])
    #expect(comparison.markdown().split(separator: "\n").count == 2 + 3)
    let html = comparison.html()
    #expect(html.contains("<svg") && html.contains("GRPO majority") && html.contains("offline DPO"))
  }

  @Test func runsAreReadFromTheirDirectory() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "whet-compare-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    try Data(
      "{\"step\":0,\"eval_greedy_accuracy\":0.125}\n{\"step\":4,\"eval_greedy_accuracy\":0.25}\n"
        .utf8
    ).write(to: dir.appendingPathComponent("metrics.jsonl"))
    let run = try RunComparison.Run(label: "r", directory: dir)
    let evaluations = RunComparison(title: "t", runs: [run]).evaluations(run)
    #expect(evaluations.map(\.step) == [0, 4])
    #expect(evaluations.map(\.value) == [0.125, 0.25])
  }
}
