import Foundation
import WhetData
import WhetLM
import WhetNN
import WhetRewards
import WhetTrain

/// `train.grpo.step` and `train.grpo.step.lora`: the shape of `../shared/peers/bench_trl_grpo.py`
/// — its 8 conversational arithmetic prompts × G = 8, up to 128 new tokens, temperature 0.7,
/// learning rate 1e-6, the `math` reward, TRL's GRPO defaults otherwise (dapo, β = 0, μ = 1) —
/// through a real `whet train grpo` run. Per step: the median of steps 2…, and the
/// generation/training split from the run's own timing.
func rlBenchmarks(modelPath: String, names: Set<String>) async throws -> [(
  String, Double, String, [String: Any]
)] {
  let rows = [(2, 1), (3, 4), (5, 2), (6, 3), (1, 7), (4, 4), (8, 1), (2, 6)].enumerated().map {
    i, pair -> (line: Int, row: DatasetRow) in
    let prompt =
      "Jack has \(pair.0) coins. Jack finds \(pair.1) more coins. How many coins does Jack have now? Answer with just the number."
    return (
      i + 1,
      DatasetRow(
        content: .prompt(.messages([ChatMessage(role: "user", content: prompt)])),
        extras: ["answer": .string(String(pair.0 + pair.1))])
    )
  }
  let lora = LoRAConfiguration(
    rank: 16, alpha: 32, dropout: 0.05,
    targets: ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])
  var out: [(String, Double, String, [String: Any])] = []
  for (name, adapters) in [("train.grpo.step", nil), ("train.grpo.step.lora", lora)]
  where names.contains(name) {
    let model = try LanguageModel.load(modelPath)
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
      "whet-bench-grpo-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: directory) }
    var run = OnlineRun(model: model, directory: directory)
    run.lora = adapters
    run.configuration.maxSteps = 3
    run.configuration.batchSize = 16
    run.configuration.learningRate = 1e-6
    run.online.numGenerations = 8
    run.online.promptsPerStep = 8
    run.online.maxCompletionLength = 128
    run.online.temperature = 0.7
    var stamps: [UInt64] = []
    run.progress = { line in
      if line.hasPrefix("step ") { stamps.append(DispatchTime.now().uptimeNanoseconds) }
    }
    // The first step starts at the first rollout: stamp the start too.
    stamps.append(DispatchTime.now().uptimeNanoseconds)
    _ = try await run.run(
      .grpo, train: OfflineRun.Rows(file: "bench-grpo", rows: rows),
      rewards: [SourceReward(MathVerifier())], evaluationReward: nil)
    let gaps = zip(stamps.dropFirst(), stamps).map { Double($0 - $1) / 1e9 }
    let steady = Array(gaps.dropFirst()).sorted()
    let metrics = try JSONLReader.readAll(directory.appendingPathComponent("metrics.jsonl"))
    func median(_ key: String) -> Double {
      let values = metrics.dropFirst().compactMap { $0[key]?.numberValue }.sorted()
      return values.isEmpty ? .nan : values[values.count / 2]
    }
    out.append(
      (
        name, steady.isEmpty ? .nan : steady[steady.count / 2], "s/step",
        [
          "prompts": 8, "G": 8, "max_new_tokens": 128, "temperature": 0.7,
          "adapters": adapters == nil
            ? "none (full fine-tuning, AdamW)" : "LoRA r16 all projections",
          "micro_batch": 16, "steps_s": gaps.map { ($0 * 1000).rounded() / 1000 },
          "generation_s": median("timing/generation_seconds"),
          "training_s": median("timing/training_seconds"),
          "generation_tokens_per_s": median("timing/generation_tokens_per_second"),
          "mean_completion_length": median("completions/mean_length"),
        ]
      ))
  }
  return out
}
