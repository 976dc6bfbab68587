import Testing
import WhetLM
import WhetNN
import WhetTensor

/// Gradient checkpointing on SmolLM2: the 30 blocks formed again in the backward pass give
/// the gradients that keeping their activations gives.
@Suite struct GradientCheckpointingTests {
  @Test func smolLM2GradientsAreUnchanged() throws {
    let model = try #require(SmolLM2.privateDecoder(), "\(SmolLM2.missing)")
    let prompt = try #require(SmolLM2.reference.first)
    let tokens = Array(prompt.inputIDs.prefix(24))
    let targets = tokens.indices.map { $0 + 1 < tokens.count ? tokens[$0 + 1] : -1 }
    let parameters = model.parameters
    func gradient(checkpointing: Bool) -> (Float, [Tensor]) {
      GradientCheckpointing.with(checkpointing) {
        valueAndGradient(
          of: { languageModelLoss(model, tokens: tokens, targets: targets, batch: 1) },
          wrt: parameters)
      }
    }
    let (loss, plain) = gradient(checkpointing: false)
    let (lossCheckpointed, recomputed) = gradient(checkpointing: true)
    #expect(loss == lossCheckpointed)
    var differing = 0
    for (a, b) in zip(plain, recomputed) where a.scalars != b.scalars { differing += 1 }
    #expect(differing == 0, "\(differing) of \(plain.count) parameter gradients differ")
  }
}
