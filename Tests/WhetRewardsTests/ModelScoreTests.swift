import Foundation
import TestSupport
import Testing
import WhetLM
import WhetNN
import WhetRewards
import WhetTensor

/// Model-based scores on SmolLM2 against naive computations from full next-token logits.
@Suite struct ModelScoreTests {
  nonisolated(unsafe) static let model: LanguageModel? = try? LanguageModel.load(
    Fixtures.defaultModel.path)
  static let missing = "default model not found at \(Fixtures.defaultModel.path); run `make models`"

  /// Full log-softmax at each completion position, recomputed prefix by prefix.
  static func naive(_ lm: LanguageModel, prompt: [Int], completion: [Int]) -> (
    lp: [Float], sc: [Float]
  ) {
    var lp: [Float] = [], sc: [Float] = []
    for t in completion.indices {
      let logits = lm.decoder.lastPositionLogits(tokens: prompt + completion[..<t], batch: 1)
      let logp = logits.logSoftmax().scalars
      lp.append(logp[completion[t]])
      let meanLogP = logp.reduce(0.0) { $0 + Double($1) } / Double(logp.count)
      sc.append(Float(-Foundation.log(Double(logp.count)) - meanLogP))
    }
    return (lp, sc)
  }

  @Test func statisticsMatchFullSoftmax() throws {
    let lm = try #require(Self.model, "\(Self.missing)")
    let scorer = CompletionScorer(model: lm, chat: true, batchSize: 2)
    let items = [("What is 2+2?", "It is 4."), ("Name a fruit.", "Apple")]
    let stats = try scorer.statistics(items)
    for ((prompt, completion), s) in zip(items, stats) {
      let t = try scorer.tokens(prompt: prompt, completion: completion)
      let (lp, sc) = Self.naive(lm, prompt: t.prompt, completion: t.completion)
      #expect(maxDifference(s.tokenLogProbs, lp) < 2e-3)
      #expect(maxDifference(s.selfCertainty, sc) < 2e-3)
    }
    // A second call, overlapping and in another order, is served from the cache for the
    // known items and computed for the new one; every item keeps its own statistics.
    let again = try scorer.statistics([items[1], ("What is 3+3?", "Six."), items[0]])
    #expect(again[0] == stats[1] && again[2] == stats[0])
    let fresh = try CompletionScorer(model: lm, chat: true).statistics([("What is 3+3?", "Six.")])
    #expect(maxDifference(again[1].tokenLogProbs, fresh[0].tokenLogProbs) < 1e-5)
  }

  /// The generator reports the same per-token log-probs and self-certainty during sampling
  /// as a full forward afterwards (batched, sampled at temperature 0.8, packed weights).
  @Test func generationStatisticsMatchFullSoftmax() throws {
    let lm = try #require(Self.model, "\(Self.missing)")
    let prompts = try ["What is 2+2?", "Name a fruit."].map { try lm.encode($0, chat: true) }
    let outputs = try lm.generator().generate(
      prompts: prompts, parameters: SamplingParameters(temperature: 0.8, maxTokens: 10, seed: 5))
    for (prompt, output) in zip(prompts, outputs) {
      #expect(!output.tokens.isEmpty)
      #expect(output.selfCertainty.count == output.tokens.count)
      let (lp, sc) = Self.naive(lm, prompt: prompt, completion: output.tokens)
      #expect(maxDifference(output.logProbs, lp) < 2e-2)
      #expect(maxDifference(output.selfCertainty, sc) < 2e-2)
    }
  }

  /// The local judge batches prompts by length; each answer still lands on its own prompt:
  /// scored together (across two batches) or one at a time, P(yes) agrees.
  @Test func localJudgeKeepsPromptOrderAcrossLengthSortedBatches() async throws {
    let lm = try #require(Self.model, "\(Self.missing)")
    let backend = LocalJudgeBackend(model: lm, batchSize: 2)
    let prompts = [
      "Is the sky green? Answer yes or no.",
      "Question: Tom has 3 apples and buys 2 more. He says he has 5. Is he right? Answer yes or no.",
      "Is 2 + 2 = 4? Answer yes or no.",
    ]
    let together = try await backend.yesProbability(prompts)
    for (i, prompt) in prompts.enumerated() {
      let alone = try #require(try await backend.yesProbability([prompt]).first ?? nil)
      let p = try #require(together[i])
      #expect(p > 0 && p < 1)
      #expect(abs(p - alone) < 1e-3)
    }
  }

