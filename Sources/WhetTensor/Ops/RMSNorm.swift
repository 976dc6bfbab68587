/// Root-mean-square layer norm (Zhang & Sennrich 2019), as in Llama:
/// `y = x · rsqrt(mean(x²) + ε) · w` over the last axis.

extension Tensor {
  /// RMSNorm of `x` `[N, C]` with weight `[C]`; also returns the per-row `rsqrt` `[N]`.
  public static func rmsNorm(_ x: Tensor, weight: Tensor, epsilon: Float) -> (
    output: Tensor, inverseRMS: [Float]
  ) {
    let c = x.lastDimension, rows = x.rowCount
    precondition(weight.count == c, "rmsNorm: weight \(weight.shape) for input \(x.shape)")
    var inv = [Float](repeating: 0, count: rows)
    let out = Tensor(shape: x.shape) { o in
      x.withUnsafeBufferPointer { px in
        weight.withUnsafeBufferPointer { pw in
          inv.withUnsafeMutableBufferPointer { pinv in
            parallelFor(rows, minimumPerTask: 16) { r in
              for n in r {
                let row = px.baseAddress! + n * c
                // Accumulate the mean square in Double: C is small but x can be large.
                var ss = 0.0
                for j in 0..<c { ss += Double(row[j]) * Double(row[j]) }
                let rinv = Float(1 / (ss / Double(c) + Double(epsilon)).squareRoot())
                pinv[n] = rinv
                for j in 0..<c { o[n * c + j] = row[j] * rinv * pw[j] }
              }
            }
          }
        }
      }
    }
    return (out, inv)
  }
}

/// RMSNorm over the last axis of `x` with a learned scale `weight` `[C]`.
///
/// Backward, with `r = rsqrt(mean(x²)+ε)` and `u = g ⊙ w`:
/// `dx = r·u − x·r³·(Σ u⊙x)/C`, `dw = Σ_rows g ⊙ x · r`.
public func rmsNorm(_ x: Variable, weight: Variable, epsilon: Float) -> Variable {
  let xv = x.value, wv = weight.value
  let (out, inv) = Tensor.rmsNorm(xv, weight: wv, epsilon: epsilon)
  return Variable.result(out, inputs: [x, weight]) { g in
    let c = xv.lastDimension, rows = xv.rowCount
    var dx = Tensor.zeros(xv.shape)
    var dw = Tensor.zeros(wv.shape)
    let trackX = x.isTracked
    xv.withUnsafeBufferPointer { px in
      wv.withUnsafeBufferPointer { pw in
        g.withUnsafeBufferPointer { pg in
          if trackX {
            dx.withUnsafeMutableBufferPointer { pdx in
              parallelFor(rows, minimumPerTask: 16) { r in
                for n in r {
                  let rinv = inv[n]
                  var s: Float = 0
                  for j in 0..<c { s += pg[n * c + j] * pw[j] * px[n * c + j] }
                  let k = rinv * rinv * rinv * s / Float(c)
                  for j in 0..<c {
                    pdx[n * c + j] = rinv * pg[n * c + j] * pw[j] - px[n * c + j] * k
                  }
                }
              }
            }
          }
          // The weight gradient sums over rows; done serially so the order is fixed.
          dw.withUnsafeMutableBufferPointer { pdw in
            for n in 0..<rows {
              let rinv = inv[n]
              for j in 0..<c { pdw[j] += pg[n * c + j] * px[n * c + j] * rinv }
            }
          }
        }
      }
    }
    if trackX { x.accumulateGradient(dx) }
    if weight.isTracked { weight.accumulateGradient(dw) }
  }
}
