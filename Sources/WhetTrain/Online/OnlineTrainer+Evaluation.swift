import Foundation
import WhetData
import WhetLM
import WhetNN
import WhetRewards
import WhetTensor

extension OnlineTrainer {
  /// Greedy completions of the held-out prompts from the policy as it is now, scored by the
  /// evaluation reward: `eval_greedy_accuracy` (its mean) and `eval_completion_length`.
  func evaluate(step: Int) async throws -> [String: Float] {
    guard let evaluationReward else { return [:] }
    var rollouts: [Rollout] = []
    try sampler.generator.generate(
      prompts: evaluation.map(\.tokens), parameters: .greedy(maxTokens: online.maxCompletionLength),
      rowsPerBatch: online.generationBatchSize
    ) { first, outputs in
      for (k, g) in outputs.enumerated() {
        rollouts.append(Rollout(prompt: first + k, generation: g))
      }
    }
    let scores = try await evaluationReward.score(
      RolloutBatch(prompts: evaluation, rollouts: rollouts, groupSize: 1))
    let present = scores.compactMap { $0 }
    let folder = directory.appendingPathComponent("eval")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    try JSONLWriter.write(
      zip(evaluation, zip(rollouts, scores)).map { prompt, pair in
        [
          "prompt": .string(prompt.text), "completion": .string(pair.0.text),
          "reward": pair.1.map(JSONValue.number) ?? .null,
        ]
      }, to: folder.appendingPathComponent(String(format: "step-%06d.jsonl", step)))
    let accuracy = present.isEmpty ? 0 : present.reduce(0, +) / Double(present.count)
    progress(String(format: "held-out %@ at step %d: %.3f", evaluationReward.name, step, accuracy))
    return [
      "eval_greedy_accuracy": Float(accuracy),
      "eval_completion_length": Float(Self.mean(rollouts.map { Double($0.tokens.count) })),
    ]
  }

  /// Every completion of round `round` with its prompt (text, and the data file's line), group
  /// and rewards: `rollouts/round-N.jsonl`.
  func writeRollouts(
    round: Int, _ rollouts: [Rollout], prompts: [OnlinePrompt], rewards: [[Double?]],
    names: [String]
  ) throws {
    let folder = directory.appendingPathComponent("rollouts")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let url = folder.appendingPathComponent(String(format: "round-%06d.jsonl", round))
    try JSONLWriter.write(
      zip(zip(rollouts, prompts), rewards).map { pair, row in
        let (r, prompt) = pair
        var object: [String: JSONValue] = [
          "prompt": .string(prompt.text), "line": .number(Double(prompt.line)),
          "group": .number(Double(r.prompt)), "completion": .string(r.text),
          "tokens": .number(Double(r.tokens.count)), "truncated": .bool(r.truncated),
        ]
        var scores: [String: JSONValue] = [:]
        for (k, name) in names.enumerated() where k < row.count {
          scores[name] = row[k].map(JSONValue.number) ?? .null
        }
        object["rewards"] = .object(scores)
        return object
      }, to: url)
  }
}
