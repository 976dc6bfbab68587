import TestSupport
import Testing
import WhetNN
import WhetTensor

@Suite struct OptimizerTests {
  /// Worked by hand from PyTorch's AdamW update (lr 0.1, weight decay 0.01, β 0.9/0.999):
  /// step 1: θ·0.999 = [0.999, −1.998]; m̂ = g, v̂ = g², so θ −= 0.1·sign(g) → [0.899, −1.898].
  /// step 2 (g = [0.1, 0.2]): m = [0.055, −0.07], v = [0.00025975, 0.001039],
  /// bc1 = 0.19, bc2 = 0.001999 → θ = [0.8177969, −1.8449994]. Step 3 continues the same way.
  @Test func adamWMatchesPyTorchFormula() {
    let p = Variable(Tensor(shape: [2], scalars: [1, -2]))
    let adam = AdamW(weightDecay: 0.01)
    let expected: [[Float]] = [
      [0.899, -1.898], [0.8177969, -1.8449994], [0.7959078, -1.8068308],
    ]
    let grads: [[Float]] = [[0.5, -1], [0.1, 0.2], [-0.3, 0.05]]
    for (g, e) in zip(grads, expected) {
      adam.step([p], gradients: [Tensor(shape: [2], scalars: g)], learningRate: 0.1)
      #expect(
        isClose(p.value.scalars, e, absolute: 2e-6, relative: 0), "\(p.value.scalars) vs \(e)")
    }
    #expect(adam.stepCount == 3)
  }

  /// torch.optim.SGD(momentum 0.9, weight_decay 0.1, lr 0.1), by hand:
  /// step 1: g = [0.6, −1.2] = buf → θ = [0.94, −1.88];
  /// step 2: g = [0.194, 0.012], buf = [0.734, −1.068] → θ = [0.8666, −1.7732].
  @Test func sgdWithMomentumMatchesPyTorchFormula() {
    let p = Variable(Tensor(shape: [2], scalars: [1, -2]))
    let sgd = SGD(momentum: 0.9, weightDecay: 0.1)
    sgd.step([p], gradients: [Tensor(shape: [2], scalars: [0.5, -1])], learningRate: 0.1)
    #expect(isClose(p.value.scalars, [0.94, -1.88], absolute: 1e-6))
    sgd.step([p], gradients: [Tensor(shape: [2], scalars: [0.1, 0.2])], learningRate: 0.1)
    #expect(isClose(p.value.scalars, [0.8666, -1.7732], absolute: 1e-6))
  }

  @Test func globalNormClipping() {
    // Norm of [3, 4] and [12] is 13; clipping to 6.5 halves every entry (up to the 1e-6).
    var grads = [Tensor(shape: [2], scalars: [3, 4]), Tensor(shape: [1], scalars: [12])]
    let norm = clipGlobalNorm(&grads, maxNorm: 6.5)
    #expect(norm == 13)
    #expect(isClose(grads[0].scalars + grads[1].scalars, [1.5, 2, 6], absolute: 1e-5))
    // Under the limit nothing changes.
    var small = [Tensor(shape: [1], scalars: [0.5])]
    clipGlobalNorm(&small, maxNorm: 1)
    #expect(small[0].scalars == [0.5])
  }

  @Test func accumulationOfTwoHalvesEqualsTheFullBatch() {
    // loss = mean over a batch of (w·x)²; two half batches averaged give the full gradient.
    let w = Variable(randomTensor([3], seed: 1))
    let xs = randomTensor([4, 3], seed: 2)
    func gradient(_ rows: Range<Int>) -> Tensor {
      let x = Variable(xs.slice(alongAxis: 0, rows))
      return valueAndGradient(of: { mean(square(sum(x * w, alongAxis: 1))) }, wrt: [w]).gradients[0]
    }
    var acc = GradientAccumulator()
    acc.add([gradient(0..<2)])
    acc.add([gradient(2..<4)])
    #expect(maxDifference(acc.takeMean()[0], gradient(0..<4)) < 1e-6)
  }

  @Test func schedulesMatchTransformersDefinitions() {
    #expect(LearningRateSchedule.constant.factor(atStep: 99) == 1)
    let linear = LearningRateSchedule.linear(warmupSteps: 10, totalSteps: 110)
    #expect(linear.factor(atStep: 0) == 0)
    #expect(linear.factor(atStep: 5) == 0.5)
    #expect(linear.factor(atStep: 10) == 1)
    #expect(linear.factor(atStep: 60) == 0.5)
    #expect(linear.factor(atStep: 110) == 0)
    let cosine = LearningRateSchedule.cosine(warmupSteps: 10, totalSteps: 110)
    #expect(cosine.factor(atStep: 10) == 1)
    #expect(abs(cosine.factor(atStep: 60) - 0.5) < 1e-6)  // cos(π/2) = 0 → 0.5
    #expect(abs(cosine.factor(atStep: 35) - 0.8535534) < 1e-6)  // 0.5(1 + cos(π/4))
    #expect(cosine.factor(atStep: 110) == 0)
  }
}
