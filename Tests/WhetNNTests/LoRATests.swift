import TestSupport
import Testing
import WhetTensor

@testable import WhetNN

@Suite struct LoRATests {
  static let config = TransformerConfiguration(
    vocabularySize: 13, hiddenSize: 16, layerCount: 2, heads: 4, kvHeads: 2, intermediateSize: 24)

  static func model() -> TransformerDecoder {
    var rng = SeededGenerator(seed: 2)
    let m = TransformerDecoder(config, rng: &rng)
    m.embedTokens.weight.value = randomTensor([13, 16], seed: 3)
    return m
  }

  static let tokens = [1, 5, 2, 7, 3, 3, 9, 0], targets = [5, 2, 7, -1, 3, 9, 0, 4]

  @Test func freshAdaptersLeaveTheModelUnchanged() {
    let m = Self.model()
    let before = m.lastPositionLogits(tokens: Self.tokens, batch: 2)
    var rng = SeededGenerator(seed: 5)
    let adapters = m.attachLoRA(
      LoRAConfiguration(rank: 4, alpha: 8, targets: ["q_proj", "v_proj", "up_proj"]), rng: &rng)
    #expect(adapters.count == 2 * 3 * 2)  // 2 layers × 3 targets × (A, B)
    #expect(adapters[0].name == "model.layers.0.self_attn.q_proj.lora_A.weight")
    #expect(m.lastPositionLogits(tokens: Self.tokens, batch: 2).scalars == before.scalars)
  }

  @Test func adapterGradientsMatchFiniteDifferences() {
    let m = Self.model()
    var rng = SeededGenerator(seed: 6)
    let adapters = m.attachLoRA(
      LoRAConfiguration(
        rank: 2, alpha: 4, targets: ["q_proj", "k_proj", "o_proj", "gate_proj", "down_proj"]),
      rng: &rng)
    // Non-zero B so that gradients reach A as well.
    for (name, v) in adapters where name.hasSuffix("lora_B.weight") {
      v.value = randomTensor(v.shape, seed: UInt64(name.count), std: 0.5)
    }
    let result = checkParameterGradients(adapters.map(\.variable), maxEntriesPerParameter: 4) {
      languageModelLoss(m, tokens: Self.tokens, targets: Self.targets, batch: 2)
    }
    #expect(result.passed, "\(result)")
  }

  @Test func dropoutGradient() {
    var rng = SeededGenerator(seed: 7)
    let mask = Tensor.dropoutMask([3, 4], probability: 0.5, using: &rng)
    #expect(Set(mask.scalars).isSubset(of: [0, 2]))
    let result = checkGradients([randomTensor([3, 4], seed: 8)]) { dropout($0[0], mask: mask) }
    #expect(result.passed, "\(result)")
  }

