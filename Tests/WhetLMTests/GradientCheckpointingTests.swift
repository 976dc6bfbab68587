import Testing
import WhetLM
import WhetNN
import WhetTensor

/// Gradient checkpointing on SmolLM2: the 30 blocks formed again in the backward pass give
/// the gradients that keeping their activations gives.
@Suite struct GradientCheckpointingTests {
  @Test func smolLM2GradientsAreUnchanged() throws {
    let model = try #require(SmolLM2.privateDecoder(), "\(SmolLM2.missing)")
    let objective = try #require(SmolLM2.nextTokenLoss(model))
    let parameters = model.parameters
    func gradient(checkpointing: Bool) -> (Float, [Tensor]) {
      GradientCheckpointing.with(checkpointing) { valueAndGradient(of: objective, wrt: parameters) }
    }
    let (plainLoss, plain) = gradient(checkpointing: false)
    let (recomputedLoss, recomputed) = gradient(checkpointing: true)
    #expect(plainLoss == recomputedLoss)
    var differing = 0
    for (a, b) in zip(plain, recomputed) where a.scalars != b.scalars { differing += 1 }
    #expect(differing == 0, "\(differing) of \(plain.count) parameter gradients differ")
  }
}
