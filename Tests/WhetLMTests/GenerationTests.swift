import Foundation
import TestSupport
import Testing
import WhetLM
import WhetNN
import WhetTensor

@Suite struct GenerationTests {
  static let tiny = TransformerConfiguration(
    vocabularySize: 23, hiddenSize: 16, layerCount: 2, heads: 4, kvHeads: 2, intermediateSize: 24,
    ropeTheta: 10_000, attentionBias: true)

  static func model(seed: UInt64 = 1) -> TransformerDecoder {
    var rng = SeededGenerator(seed: seed)
    let m = TransformerDecoder(tiny, rng: &rng)
    // Larger embeddings than the 0.02 init, so the logits differ between positions.
    m.embedTokens.weight.value = randomTensor([23, 16], seed: seed + 100)
    return m
  }

  /// Decoding token by token through the KV cache equals one full forward pass, for a
  /// left-padded batch.
  @Test func cachedDecodingEqualsFullForward() {
    let model = Self.model()
    let engine = DecoderInference(model: model)
    let rows = [[3, 7, 1, 9, 4, 2], [5, 5, 8, 1, 0, 6]]
    let keyStart = [0, 2]  // row 1's first two tokens are padding
    var cache = KVCache(config: model.config, batch: 2, capacity: 6, keyStart: keyStart)
    for t in 0..<6 {
      let hidden = engine.forward(tokens: rows.map { $0[t] }, cache: &cache)
      if t < keyStart[1] { continue }  // padded queries have no keys to attend to
      let full = model.hiddenStates(
        tokens: rows.map { Array($0[0...t]) }.flatMap { $0 }, batch: 2, keyStart: keyStart
      ).value
      for b in 0..<2 {
        let expected = full.slice(alongAxis: 0, (b * (t + 1) + t)..<(b * (t + 1) + t + 1)).scalars
        let got = hidden.slice(alongAxis: 0, b..<(b + 1)).scalars
        #expect(maxDifference(got, expected) < 1e-5, "row \(b), position \(t)")
      }
    }
    // A prefill of several tokens at once lands in the same state.
    var prefill = KVCache(config: model.config, batch: 2, capacity: 6, keyStart: keyStart)
    let h1 = engine.forward(tokens: rows.flatMap { Array($0[0..<4]) }, cache: &prefill)
    let h2 = engine.forward(tokens: rows.flatMap { Array($0[4..<6]) }, cache: &prefill)
    var stepwise = KVCache(config: model.config, batch: 2, capacity: 6, keyStart: keyStart)
    var last = Tensor.zeros([1])
    for t in 0..<6 { last = engine.forward(tokens: rows.map { $0[t] }, cache: &stepwise) }
    #expect(maxDifference(h2.scalars, last.scalars) < 1e-5)
    #expect(h1.shape == [2, 16])
  }

  static func generator(_ model: TransformerDecoder) -> Generator {
    Generator(model: model, stopTokens: [0]) { $0.map(String.init).joined(separator: ",") }
  }