  /// The implicit reward `β·(log π(y|x) − log π_ref(y|x))` against log-probs computed here
  /// from full-vocabulary softmaxes (``naive(_:prompt:completion:)``) of two different models:
  /// the policy is the default model, the reference a second copy whose final RMSNorm scale is
  /// halved. Halving that scale halves every logit, so the reference is the policy at
  /// temperature 2. The completion is the policy's greedy answer (transformers' reference
  /// continuation), and a temperature above 1 lowers the probability of the top token, so
  /// every token's `log π − log π_ref` is positive: the expected reward is clearly above 0.
  @Test func implicitRewardMatchesFullSoftmaxLogProbsOfTwoModels() async throws {
    let lm = try #require(Self.model, "\(Self.missing)")
    let reference = try LanguageModel.load(Fixtures.defaultModel.path)
    reference.decoder.norm.weight.value.scale(by: 0.5)
    let policy = CompletionScorer(model: lm)
    let item = ScoringItem(
      prompt: "What is the capital of France?", completion: "The capital of France is Paris.")
    let t = try policy.tokens(prompt: item.prompt, completion: item.completion)
    let policyLogProbs = Self.naive(lm, prompt: t.prompt, completion: t.completion).lp
    let referenceLogProbs = Self.naive(reference, prompt: t.prompt, completion: t.completion).lp
    let beta = 0.5
    let expected =
      beta
      * (policyLogProbs.reduce(0.0) { $0 + Double($1) }
        - referenceLogProbs.reduce(0.0) { $0 + Double($1) })
    // Each token's log-prob agrees with the full softmax within 2e-3 (see
    // `statisticsMatchFullSoftmax`): at most 2 × count × 2e-3 over both sums, times β.
    let tolerance = beta * 2 * Double(t.completion.count) * 2e-3
    #expect(!t.completion.isEmpty)
    #expect(expected > 10 * tolerance, "the two models must differ: \(expected)")
    let ratio = try await LogRatioSource.implicitReward(
      policy: policy, reference: CompletionScorer(model: reference), beta: beta
    ).score([item])
    let reward = try #require(ratio.first?.value)
    #expect(abs(reward - expected) < tolerance, "\(reward) vs \(expected)")
  }

  @Test func lastTokenRewardAndRewardHead() async throws {
    let lm = try #require(Self.model, "\(Self.missing)")
    let scorer = CompletionScorer(model: lm)
    let item = ScoringItem(prompt: "What is the capital of France?", completion: "Paris.")
    let end = try #require(lm.tokenizer.id("<|im_end|>"))
    let t = try scorer.tokens(prompt: item.prompt, completion: item.completion)
    let expected = Self.naive(lm, prompt: t.prompt, completion: t.completion + [end]).lp.last!
    let laser = try await LastTokenRewardSource(scorer: scorer, token: end, beta: 2, offset: -1)
      .score([item])
    #expect(abs((laser[0].value ?? .nan) - 2 * (Double(expected) + 1)) < 4e-3)
    // A head that reads hidden unit 3 of the last token of the rendered conversation.
    let c = lm.decoder.config.hiddenSize
    var w = Tensor.zeros([c])
    w[flat: 3] = 1
    let head = FileManager.default.temporaryDirectory.appendingPathComponent(
      "head-\(UUID().uuidString).safetensors")
    defer { try? FileManager.default.removeItem(at: head) }
    try SafetensorsFile.write([("score.weight", w.reshaped([1, c]))], to: head)
    let r = try await RewardModelSource(model: lm, headFile: head).score([item])
    let conversation = try lm.renderChat(
      [
        ChatMessage(role: "user", content: item.prompt),
        ChatMessage(role: "assistant", content: item.completion),
      ], addGenerationPrompt: false)
    let ids = lm.tokenizer.encode(conversation, addSpecialTokens: false)
    #expect(ids.suffix(2) == [end, lm.tokenizer.encode("\n", addSpecialTokens: false)[0]])
    let hidden = lm.decoder.hiddenStates(tokens: ids, batch: 1).value
    let expectedR = Double(hidden[ids.count - 1, 3])
    #expect(abs((r[0].value ?? .nan) - expectedR) < 1e-5)
  }
}
