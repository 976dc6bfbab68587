import Foundation
import TestSupport
import Testing
import WhetLM
import WhetNN
import WhetTensor

/// SmolLM2 with bf16 products (``MatMulPrecision/bf16``) against transformers' fp32 reference,
/// and its gradients against the fp32 ones.
@Suite struct MixedPrecisionTests {
  /// The stated parity tolerance of bf16 products on SmolLM2: the top token is kept and no
  /// top-5 logit moves by more than this.
  static let logitTolerance: Float = 0.25

  @Test(arguments: 0..<3)
  func bf16LogitsStayNearTransformers(prompt index: Int) throws {
    let model = try #require(SmolLM2.decoder, "\(SmolLM2.missing)")
    let prompt = try #require(SmolLM2.reference.dropFirst(index).first)
    let logits = MixedPrecision.with(.bf16) {
      model.lastPositionLogits(tokens: prompt.inputIDs, batch: 1).scalars
    }
    let top = logits.indices.max { logits[$0] < logits[$1] }
    #expect(top == prompt.top[0].id)
    var worst: Float = 0
    for (id, logit) in prompt.top { worst = max(worst, abs(logits[id] - logit)) }
    print("bf16 prompt \(index): max |Δlogit| over transformers' top 5 = \(worst)")
    #expect(worst <= Self.logitTolerance)
  }

  /// A full fine-tuning gradient of the language-model loss with bf16 products against the
  /// fp32 one (itself checked against finite differences and transformers elsewhere): the
  /// same direction, and a relative error of the order of bf16's 2^-8 rounding.
  @Test func bf16GradientFollowsFP32() throws {
    let model = try #require(SmolLM2.privateDecoder(), "\(SmolLM2.missing)")
    let objective = try #require(SmolLM2.nextTokenLoss(model))
    let parameters = model.parameters
    func gradient(_ precision: MatMulPrecision) -> (Float, [Float]) {
      let (loss, grads) = MixedPrecision.with(precision) {
        valueAndGradient(of: objective, wrt: parameters)
      }
      return (loss, grads.flatMap(\.scalars))
    }
    let (loss32, g32) = gradient(.fp32)
    let (loss16, g16) = gradient(.bf16)
    var dot = 0.0, n32 = 0.0, n16 = 0.0, diff = 0.0
    for (a, b) in zip(g32, g16) {
      dot += Double(a) * Double(b)
      n32 += Double(a) * Double(a)
      n16 += Double(b) * Double(b)
      diff += Double(a - b) * Double(a - b)
    }
    let cosine = dot / (n32.squareRoot() * n16.squareRoot())
    let relative = (diff / n32).squareRoot()
    print(
      "bf16 gradient: loss \(loss16) vs \(loss32), cosine \(cosine), relative error \(relative)")
    #expect(abs(loss16 - loss32) < 0.02 * abs(loss32))
    #expect(cosine > 0.995)
    #expect(relative < 0.1)
  }

  /// Decoding with the weights packed once for bf16 (``BF16Weights``, what ``Generator`` uses
  /// for 16 rows and more under bf16): 16 copies of each reference prompt prefilled together,
  /// then one step; each row's next-token logits against transformers' fp32 top 5.
  @Test func bf16PackedDecodingStaysNearTransformers() throws {
    try #require(MixedPrecision.hardwareBF16, "this CPU has no AVX-512 BF16")
    let model = try #require(SmolLM2.decoder, "\(SmolLM2.missing)")
    var engine = DecoderInference(model: model)
    engine.bf16 = BF16Weights(model)
    for prompt in SmolLM2.reference {
      let rows = 16
      var cache = KVCache(
        config: model.config, batch: rows, capacity: prompt.inputIDs.count,
        keyStart: [Int](repeating: 0, count: rows))
      let tokens = (0..<rows).flatMap { _ in prompt.inputIDs }
      let logits = engine.logits(hidden: engine.forward(tokens: tokens, cache: &cache))
      let v = logits.lastDimension
      let scalars = logits.scalars
      for row in [0, rows - 1] {
        let values = Array(scalars[(row * v)..<((row + 1) * v)])
        let top = values.indices.max { values[$0] < values[$1] }
        #expect(top == prompt.top[0].id)
        for (id, logit) in prompt.top {
          #expect(abs(values[id] - logit) <= Self.logitTolerance, "id \(id)")
        }
      }
    }
  }
}