  /// The fused adapter update of several projections (one op, masks drawn again in backward)
  /// gives the values and gradients of the separate ops: each adapter's own dropout, two
  /// matmuls and scale, concatenated, with the same dropout draws.
  @Test func fusedAdapterDeltasMatchTheSeparateOps() {
    var rng = SeededGenerator(seed: 5)
    let config = LoRAConfiguration(rank: 3, alpha: 6, dropout: 0.3, targets: ["q_proj"])
    let layers = [(7, true), (4, false), (5, true)].map { out, adapted -> Linear in
      let l = Linear(inputSize: 6, outputSize: out, rng: &rng)
      if adapted {
        l.adapter = LoRAAdapter(inputSize: 6, outputSize: out, configuration: config, rng: &rng)
        l.adapter!.b.value = randomTensor([out, 3], seed: UInt64(out))
      }
      return l
    }
    let adapters = layers.compactMap(\.adapter)
    let x = Variable(randomTensor([5, 6], seed: 9))
    let weights = randomTensor([5, 16], seed: 10)
    let start = adapters.map(\.generator)
    func run(_ body: () -> Variable) -> (Tensor, [Tensor]) {
      for (a, g) in zip(adapters, start) { a.generator = g }
      var value = Tensor.zeros([1])
      let (_, grads) = valueAndGradient(
        of: {
          let y = body()
          value = y.value
          return sum(y * Variable(weights))
        }, wrt: [x] + adapters.flatMap { [$0.a, $0.b] })
      return (value, grads)
    }
    let fused = run { loraDeltas(x, layers) }
    let separate = run {
      concatenate(
        layers.map { $0.adapter.map { a in a(x) } ?? Variable(.zeros([5, $0.outputSize])) },
        alongAxis: -1)
    }
    #expect(maxDifference(fused.0, separate.0) < 1e-5)
    for (f, s) in zip(fused.1, separate.1) { #expect(maxDifference(f, s) < 1e-5) }
    // Masks were drawn (the generators moved), and the same draws both times.
    #expect(zip(adapters, start).allSatisfy { $0.0.generator != $0.1 })
  }

  /// LoRA training trains what ``TransformerDecoder/attachLoRA(_:rng:)`` returns: that list is
  /// the whole freezing mechanism (base weights stay untracked, so they get no gradient and
  /// the optimizer never sees them). Checked here on that mechanism itself:
  /// - the list is exactly the adapters' A and B, identical objects, and no base weight;
  /// - every base weight does receive a non-zero gradient from this loss, so a training path
  ///   that handed any of them to the optimizer would move it (shown by a control step);
  /// - during real training steps every adapter is tracked and no base weight is;
  /// - after 60 AdamW steps the loss has halved, the adapters moved, and every base weight is
  ///   bit-for-bit what it was.
  @Test func trainingAdaptersOnlyLeavesBaseWeightsAlone() throws {
    let m = Self.model()
    let base = m.namedParameters  // before attaching: the base weights alone
    let baseValues = base.map(\.variable.value.scalars)
    var rng = SeededGenerator(seed: 9)
    let trainable = m.attachLoRA(
      LoRAConfiguration(
        rank: 4, alpha: 8, dropout: 0.1, targets: ["q_proj", "v_proj", "up_proj", "down_proj"]),
      rng: &rng)

    // The selection: 2 layers × 4 targets × (A, B), the very adapter variables, no base weight.
    let adapters = m.projections.compactMap { $0.layer.adapter }
    #expect(adapters.count == 2 * 4)
    #expect(trainable.count == 2 * 4 * 2)
    let trainableIDs = Set(trainable.map { ObjectIdentifier($0.variable) })
    let adapterIDs = Set(adapters.flatMap { [ObjectIdentifier($0.a), ObjectIdentifier($0.b)] })
    let baseIDs = Set(base.map { ObjectIdentifier($0.variable) })
    #expect(trainableIDs == adapterIDs)
    #expect(trainableIDs.isDisjoint(with: baseIDs))
    #expect(m.namedParameters.count == base.count + trainable.count)

    let loss = { languageModelLoss(m, tokens: Self.tokens, targets: Self.targets, batch: 2) }
    // Every base weight has a non-zero gradient under this loss.
    let (_, baseGradients) = valueAndGradient(of: loss, wrt: base.map(\.variable))
    for (p, g) in zip(base, baseGradients) {
      #expect(g.scalars.contains { $0 != 0 }, "\(p.name) gets no gradient")
    }
    // Control: one step with a base weight in the list does move it, so the comparison at the
    // end can fail.
    let control = Self.model()
    var controlRNG = SeededGenerator(seed: 9)
    let controlAdapters = control.attachLoRA(
      LoRAConfiguration(rank: 4, alpha: 8, targets: ["q_proj"]), rng: &controlRNG)
    let controlQ = control.layers[0].attention.qProj.weight
    let qBefore = controlQ.value.scalars
    _ = try trainingStep(
      parameters: controlAdapters.map(\.variable) + [controlQ], optimizer: AdamW(weightDecay: 0),
      learningRate: 1e-2, maxGradientNorm: 1,
      microBatches: [
        { languageModelLoss(control, tokens: Self.tokens, targets: Self.targets, batch: 2) }
      ])
    #expect(controlQ.value.scalars != qBefore)

    // The real path: the optimizer gets `trainable`.
    let params = trainable.map(\.variable)
    let baseVariables = base.map(\.variable)
    let adam = AdamW(weightDecay: 0)
    var losses: [Float] = []
    var baseEverTracked = false
    var adaptersAlwaysTracked = true
    for _ in 0..<60 {
      losses.append(
        try trainingStep(
          parameters: params, optimizer: adam, learningRate: 1e-2, maxGradientNorm: 1,
          microBatches: [
            {
              baseEverTracked = baseEverTracked || baseVariables.contains { $0.isTracked }
              adaptersAlwaysTracked = adaptersAlwaysTracked && params.allSatisfy { $0.isTracked }
              return loss()
            }
          ]
        ).loss)
    }
    #expect(!baseEverTracked)
    #expect(adaptersAlwaysTracked)
    #expect(losses.last! < losses.first! * 0.5, "\(losses.first!) → \(losses.last!)")
    // B started at zero; training moved it.
    #expect(adapters.allSatisfy { adapter in adapter.b.value.scalars.contains { $0 != 0 } })
    for (p, before) in zip(base, baseValues) {
      #expect(p.variable.value.scalars == before, "\(p.name) changed")
    }
  }
}
