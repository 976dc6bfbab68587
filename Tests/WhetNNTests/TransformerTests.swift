import Foundation
import TestSupport
import Testing
import WhetNN
import WhetTensor

@Suite struct TransformerTests {
  static let tiny = TransformerConfiguration(
    vocabularySize: 11, hiddenSize: 16, layerCount: 2, heads: 4, kvHeads: 2,
    intermediateSize: 24, ropeTheta: 10_000)

  /// Every parameter of a whole (tiny) decoder against finite differences.
  @Test func wholeModelGradientsMatchFiniteDifferences() {
    var rng = SeededGenerator(seed: 3)
    let config = TransformerConfiguration(
      vocabularySize: 7, hiddenSize: 8, layerCount: 2, heads: 2, kvHeads: 1, intermediateSize: 12,
      tiedEmbeddings: false, attentionBias: true)
    let model = TransformerDecoder(config, rng: &rng)
    // Embeddings at unit scale: at their 0.02 init, the RMSNorm right after them has a
    // curvature of 1/rms ≈ 50, and a ±ε central difference stops being a good estimate.
    model.embedTokens.weight.value = randomTensor([7, 8], seed: 4)
    let tokens = [1, 4, 2, 6, 0, 3], targets = [4, 2, -1, 0, 3, 5]
    let result = checkParameterGradients(model.parameters, maxEntriesPerParameter: 8) {
      languageModelLoss(model, tokens: tokens, targets: targets, batch: 2, keyStart: [0, 1])
    }
    #expect(result.passed, "\(result)")
  }

  /// Gradient checkpointing recomputes each block in the backward pass: the same loss and
  /// gradients, bit for bit, as keeping the activations, for full fine-tuning and for LoRA
  /// with dropout (the masks are drawn again from the same state, and the adapters'
  /// generators end where they would have).
  @Test(arguments: [false, true])
  func gradientCheckpointingGivesTheSameGradients(lora: Bool) {
    func model() -> (TransformerDecoder, [Variable]) {
      var rng = SeededGenerator(seed: 21)
      let model = TransformerDecoder(Self.tiny, rng: &rng)
      guard lora else { return (model, model.parameters) }
      let adapters = model.attachLoRA(
        LoRAConfiguration(rank: 2, dropout: 0.3, targets: ["q_proj", "v_proj", "down_proj"]),
        rng: &rng)
      // B starts at zero; a random B gives A a gradient too.
      for (name, p) in adapters where name.contains("lora_B") {
        p.value = Tensor.randomNormal(p.shape, std: 0.5, using: &rng)
      }
      return (model, adapters.map(\.variable))
    }
    let tokens = [1, 4, 2, 6, 0, 3, 9, 5], targets = [4, 2, 6, 0, 3, 9, 5, -1]
    func step(checkpointing: Bool) -> (Float, [[Float]], [UInt64]) {
      let (m, parameters) = model()
      let (loss, grads) = GradientCheckpointing.with(checkpointing) {
        valueAndGradient(
          of: { languageModelLoss(m, tokens: tokens, targets: targets, batch: 2) },
          wrt: parameters)
      }
      var generators = m.projections.compactMap { $0.layer.adapter?.generator }
      return (loss, grads.map(\.scalars), generators.indices.map { generators[$0].next() })
    }
    let plain = step(checkpointing: false), recomputed = step(checkpointing: true)
    #expect(plain.0 == recomputed.0)
    #expect(plain.1 == recomputed.1)
    #expect(plain.2 == recomputed.2)
    #expect(plain.1.contains { $0.contains { $0 != 0 } })
  }

  /// Under checkpointing, the whole decoder's gradients against finite differences.
  @Test func checkpointedModelGradientsMatchFiniteDifferences() {
    var rng = SeededGenerator(seed: 3)
    let config = TransformerConfiguration(
      vocabularySize: 7, hiddenSize: 8, layerCount: 2, heads: 2, kvHeads: 1, intermediateSize: 12)
    let model = TransformerDecoder(config, rng: &rng)
    model.embedTokens.weight.value = randomTensor([7, 8], seed: 4)
    let tokens = [1, 4, 2, 6, 0, 3], targets = [4, 2, -1, 0, 3, 5]
    let result = GradientCheckpointing.with(true) {
      checkParameterGradients(model.parameters, maxEntriesPerParameter: 8) {
        languageModelLoss(model, tokens: tokens, targets: targets, batch: 2, keyStart: [0, 1])
      }
    }
    #expect(result.passed, "\(result)")
  }

