import TestSupport
import Testing
import WhetTensor

/// The gradient checker must reject a wrong backward, not only accept right ones.
@Suite struct GradientCheckerSensitivityTests {
  /// `y = x²` elementwise, with a backward of our choosing: `dx = factor · g · x`. The right
  /// derivative is `factor = 2`.
  static func square(_ x: Variable, backwardFactor factor: Float) -> Variable {
    let xv = x.value
    return Variable.result(xv.map { $0 * $0 }, inputs: [x]) { g in
      x.accumulateGradient(g.zipMap(xv) { gi, xi in factor * gi * xi })
    }
  }

  /// On `L = Σ x²` at x = (1, 2, −3) every entry is probed (3 ≤ 48). The central difference
  /// of a quadratic is exact, so the numeric gradient is 2x = (2, 4, −6) up to Float rounding
  /// of the loss and of x ± ε (below 2e-4 here). The checker's default tolerance per entry is
  /// 2e-3 + 2e-2·|numeric| = (0.042, 0.082, 0.122).
  static func probe(backwardFactor: Float) -> GradientCheckResult {
    let x = Variable(Tensor(shape: [3], scalars: [1, 2, -3]))
    return checkParameterGradients([x]) { sum(Self.square(x, backwardFactor: backwardFactor)) }
  }

  @Test func acceptsTheRightBackward() {
    let result = Self.probe(backwardFactor: 2)
    #expect(result.passed, "\(result)")
    #expect(result.checked == 3)
    #expect(result.maxAbsoluteError < 1e-3)
  }

  /// Off by a factor of 2 (analytic x instead of 2x): errors |x| = (1, 2, 3), ratios
  /// 1/0.042 = 23.8, 2/0.082 = 24.4, 3/0.122 = 24.59.
  @Test func rejectsABackwardOffByAFactor() {
    let result = Self.probe(backwardFactor: 1)
    #expect(!result.passed, "\(result)")
    #expect(result.checked == 3)
    #expect(abs(result.maxAbsoluteError - 3) < 1e-2)
    #expect(abs(result.worstRatio - 3 / 0.122) < 0.1)
  }

  /// The wrong sign (−2x): errors 4|x| = (4, 8, 12), ratios 95.2, 97.6, 12/0.122 = 98.36.
  @Test func rejectsABackwardWithTheWrongSign() {
    let result = Self.probe(backwardFactor: -2)
    #expect(!result.passed, "\(result)")
    #expect(abs(result.maxAbsoluteError - 12) < 1e-2)
    #expect(abs(result.worstRatio - 12 / 0.122) < 0.2)
  }

  /// Even 10% off (2.2x): errors 0.2|x| = (0.2, 0.4, 0.6), ratios 4.76, 4.88, 0.6/0.122 = 4.92.
  @Test func rejectsABackwardTenPercentOff() {
    let result = Self.probe(backwardFactor: 2.2)
    #expect(!result.passed, "\(result)")
    #expect(abs(result.worstRatio - 0.6 / 0.122) < 0.05)
  }

  /// The op-level harness the gradient suite uses (`checkGradients`, random output weights,
  /// random inputs) rejects the factor-of-2 and sign errors too, and accepts the right one.
  @Test func opHarnessRejectsWrongBackwards() {
    let x = randomTensor([3, 5], seed: 21)
    let right = checkGradients([x]) { Self.square($0[0], backwardFactor: 2) }
    let halved = checkGradients([x]) { Self.square($0[0], backwardFactor: 1) }
    let flipped = checkGradients([x]) { Self.square($0[0], backwardFactor: -2) }
    #expect(right.passed, "\(right)")
    #expect(!halved.passed, "\(halved)")
    #expect(!flipped.passed, "\(flipped)")
  }
}
