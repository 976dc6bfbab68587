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

/// Checks the gradients of the scalar `loss` with respect to `parameters` against central
/// finite differences, `(L(θ + ε) − L(θ − ε)) / 2ε` per entry with `L` read as a Double.
///
/// An entry passes when `|a − n| ≤ absoluteTolerance + relativeTolerance·|n|`. At most
/// `maxEntriesPerParameter` entries of each parameter are probed, chosen by `seed`.
/// `numericLoss`, when given, evaluates the same loss in Double for the probes.
public func checkParameterGradients(
  _ parameters: [Variable], epsilon: Float = 1e-2, absoluteTolerance: Double = 2e-3,
  relativeTolerance: Double = 2e-2, maxEntriesPerParameter: Int = 48, seed: UInt64 = 11,
  loss: () -> Variable, numericLoss: (() -> Double)? = nil
) -> GradientCheckResult {
  func evaluate() -> Double { numericLoss?() ?? Double(loss().value.item) }
  var rng = SeededGenerator(seed: seed)
  let (_, analytic) = valueAndGradient(of: loss, wrt: parameters)
  var result = GradientCheckResult()
  for (k, p) in parameters.enumerated() {
    let n = p.value.count
    var indices = Array(0..<n)
    if n > maxEntriesPerParameter {
      indices = (0..<maxEntriesPerParameter).map { _ in Int(rng.next() % UInt64(n)) }
    }
    for i in indices {
      let original = p.value[flat: i]
      p.value[flat: i] = original + epsilon
      let plus = evaluate()
      p.value[flat: i] = original - epsilon
      let minus = evaluate()
      p.value[flat: i] = original
      let numeric = (plus - minus) / (2 * Double(epsilon))
      let err = abs(Double(analytic[k][flat: i]) - numeric)
      result.maxAbsoluteError = max(result.maxAbsoluteError, err)
      result.worstRatio = max(
        result.worstRatio, err / (absoluteTolerance + relativeTolerance * abs(numeric)))
      result.checked += 1
    }
  }
  return result
}

/// Checks the backward of an op `f` of several inputs. Its output is reduced to a scalar with
/// fixed random weights `w` (so every output element matters), `L = Σ w ⊙ f(x)`, summed in
/// Double, and checked with ``checkParameterGradients(_:epsilon:absoluteTolerance:relativeTolerance:maxEntriesPerParameter:seed:loss:numericLoss:)``.
public func checkGradients(
  _ inputs: [Tensor], epsilon: Float = 1e-2, seed: UInt64 = 11,
  _ f: @escaping ([Variable]) -> Variable
) -> GradientCheckResult {
  var rng = SeededGenerator(seed: seed &+ 1)
  let variables = inputs.map { Variable($0) }
  let weights = Tensor.randomNormal(f(variables).shape, using: &rng)
  return checkParameterGradients(
    variables, epsilon: epsilon, seed: seed,
    loss: { sum(f(variables) * Variable(weights)) },
    numericLoss: {
      var total = 0.0
      f(variables).value.withUnsafeBufferPointer { py in
        weights.withUnsafeBufferPointer { pw in
          for i in 0..<py.count { total += Double(py[i]) * Double(pw[i]) }
        }
      }
      return total
    })
}