  @Test func tinyTransformerOverfitsOneBatch() throws {
    var rng = SeededGenerator(seed: 1)
    let model = TransformerDecoder(Self.tiny, rng: &rng)
    let tokens = (0..<4 * 10).map { _ in Int(rng.next() % 11) }
    let targets = (0..<tokens.count).map { $0 % 10 == 9 ? -1 : tokens[$0 + 1] }
    let adam = AdamW(weightDecay: 0)
    var first: Float = 0, last: Float = 0
    for step in 0..<200 {
      let report = try trainingStep(
        parameters: model.parameters, optimizer: adam, learningRate: 1e-2, maxGradientNorm: 1,
        microBatches: [{ languageModelLoss(model, tokens: tokens, targets: targets, batch: 4) }])
      if step == 0 { first = report.loss }
      last = report.loss
    }
    #expect(first > 2)  // about log 11 at random init
    #expect(last < 0.05, "final loss \(last)")
  }

  @Test func nonFiniteLossThrowsAndLeavesParametersUnchanged() {
    let w = Variable(Tensor(shape: [2], scalars: [1, 2]))
    let adam = AdamW()
    #expect(throws: TrainingError.self) {
      try trainingStep(
        parameters: [w], optimizer: adam, learningRate: 0.1, maxGradientNorm: nil,
        microBatches: [{ sum(log(w * 0)) }])
    }
    #expect(w.value.scalars == [1, 2])
    #expect(adam.stepCount == 0)
  }

  /// Train 6 steps straight, or 3 steps, save, load into a fresh model, and 3 more:
  /// the weights must be bit-identical (weights, AdamW moments, step and RNG all restored).
  @Test func checkpointResumeIsExact() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "whet-ckpt-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    let url = dir.appendingPathComponent("checkpoint.safetensors")

    func run(steps: Range<Int>, model: TransformerDecoder, adam: AdamW, rng: inout SeededGenerator)
      throws
    {
      for _ in steps {
        // The batch is drawn from the run's generator, so the RNG state matters on resume.
        let tokens = (0..<12).map { _ in Int(rng.next() % 11) }
        let targets = tokens.indices.map { $0 % 6 == 5 ? -1 : tokens[$0 + 1] }
        _ = try trainingStep(
          parameters: model.parameters, optimizer: adam, learningRate: 1e-2, maxGradientNorm: 1,
          microBatches: [{ languageModelLoss(model, tokens: tokens, targets: targets, batch: 2) }])
      }
    }
    var initRNG = SeededGenerator(seed: 5)
    let straight = TransformerDecoder(Self.tiny, rng: &initRNG)
    var straightRNG = SeededGenerator(seed: 9)
    try run(steps: 0..<6, model: straight, adam: AdamW(), rng: &straightRNG)

    initRNG = SeededGenerator(seed: 5)
    let first = TransformerDecoder(Self.tiny, rng: &initRNG)
    let firstAdam = AdamW()
    var rng = SeededGenerator(seed: 9)
    try run(steps: 0..<3, model: first, adam: firstAdam, rng: &rng)
    try Checkpoint.save(
      to: url, parameters: first.namedParameters, optimizer: firstAdam,
      state: TrainingState(step: 3, dataPosition: 36, generator: rng))

    var otherRNG = SeededGenerator(seed: 77)
    let resumed = TransformerDecoder(Self.tiny, rng: &otherRNG)
    let resumedAdam = AdamW()
    let state = try Checkpoint.load(
      from: url, into: resumed.namedParameters, optimizer: resumedAdam)
    #expect(state.step == 3 && state.dataPosition == 36)
    #expect(resumedAdam.stepCount == 3)
    var resumedRNG = state.generator
    try run(steps: 3..<6, model: resumed, adam: resumedAdam, rng: &resumedRNG)

    for (a, b) in zip(straight.parameters, resumed.parameters) {
      #expect(a.value.scalars == b.value.scalars)
    }
    // No temporary files are left beside the checkpoint.
    #expect(
      try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["checkpoint.safetensors"])
  }

  @Test func checkpointIntoWrongShapeIsRejectedAndChangesNothing() throws {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent(
      "whet-ckpt-\(UUID().uuidString).safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    let w = Variable(Tensor(shape: [2, 2], repeating: 1))
    try Checkpoint.save(
      to: url, parameters: [("w", w)], optimizer: nil,
      state: TrainingState(step: 0, dataPosition: 0, generator: SeededGenerator(seed: 1)))
    let other = Variable(Tensor(shape: [3], repeating: 7))
    #expect(
      throws: CheckpointError.shapeMismatch(
        file: url.path, tensor: "w", expected: [3], found: [2, 2])
    ) {
      try Checkpoint.load(from: url, into: [("w", other)], optimizer: nil)
    }
    #expect(other.value.scalars == [7, 7, 7])
  }

  /// Every tensor of a checkpoint is checked by name and shape against the parameters and the
  /// optimizer before anything changes; moments are found by parameter name, not position.
  @Test func checkpointsAreValidatedByNameAndShape() throws {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent(
      "whet-ckpt-\(UUID().uuidString).safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    let a = Variable(Tensor(shape: [2], scalars: [1, 2]))
    let b = Variable(Tensor(shape: [3], scalars: [3, 4, 5]))
    let adam = AdamW()
    // One step with gradient g: exp_avg = (1 − β₁)·g = 0.1·g, exp_avg_sq = (1 − β₂)·g² = 0.001·g²
    // (in Float32, 1 − 0.999 is 0.00099999 to 5 digits, hence the relative tolerance).
    adam.step(
      [a, b],
      gradients: [Tensor(shape: [2], scalars: [10, 20]), Tensor(shape: [3], scalars: [1, 2, 3])],
      learningRate: 0.01)
    let state = TrainingState(step: 1, dataPosition: 4, generator: SeededGenerator(seed: 1))
    try Checkpoint.save(to: url, parameters: [("a", a), ("b", b)], optimizer: adam, state: state)

    // Loaded in the other order, each moment follows its parameter's name.
    let a2 = Variable(Tensor(shape: [2], repeating: 0)),
      b2 = Variable(Tensor(shape: [3], repeating: 0))
    let resumed = AdamW()
    try Checkpoint.load(from: url, into: [("b", b2), ("a", a2)], optimizer: resumed)
    #expect(resumed.stepCount == 1)
    let moments = resumed.parameterState
    #expect(moments.count == 2)
    for (got, want) in zip(moments[0][0].scalars, [0.1, 0.2, 0.3] as [Float]) {
      #expect(abs(got - want) <= 1e-4 * want)
    }
    for (got, want) in zip(moments[0][1].scalars, [1, 2] as [Float]) {
      #expect(abs(got - want) <= 1e-4 * want)
    }
    for (got, want) in zip(moments[1][1].scalars, [0.1, 0.4] as [Float]) {
      #expect(abs(got - want) <= 1e-4 * want)
    }

    // Wrong name, wrong shape, a tensor too many: typed errors, and nothing changes.
    let untouched = Variable(Tensor(shape: [2], repeating: 9))
    #expect(throws: CheckpointError.missingTensor(file: url.path, tensor: "c")) {
      try Checkpoint.load(
        from: url, into: [("a", untouched), ("c", Variable(Tensor(shape: [3], repeating: 0)))],
        optimizer: nil)
    }
    #expect(
      throws: CheckpointError.shapeMismatch(file: url.path, tensor: "b", expected: [4], found: [3])
    ) {
      try Checkpoint.load(
        from: url, into: [("a", untouched), ("b", Variable(Tensor(shape: [4], repeating: 0)))],
        optimizer: AdamW())
    }
    #expect(throws: CheckpointError.unexpectedTensor(file: url.path, tensor: "b")) {
      try Checkpoint.load(from: url, into: [("a", untouched)], optimizer: nil)
    }
    #expect(untouched.value.scalars == [9, 9])

    // An optimizer moment whose shape does not match its parameter (once an out-of-bounds
    // write) is refused.
    let forged = FileManager.default.temporaryDirectory.appendingPathComponent(
      "whet-forged-\(UUID().uuidString).safetensors")
    defer { try? FileManager.default.removeItem(at: forged) }
    try SafetensorsFile.write(
      [
        (name: "a", tensor: Tensor(shape: [2], repeating: 1)),
        (name: "optimizer.exp_avg.a", tensor: Tensor(shape: [5], repeating: 1)),
        (name: "optimizer.exp_avg_sq.a", tensor: Tensor(shape: [2], repeating: 1)),
      ],
      metadata: [
        "whetstone.training_state": String(decoding: try JSONEncoder().encode(state), as: UTF8.self)
      ], to: forged)
    let victim = AdamW()
    #expect(
      throws: CheckpointError.shapeMismatch(
        file: forged.path, tensor: "optimizer.exp_avg.a", expected: [2], found: [5])
    ) {
      try Checkpoint.load(from: forged, into: [("a", untouched)], optimizer: victim)
    }
    #expect(victim.parameterState.isEmpty && untouched.value.scalars == [9, 9])
  }

  @Test func parameterNamesFollowHuggingFace() {
    var rng = SeededGenerator(seed: 1)
    let names = TransformerDecoder(Self.tiny, rng: &rng).namedParameters.map(\.name)
    #expect(names.first == "model.embed_tokens.weight")
    #expect(names.contains("model.layers.1.self_attn.k_proj.weight"))
    #expect(names.contains("model.layers.0.mlp.gate_proj.weight"))
    #expect(names.contains("model.layers.0.post_attention_layernorm.weight"))
    #expect(names.last == "model.norm.weight")
  }
}
