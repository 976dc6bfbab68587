import Foundation
import TestSupport
import Testing
import WhetData
import WhetLM
import WhetNN
import WhetRewards
import WhetTensor

@testable import WhetTrain

/// Online RL on SmolLM2-135M-Instruct: rollouts carry the log-probs of the distribution
/// actually sampled and keep the stopping token; the training forward reproduces them; a
/// killed run resumes to exactly the metrics of an uninterrupted one; and the rewards that
/// need the group (majority vote) score by hand.
@Suite(.serialized) struct OnlineRunTests {
  static func model() throws -> LanguageModel {
    try #require(try? LanguageModel.load(Fixtures.defaultModel.path), "run `make models`")
  }

  static func rows(_ lines: [String]) throws -> OfflineRun.Rows {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent(
      "whet-online-\(UUID().uuidString).jsonl")
    try Data(lines.joined(separator: "\n").utf8).write(to: url)
    defer { try? FileManager.default.removeItem(at: url) }
    return try OfflineRun.Rows.load(url)
  }

  static let prompts = [
    #"{"prompt": "Tom has 3 apples. He gets 2 more. How many apples does Tom have? Answer with just the number.", "answer": "5"}"#,
    #"{"prompt": "Ann has 9 pens. She loses 4. How many pens does Ann have? Answer with just the number.", "answer": "5"}"#,
    #"{"prompt": "What is 7 + 1? Answer with just the number.", "answer": "8"}"#,
  ]

  /// On the Float32 path, the log-prob the sampler reports for each sampled token (softmax of
  /// the logits over T) is the one the training forward computes at temperature T, at the
  /// position the loss reads it from, stop token included.
  @Test func behaviourLogProbsMatchTheTrainingForward() throws {
    let lm = try Self.model()
    let tokenizer = lm.tokenizer
    let generator = Generator(
      model: lm.decoder, packed: PackedWeights(), stopTokens: lm.stopTokens,
      detokenize: { tokenizer.decode($0) })
    var sampler = RolloutSampler(
      generator: generator,
      parameters: SamplingParameters(temperature: 0.7, maxTokens: 12), groupSize: 2)
    sampler.rowsPerBatch = 4
    let prompt = OnlinePrompt(
      file: "mem", line: 1, tokens: try lm.encode("Say hi in two words.", chat: true), text: "",
      columns: [:])
    let rollouts = try sampler.sample([prompt], seed: 9)
    #expect(rollouts.count == 2)
    var stopped = 0
    for r in rollouts {
      #expect(r.tokens.count == r.behaviourLogProbs.count)
      if !r.truncated {
        #expect(lm.stopTokens.contains(r.tokens.last ?? -1))
        stopped += 1
      }
      let sequence = TokenizedSequence(prompt: prompt.tokens, completion: r.tokens)
      let lp = PolicyLogProbs.tokens(lm.decoder, [sequence], temperature: 0.7).logProbs.value
      for (k, q) in r.behaviourLogProbs.enumerated() {
        let got = lp[flat: prompt.tokens.count - 1 + k]
        #expect(abs(got - q) < 2e-3, "token \(k): training \(got) vs sampled \(q)")
      }
    }
    // The same seed samples the same rollouts.
    #expect(try sampler.sample([prompt], seed: 9) == rollouts)
  }

  /// TTRL's majority vote: the most common answer is the pseudo-label; a group with no answer
  /// abstains.
  @Test func majorityVoteByHand() async throws {
    func rollout(_ prompt: Int, _ text: String) -> Rollout {
      var g = Generation(
        tokens: [1], logProbs: [0], selfCertainty: [0], text: text, finishReason: .length)
      g.sampledLogProbs = [0]
      g.entropies = [0]
      return Rollout(prompt: prompt, generation: g)
    }
    let p = OnlinePrompt(file: "", line: 0, tokens: [1], text: "q", columns: [:])
    let batch = RolloutBatch(
      prompts: [p, p],
      rollouts: [
        rollout(0, "5"), rollout(0, "The answer is 6"), rollout(0, "5"), rollout(0, "no idea"),
        rollout(1, "hmm"), rollout(1, "?"), rollout(1, "nothing"), rollout(1, "…"),
      ], groupSize: 4)
    let scores = try await MajorityVoteReward().score(batch)
    #expect(scores == [1, 0, 1, 0, nil, nil, nil, nil])
  }

