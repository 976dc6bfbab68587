import WhetTensor

/// The worst disagreement between analytic and finite-difference gradients.
public struct GradientCheckResult: CustomStringConvertible {
  public var maxAbsoluteError: Double = 0
  public var worstRatio: Double = 0
  public var checked = 0
  public var description: String {
    "checked \(checked) entries, max |analytic − numeric| = \(maxAbsoluteError), worst error/tolerance = \(worstRatio)"
  }
  /// True when every entry is within tolerance.
  public var passed: Bool { worstRatio <= 1 && checked > 0 }
}

/// Checks the backward of `f` against central finite differences.
///
/// The output is reduced to a scalar with fixed random weights `w` (so every output element
/// matters): `L = Σ w ⊙ f(x)`. The analytic gradient comes from ``valueAndGradient(of:wrt:)``;
/// the numeric one is `(L(x + ε) − L(x − ε)) / 2ε` per entry, with `L` summed in Double.
/// An entry passes when `|a − n| ≤ absoluteTolerance + relativeTolerance·|n|`.
public func checkGradients(
  _ inputs: [Tensor], epsilon: Float = 1e-2, absoluteTolerance: Double = 2e-3,
  relativeTolerance: Double = 2e-2, maxEntriesPerInput: Int = 48, seed: UInt64 = 11,
  _ f: ([Variable]) -> Variable
) -> GradientCheckResult {
  var rng = SeededGenerator(seed: seed)
  let probe = f(inputs.map { Variable($0) }).value
  let weights = Tensor.randomNormal(probe.shape, using: &rng)

  func loss(_ xs: [Tensor]) -> Double {
    let y = f(xs.map { Variable($0) }).value
    var total = 0.0
    y.withUnsafeBufferPointer { py in
      weights.withUnsafeBufferPointer { pw in
        for i in 0..<py.count { total += Double(py[i]) * Double(pw[i]) }
      }
    }
    return total
  }

  let variables = inputs.map { Variable($0) }
  let (_, analytic) = valueAndGradient(
    of: { sum(f(variables) * Variable(weights)) }, wrt: variables)

  var result = GradientCheckResult()
  for (k, input) in inputs.enumerated() {
    let n = input.count
    var indices = Array(0..<n)
    if n > maxEntriesPerInput {
      indices = (0..<maxEntriesPerInput).map { _ in Int(rng.next() % UInt64(n)) }
    }
    for i in indices {
      var plus = inputs, minus = inputs
      plus[k][flat: i] += epsilon
      minus[k][flat: i] -= epsilon
      let numeric = (loss(plus) - loss(minus)) / (2 * Double(epsilon))
      let a = Double(analytic[k][flat: i])
      let err = abs(a - numeric)
      result.maxAbsoluteError = max(result.maxAbsoluteError, err)
      result.worstRatio = max(
        result.worstRatio, err / (absoluteTolerance + relativeTolerance * abs(numeric)))
      result.checked += 1
    }
  }
  return result
}
