import WhetTensor

/// The largest elementwise `|a − b|` (infinity when the counts differ).
public func maxDifference(_ a: [Float], _ b: [Float]) -> Float {
  guard a.count == b.count else { return .infinity }
  var m: Float = 0
  for (x, y) in zip(a, b) {
    if x.isNaN != y.isNaN { return .infinity }
    m = max(m, abs(x - y))
  }
  return m
}

/// The largest elementwise difference of two tensors (infinity when shapes differ).
public func maxDifference(_ a: Tensor, _ b: Tensor) -> Float {
  a.shape == b.shape ? maxDifference(a.scalars, b.scalars) : .infinity
}

/// True when every element agrees within `absolute + relative·|b|`.
public func isClose(_ a: [Float], _ b: [Float], absolute: Float = 1e-5, relative: Float = 1e-4)
  -> Bool
{
  guard a.count == b.count else { return false }
  return zip(a, b).allSatisfy { abs($0 - $1) <= absolute + relative * abs($1) }
}

/// A seeded random tensor with N(0, std²) entries, for tests.
public func randomTensor(_ shape: [Int], seed: UInt64, std: Float = 1) -> Tensor {
  var rng = SeededGenerator(seed: seed)
  return Tensor.randomNormal(shape, std: std, using: &rng)
}
