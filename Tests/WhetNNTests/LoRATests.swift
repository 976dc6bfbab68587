import TestSupport
import Testing
import WhetNN
import WhetTensor

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
    let adapters = m.attachLoRA(LoRAConfiguration(rank: 4, alpha: 8, targets: ["q_proj", "v_proj", "up_proj"]), rng: &rng)
    #expect(adapters.count == 2 * 3 * 2)  // 2 layers × 3 targets × (A, B)
    #expect(adapters[0].name == "model.layers.0.self_attn.q_proj.lora_A.weight")
    #expect(m.lastPositionLogits(tokens: Self.tokens, batch: 2).scalars == before.scalars)
  }

  @Test func adapterGradientsMatchFiniteDifferences() {
    let m = Self.model()
    var rng = SeededGenerator(seed: 6)
    let adapters = m.attachLoRA(
      LoRAConfiguration(rank: 2, alpha: 4, targets: ["q_proj", "k_proj", "o_proj", "gate_proj", "down_proj"]), rng: &rng)
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

  @Test func trainingAdaptersOnlyLeavesBaseWeightsAlone() throws {
    let m = Self.model()
    let base = m.parameters.map(\.value)
    var rng = SeededGenerator(seed: 9)
    let adapters = m.attachLoRA(LoRAConfiguration(rank: 4, alpha: 8, dropout: 0.1, targets: ["q_proj", "v_proj", "up_proj", "down_proj"]), rng: &rng)
    let params = adapters.map(\.variable)
    let adam = AdamW(weightDecay: 0)
    var losses: [Float] = []
    for _ in 0..<60 {
      losses.append(
        try trainingStep(
          parameters: params, optimizer: adam, learningRate: 1e-2, maxGradientNorm: 1,
          microBatches: [{ languageModelLoss(m, tokens: Self.tokens, targets: Self.targets, batch: 2) }]
        ).loss)
    }
    #expect(losses.last! < losses.first! * 0.5, "\(losses.first!) → \(losses.last!)")
    let baseNames = Set(m.namedParameters.map(\.name)).subtracting(adapters.map(\.name))
    let now = Dictionary(uniqueKeysWithValues: m.namedParameters.map { ($0.name, $0.variable.value) })
    let originals = Dictionary(uniqueKeysWithValues: zip(Self.model().namedParameters.map(\.name), base))
    for name in baseNames { #expect(now[name]!.scalars == originals[name]!.scalars, "\(name) changed") }
  }
}