  static func run(_ directory: URL, lm: LanguageModel, algorithm: OnlineAlgorithm = .grpo)
    -> OnlineRun
  {
    var run = OnlineRun(model: lm, directory: directory)
    run.configuration.maxSteps = 4
    run.configuration.saveEvery = 2
    run.configuration.batchSize = 4
    run.configuration.learningRate = 1e-4
    run.configuration.seed = 5
    run.online.numGenerations = 2
    run.online.promptsPerStep = 2
    run.online.maxCompletionLength = 8
    run.online.temperature = 0.9
    run.lora = LoRAConfiguration(rank: 4, alpha: 8, dropout: 0.1, targets: ["q_proj", "v_proj"])
    run.progress = { _ in }
    return run
  }

  /// A run killed after its step-2 checkpoint (the newer checkpoint and metric lines lost)
  /// resumes to the very metrics of the uninterrupted run: same prompts, samples, rewards and
  /// updates. A length reward makes the advantages non-zero so the updates matter.
  @Test(arguments: [OnlineAlgorithm.grpo, .topr])
  func killedRunResumesExactly(_ algorithm: OnlineAlgorithm) async throws {
    let lm = try Self.model()
    let base = FileManager.default.temporaryDirectory.appendingPathComponent(
      "whet-online-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: base) }
    let rows = try Self.rows(Self.prompts)
    let length = SourceReward(
      FunctionSource(name: "short", columnsRead: []) { item in
        .value(-Double(item.completion.count) / 10)
      })
    func metrics(_ url: URL) throws -> [[String: JSONValue]] {
      try JSONLReader.readAll(url.appendingPathComponent("metrics.jsonl")).map { line in
        line.filter { !$0.key.hasPrefix("timing/") && !$0.key.hasSuffix("per_second") }
      }
    }
    let whole = base.appendingPathComponent("whole")
    var summary = try await Self.run(whole, lm: lm, algorithm: algorithm).run(
      algorithm, train: rows, rewards: [length, SourceReward(MathVerifier())],
      evaluationReward: nil)
    lm.decoder.removeLoRA()
    #expect(summary.steps == 4)
    let uninterrupted = try metrics(whole)
    #expect(uninterrupted.count == 4)
    // The "killed" run: the same run whose last checkpoint and last metric line never landed.
    let killed = base.appendingPathComponent("killed")
    try FileManager.default.copyItem(at: whole, to: killed)
    try FileManager.default.removeItem(
      at: killed.appendingPathComponent("checkpoints/step-000004.safetensors"))
    let lines = try String(
      contentsOf: killed.appendingPathComponent("metrics.jsonl"), encoding: .utf8
    )
    .split(separator: "\n")
    try Data((lines.prefix(3).joined(separator: "\n") + "\n").utf8).write(
      to: killed.appendingPathComponent("metrics.jsonl"))
    summary = try await Self.run(killed, lm: lm, algorithm: algorithm).run(
      algorithm, train: rows, rewards: [length, SourceReward(MathVerifier())],
      evaluationReward: nil, resume: true)
    lm.decoder.removeLoRA()
    #expect(summary.steps == 4)
    let resumed = try metrics(killed)
    #expect(resumed.count == uninterrupted.count)
    for (a, b) in zip(uninterrupted, resumed) {
      for (key, value) in a {
        guard case .number(let x) = value, case .number(let y)? = b[key] else {
          #expect(b[key] == value, "\(key)")
          continue
        }
        #expect(
          abs(x - y) <= 1e-6 * (1 + abs(x)), "step \(a["step"] ?? .null) \(key): \(x) vs \(y)")
      }
    }
    #expect(uninterrupted.contains { ($0["grad_norm"]?.numberValue ?? 0) > 0 })
  }
}
