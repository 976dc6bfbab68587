import Foundation
import WhetData
import WhetLM
import WhetNN
import WhetTensor
import WhetTrain

/// The shared peers' DPO data (`../shared/peers/bench_torch.py`, `dpo_data`): 8 prompts with a
/// careful and a careless description, as standard text.
func peerDPORows() -> OfflineRun.Rows {
  let subjects = [
    "the ocean", "a mountain", "the city", "a forest", "the desert", "a river", "the moon",
    "a library",
  ]
  let rows = subjects.enumerated().map { i, s -> (line: Int, row: DatasetRow) in
    let prompt =
      "Write a short, careful description of \(s). Mention what it looks like, how it sounds and why people visit it."
    let capital = s.prefix(1).uppercased() + s.dropFirst()
    let chosen =
      " \(capital) is vast and quiet in the early morning. Its colours shift with the light, and the air carries "
      + "a faint sound that changes through the day. People visit \(s) to rest, to think, and to feel small in a good way; "
      + "many return every year because it reminds them of home, and they bring friends along."
    let rejected =
      " \(s) is a thing. it is there. people go there sometimes i guess. it looks like \(s) and sounds like \(s). "
      + "there is not much to say about it and i do not know why anyone visits, it is just \(s), nothing else really. ok."
    return (
      i + 1,
      DatasetRow(
        content: .preference(
          prompt: .text(prompt), chosen: .text(chosen), rejected: .text(rejected)))
    )
  }
  return OfflineRun.Rows(file: "peer-dpo", rows: rows)
}

/// Seconds per optimizer step of a real `whet train` run (the shared loop, its checkpointing
/// at the end excluded): the gaps between the progress lines of steps 2…, median.
func trainStepSeconds(
  _ model: LanguageModel, lora: LoRAConfiguration?, steps: Int,
  _ body: (OfflineRun) throws -> TrainingSummary
) throws -> (median: Double, all: [Double], peakMB: Double) {
  let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
    "whet-bench-train-\(UUID().uuidString)")
  defer { try? FileManager.default.removeItem(at: directory) }
  var run = OfflineRun(model: model, directory: directory)
  run.lora = lora
  run.referenceCache = nil
  run.configuration.batchSize = 8
  run.configuration.maxSteps = steps
  run.configuration.learningRate = 1e-6
  run.configuration.maxGradNorm = nil
  var stamps: [UInt64] = []
  run.progress = { line in
    if line.hasPrefix("step ") { stamps.append(DispatchTime.now().uptimeNanoseconds) }
  }
  AllocationStatistics.resetPeak()
  let before = AllocationStatistics.liveBytes
  _ = try body(run)
  let peak = Double(AllocationStatistics.peakBytes - before) / 1e6
  let gaps = zip(stamps.dropFirst(), stamps).map { Double($0 - $1) / 1e9 }
  let sorted = gaps.sorted()
  return (sorted.isEmpty ? .nan : sorted[sorted.count / 2], gaps, peak)
}

/// `train.dpo.step`, `train.dpo.step.lora` and `train.sft.step` on the default model.
@MainActor func trainBenchmarks(modelPath: String) throws {
  let rows = peerDPORows()
  let lora = LoRAConfiguration(
    rank: 16, alpha: 32, dropout: 0.05,
    targets: ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])
  for (name, adapters) in [("train.dpo.step", nil), ("train.dpo.step.lora", lora)]
  where selected(name) {
    let model = try LanguageModel.load(modelPath)
    let (median, all, peak) = try trainStepSeconds(model, lora: adapters, steps: 4) { run in
      try run.dpo(DPOObjective(), train: rows)
    }
    let config: [String: Any] = [
      "pairs": 8, "batch": 8, "reference": "cached (computed once before the steps)",
      "adapters": adapters == nil ? "none (full fine-tuning, AdamW)" : "LoRA r16 all projections",
      "steps_s": all.map { ($0 * 1000).rounded() / 1000 },
    ]
    emit(name, median, unit: "s/step", config: config)
    emit(
      name + ".peak_memory", peak, unit: "MB",
      config: ["note": "tensors allocated above the loaded model"])
  }
  if selected("train.sft.step") {
    let model = try LanguageModel.load(modelPath)
    // 8 rows of 128 tokens: the peers' forward+backward+AdamW shape.
    var rng = SeededGenerator(seed: 12)
    let sftRows = (0..<8).map { i -> (line: Int, row: DatasetRow) in
      let ids = (0..<127).map { _ in 3 + Int(rng.next() % 49000) }
      return (i + 1, DatasetRow(content: .text(model.tokenizer.decode(ids))))
    }
    let (median, all, peak) = try trainStepSeconds(model, lora: nil, steps: 4) { run in
      var r = run
      r.maxLength = 128
      return try r.sft(train: OfflineRun.Rows(file: "bench-sft", rows: sftRows))
    }
    emit(
      "train.sft.step", median, unit: "s/step",
      config: [
        "batch": 8, "max_length": 128, "adapters": "none (full fine-tuning, AdamW)",
        "steps_s": all.map { ($0 * 1000).rounded() / 1000 },
      ])
    emit(
      "train.sft.step.peak_memory", peak, unit: "MB",
      config: ["note": "tensors allocated above the loaded model"])
  }
}
