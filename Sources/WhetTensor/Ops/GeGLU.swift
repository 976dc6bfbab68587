import Foundation

/// The gated activation of Gemma's MLP: GELU with the tanh approximation on the gate
/// (Hendrycks & Gimpel 2016; Shazeer 2020, "GLU Variants Improve Transformer"), as PyTorch's
/// `gelu(approximate="tanh")`: `0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))`.

@inlinable func geluTanh(_ x: Float) -> Float {
  0.5 * x * (1 + tanhf(0.797_884_56 * (x + 0.044_715 * x * x * x)))
}

/// `d geluTanh(x) / dx`.
@inlinable func geluTanhDerivative(_ x: Float) -> Float {
  let u = 0.797_884_56 * (x + 0.044_715 * x * x * x)
  let t = tanhf(u)
  return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * 0.797_884_56 * (1 + 3 * 0.044_715 * x * x)
}

extension Tensor {
  /// `geluTanh(gate) * up` for `gateUp` `[N, 2F]` (gate in the first `F` columns, up in the
  /// last `F`, as one fused GEMM writes them). Returns `[N, F]`.
  public static func geglu(_ gateUp: Tensor) -> Tensor {
    let twoF = gateUp.lastDimension
    precondition(twoF % 2 == 0, "geglu needs an even last axis, got \(gateUp.shape)")
    let f = twoF / 2
    let rows = gateUp.rowCount
    return Tensor(shape: Array(gateUp.shape.dropLast()) + [f]) { out in
      gateUp.withUnsafeBufferPointer { p in
        parallelFor(rows, minimumPerTask: 16) { r in
          for n in r {
            let row = p.baseAddress! + n * twoF
            for j in 0..<f { out[n * f + j] = geluTanh(row[j]) * row[f + j] }
          }
        }
      }
    }
  }
}

/// `geluTanh(gate) * up` on a fused `[..., 2F]` input, returning `[..., F]`.
///
/// Backward: `d gate = g·up·geluTanh′(gate)`, `d up = g·geluTanh(gate)`.
public func geglu(_ gateUp: Variable) -> Variable {
  let xv = gateUp.value
  return Variable.result(Tensor.geglu(xv), inputs: [gateUp]) { g in
    let twoF = xv.lastDimension, f = twoF / 2, rows = xv.rowCount
    let dx = Tensor(shape: xv.shape) { out in
      xv.withUnsafeBufferPointer { p in
        g.withUnsafeBufferPointer { pg in
          parallelFor(rows, minimumPerTask: 16) { r in
            for n in r {
              for j in 0..<f {
                let gate = p[n * twoF + j], up = p[n * twoF + f + j], go = pg[n * f + j]
                out[n * twoF + j] = go * up * geluTanhDerivative(gate)
                out[n * twoF + f + j] = go * geluTanh(gate)
              }
            }
          }
        }
      }
    }
    gateUp.accumulateGradient(dx)
  }
}