  @Test func greedyMatchesArgmaxOfFullForward() throws {
    let model = Self.model()
    let prompt = [4, 9, 2]
    let out = try Self.generator(model).generate(
      prompts: [prompt], parameters: .greedy(maxTokens: 5))[0]
    // Reference: recompute the whole prefix each step and take the argmax.
    var seq = prompt
    var expected: [Int] = []
    for _ in 0..<5 {
      let logits = model.lastPositionLogits(tokens: seq, batch: 1).scalars
      let next = logits.indices.max { logits[$0] < logits[$1] }!
      if next == 0 { break }
      expected.append(next)
      seq.append(next)
    }
    #expect(out.tokens == expected)
    // Log-probs are the model's own log-softmax at the chosen token.
    let lp = Tensor(
      shape: [1, 23], scalars: model.lastPositionLogits(tokens: prompt, batch: 1).scalars
    ).logSoftmax()
    if let first = out.tokens.first { #expect(abs(out.logProbs[0] - lp[0, first]) < 1e-5) }
  }

  @Test func sameSeedSameSamplesAloneOrBatched() throws {
    let model = Self.model()
    let g = Self.generator(model)
    // A high temperature: the tiny tied-embedding model is very sure of itself.
    let p = SamplingParameters(temperature: 8, topK: 10, topP: 0.95, maxTokens: 8, seed: 42)
    let alone = try g.generate(prompts: [[3, 5, 7]], parameters: p)[0]
    let batched = try g.generate(prompts: [[3, 5, 7], [1, 2], [9, 9, 9, 9, 1]], parameters: p)
    #expect(alone.tokens == batched[0].tokens)
    #expect(maxDifference(alone.logProbs, batched[0].logProbs) < 1e-4)
    let again = try g.generate(prompts: [[3, 5, 7]], parameters: p)[0]
    #expect(again == alone)
    // Repeated prompts share one prefill; every row still samples as it would alone
    // (row i is seeded with seed + i).
    let repeated = try g.generate(
      prompts: [[3, 5, 7], [1, 2], [3, 5, 7], [3, 5, 7], [1, 2]], parameters: p)
    for (i, prompt) in [[3, 5, 7], [1, 2], [3, 5, 7], [3, 5, 7], [1, 2]].enumerated() {
      var single = p
      single.seed = p.seed + UInt64(i)
      let solo = try g.generate(prompts: [prompt], parameters: single)[0]
      #expect(repeated[i].tokens == solo.tokens)
      #expect(maxDifference(repeated[i].logProbs, solo.logProbs) < 1e-4)
    }
    // At most two rows at a time, waiting prompts (shorter and longer than the rows already
    // decoding) joining as rows finish: every row still samples as in one batch, and the
    // outputs arrive in prompt order.
    let prompts: [[Int]] = [
      [3, 5, 7], [1, 2], [3, 5, 7], [9, 9, 9, 9, 1], [1, 2], [4, 4, 4, 4, 4, 4, 2],
    ]
    let whole = try g.generate(prompts: prompts, parameters: p)
    for slots in [1, 2, 3] {
      var split: [Generation] = []
      var firsts: [Int] = []
      try g.generate(prompts: prompts, parameters: p, rowsPerBatch: slots) { first, outputs in
        #expect(first == split.count)
        firsts.append(first)
        split += outputs
      }
      #expect(firsts.count > 1)
      #expect(split.map(\.tokens) == whole.map(\.tokens))
      for (a, b) in zip(split, whole) { #expect(maxDifference(a.logProbs, b.logProbs) < 1e-4) }
    }
    // Other seeds give other samples (at least one of ten differs).
    let others = try (43..<53).map {
      try g.generate(
        prompts: [[3, 5, 7]], parameters: SamplingParameters(temperature: 8, maxTokens: 8, seed: $0)
      )[0].tokens
    }
    #expect(others.contains { $0 != alone.tokens })
  }

  /// Each way of stopping, on inputs where the reason is known in advance.
  @Test func stopsOnMaxTokensAndStopStrings() throws {
    let model = Self.model()
    let render: ([Int]) -> String = { $0.map(String.init).joined(separator: ",") }
    // No stop token: the row can only end on length, after exactly maxTokens tokens, and the
    // first of them is the argmax of a full forward pass of the prompt.
    let noStop = Generator(model: model, stopTokens: [], detokenize: render)
    let logits = model.lastPositionLogits(tokens: [3, 5], batch: 1).scalars
    let first = logits.indices.max { logits[$0] < logits[$1] }!
    let out = try noStop.generate(prompts: [[3, 5]], parameters: .greedy(maxTokens: 3))[0]
    #expect(out.finishReason == .length)
    #expect(out.tokens.count == 3)
    #expect(out.tokens.first == first)
    #expect(out.text == render(out.tokens))
    // Every id is a stop token: the very first pick ends the row, and it is not returned.
    let allStop = Generator(model: model, stopTokens: Set(0..<23), detokenize: render)
    let eos = try allStop.generate(prompts: [[3, 5]], parameters: .greedy(maxTokens: 3))[0]
    #expect(eos.finishReason == .endOfSequence)
    #expect(eos.tokens.isEmpty && eos.logProbs.isEmpty && eos.text.isEmpty)
    // Stop at the first comma of the rendered ids: one id renders without a comma and two
    // render as "a,b", so the row stops after its second token with the text cut to "a".
    var p = SamplingParameters.greedy(maxTokens: 6)
    p.stopStrings = [","]
    let stopped = try noStop.generate(prompts: [[3, 5]], parameters: p)[0]
    #expect(stopped.finishReason == .stopString)
    #expect(stopped.tokens.count == 2)
    #expect(stopped.tokens == Array(out.tokens.prefix(2)))  // same greedy path
    #expect(stopped.text == String(first))
    #expect(throws: GenerationError.emptyPrompt(row: 1)) {
      try noStop.generate(prompts: [[1], []], parameters: p)
    }
  }

  /// Pure temperature sampling draws from softmax(logits / T) over every token: at T = 0.5
  /// the probabilities 0.5, 0.3, 0.2 become 0.25, 0.09, 0.04 renormalised (0.658, 0.237,
  /// 0.105). The reported log-prob and self-certainty are those of the untempered row.
  @Test func samplerTemperatureByHand() {
    let logits: [Float] = [0.5, 0.3, 0.2].map { Foundation.log($0) }
    var counts = [0, 0, 0]
    var rng = SeededGenerator(seed: 4)
    for _ in 0..<4000 {
      let pick = logits.withUnsafeBufferPointer {
        Sampler.sample(
          logits: $0, previous: [], parameters: SamplingParameters(temperature: 0.5), rng: &rng)
      }
      counts[pick.token] += 1
      #expect(abs(pick.logProb - logits[pick.token]) < 1e-5)
      // KL(U ‖ p) = −log 3 − (ln 0.5 + ln 0.3 + ln 0.2) / 3 = 0.07024.
      #expect(abs(pick.selfCertainty - 0.07024) < 1e-4)
      // q = (0.658, 0.237, 0.105): its log and entropy (0.8536 nats).
      let q: [Float] = [0.25 / 0.38, 0.09 / 0.38, 0.04 / 0.38]
      #expect(abs(pick.sampledLogProb - Foundation.log(q[pick.token])) < 1e-5)
      #expect(abs(pick.entropy - 0.85358) < 1e-4)
    }
    for (count, expected) in zip(counts, [0.25 / 0.38, 0.09 / 0.38, 0.04 / 0.38]) {
      #expect(abs(Double(count) / 4000 - expected) < 0.025)
    }
  }

  @Test func samplerFiltersByHand() {
    // logits ln(0.5), ln(0.3), ln(0.15), ln(0.05): top-p 0.7 keeps the first two (0.8 ≥ 0.7).
    let logits: [Float] = [0.5, 0.3, 0.15, 0.05].map { Foundation.log($0) }
    var counts = [0, 0, 0, 0]
    var rng = SeededGenerator(seed: 1)
    for _ in 0..<2000 {
      let pick = logits.withUnsafeBufferPointer {
        Sampler.sample(
          logits: $0, previous: [], parameters: SamplingParameters(topP: 0.7), rng: &rng)
      }
      let t = pick.token
      counts[t] += 1
      #expect(abs(pick.logProb - logits[t]) < 1e-5)
      // Sampled from {0.5, 0.3} renormalised: q = 0.625 or 0.375; H = 0.6616 nats.
      #expect(abs(pick.sampledLogProb - Foundation.log(t == 0 ? 0.625 : 0.375)) < 1e-5)
      #expect(abs(pick.entropy - 0.66156) < 1e-4)
    }
    #expect(counts[2] == 0 && counts[3] == 0)
    // Kept mass renormalised: 0.5 / 0.8 = 0.625 of draws go to token 0.
    #expect(abs(Double(counts[0]) / 2000 - 0.625) < 0.04)
    // min-p 0.5 keeps tokens with p ≥ 0.25: only token 0 and token 1.
    var r2 = SeededGenerator(seed: 2)
    for _ in 0..<200 {
      let t = logits.withUnsafeBufferPointer {
        Sampler.sample(
          logits: $0, previous: [], parameters: SamplingParameters(minP: 0.5), rng: &r2
        ).token
      }
      #expect(t <= 1)
    }
    // Repetition penalty 2 halves token 0's positive logit: 2 → 1, below token 1's 1.5.
    let plain: [Float] = [2, 1.5, 0]
    let t = plain.withUnsafeBufferPointer {
      Sampler.sample(
        logits: $0, previous: [0],
        parameters: SamplingParameters(temperature: 0, repetitionPenalty: 2), rng: &rng
      ).token
    }
    #expect(t == 1)
  }
}

@Suite struct LoRAInferenceTests {
  /// The KV-cache path adds the adapters' terms exactly as the training forward does.
  @Test func cachedForwardWithAdaptersEqualsFullForward() {
    let model = GenerationTests.model()
    var rng = SeededGenerator(seed: 3)
    let adapters = model.attachLoRA(
      LoRAConfiguration(
        rank: 2, alpha: 4,
        targets: ["q_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]),
      rng: &rng)
    for (i, (_, v)) in adapters.enumerated() {
      v.value = randomTensor(v.shape, seed: UInt64(50 + i), std: 0.3)
    }
    let tokens = [3, 7, 1, 9, 4]
    var cache = KVCache(config: model.config, batch: 1, capacity: 5)
    let cached = DecoderInference(model: model).forward(tokens: tokens, cache: &cache)
    let full = model.hiddenStates(tokens: tokens, batch: 1).value.slice(alongAxis: 0, 4..<5)
    #expect(maxDifference(cached.scalars, full.scalars) < 1e-5)
  }
}
