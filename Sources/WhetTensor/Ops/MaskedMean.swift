/// Means that skip masked positions (padding, prompt tokens).

/// `Σ x·m / Σ m` for a constant mask `m` of the same shape (weights allowed), a scalar.
/// Masking happens *before* the mean so padding never dilutes it. An all-zero mask gives 0.
/// Backward: `dx = g·m / Σ m`.
public func maskedMean(_ x: Variable, mask: Tensor) -> Variable {
  precondition(x.value.count == mask.count, "maskedMean: \(x.shape) vs mask \(mask.shape)")
  let total = mask.sum()
  let xv = x.value
  let weighted = xv.zipMap(mask, *).sum()
  let value: Float = total == 0 ? 0 : weighted / total
  return Variable.result(Tensor(value), inputs: [x]) { g in
    let k = total == 0 ? 0 : g.item / total
    x.accumulateGradient(mask.map { $0 * k }.reshaped(xv.shape))
  }
}
