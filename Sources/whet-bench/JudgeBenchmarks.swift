import Dispatch
import Foundation
import WhetEval
import WhetLM
import WhetRewards
import WhetTensor

/// Scoring throughput of the local judge on SmolLM2 in items/s: the yes/no correctness judge
/// (one prefill per item, P(yes) read from the next-token distribution) and the additive
/// 0–5 judge (greedy generation of its explanation and score). Items are arithmetic
/// questions paired with answers of about 40 tokens, half right and half wrong.
func judgeBenchmarks(
  modelPath: String, include: (String) -> Bool,
  emit: (String, Double, String, [String: Any]) -> Void
) throws {
  let lm = try LanguageModel.load(modelPath)
  let tasks = TaskSuite.arithmetic.generate(n: 64, seed: 99)
  let items = tasks.enumerated().map { i, task in
    let claimed = i % 2 == 0 ? task.answer : String((Int(task.answer) ?? 0) + 1)
    return ScoringItem(
      prompt: task.prompt,
      completion:
        "Let me work through the changes one at a time and keep track of the count after each step. After all the steps, the total comes to \(claimed). The answer is \(claimed)."
    )
  }
  let backend = LocalJudgeBackend(model: lm)
  let yesNo = CorrectnessJudge(
    name: "judge:local:yes", backend: backend,
    prompt: try JudgePrompt.bundled("correctness_yes_no"))
  let additive = PointwiseJudge(
    name: "judge:local", backend: backend, prompt: try JudgePrompt.bundled("pointwise_additive"))
  let judges:
    [(
      figure: String, judge: any RewardSource, template: JudgePrompt, items: Int,
      precision: MatMulPrecision
    )] = [
      ("judge.local_yes", yesNo, yesNo.prompt, 64, .fp32),
      ("judge.local_yes.bf16", yesNo, yesNo.prompt, 64, .bf16),
      ("judge.local_additive", additive, additive.prompt, 16, .fp32),
    ]
  for (figure, judge, template, count, precision) in judges where include(figure) {
    let batch = Array(items.prefix(count))
    let promptTokens = try batch.map { try lm.encode(template.render($0), chat: true).count }
    func score(_ items: [ScoringItem]) throws -> [Score] {
      try blocking {
        try await MixedPrecision.$matmul.withValue(precision) { try await judge.score(items) }
      }
    }
    _ = try score(Array(batch.prefix(4)))  // warm-up
    let start = DispatchTime.now().uptimeNanoseconds
    let scores = try score(batch)
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    emit(
      figure, Double(count) / seconds, "items/s",
      [
        "items": count, "model": "SmolLM2-135M-Instruct",
        "mean_prompt_tokens": Double(promptTokens.reduce(0, +)) / Double(count),
        "abstained": scores.filter { $0.value == nil }.count, "batch": backend.batchSize,
        "precision": precision.rawValue,
      ])
  }
}

/// Runs async work to completion from synchronous benchmark code.
func blocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
  let done = DispatchSemaphore(value: 0)
  nonisolated(unsafe) var result: Result<T, any Error>?
  Task.detached {
    do { result = .success(try await body()) } catch { result = .failure(error) }
    done.signal()
  }
  done.wait()
  return try result!.get()
}
