/// Inverted dropout (Srivastava et al. 2014): zero each element with probability `p` and
/// scale the survivors by `1/(1−p)`, so the expectation is unchanged.

extension Tensor {
  /// A mask of `0` and `1/(1−p)` drawn from `rng`.
  public static func dropoutMask(
    _ shape: [Int], probability p: Float, using rng: inout SeededGenerator
  ) -> Tensor {
    precondition(p >= 0 && p < 1, "dropout probability must be in [0, 1)")
    let keep = 1 / (1 - p)
    return Tensor(shape: shape) { out in
      for i in 0..<out.count { out[i] = rng.nextUniform() < p ? 0 : keep }
    }
  }
}

/// `x ⊙ mask` for a mask from ``Tensor/dropoutMask(_:probability:using:)``.
/// Backward: `dx = g ⊙ mask`.
public func dropout(_ x: Variable, mask: Tensor) -> Variable {
  precondition(mask.count == x.value.count, "dropout: mask \(mask.shape) for \(x.shape)")
  return Variable.result(x.value.zipMap(mask, *), inputs: [x]) { g in
    x.accumulateGradient(g.zipMap(mask, *))
  }
}
