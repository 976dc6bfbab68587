/// The gated activation of Llama's MLP (Shazeer 2020, "GLU Variants Improve Transformer").

extension Tensor {
  /// `silu(gate) * up`, where `gateUp` `[N, 2F]` holds the gate in its first `F` columns and
  /// the up projection in the last `F` (one fused GEMM produces both). Returns `[N, F]`.
  public static func swiglu(_ gateUp: Tensor) -> Tensor {
    let twoF = gateUp.lastDimension
    precondition(twoF % 2 == 0, "swiglu needs an even last axis, got \(gateUp.shape)")
    let f = twoF / 2
    let rows = gateUp.rowCount
    return Tensor(shape: Array(gateUp.shape.dropLast()) + [f]) { out in
      gateUp.withUnsafeBufferPointer { p in
        parallelFor(rows, minimumPerTask: 16) { r in
          for n in r {
            let row = p.baseAddress! + n * twoF
            for j in 0..<f {
              let g = row[j]
              out[n * f + j] = g * logistic(g) * row[f + j]
            }
          }
        }
      }
    }
  }
}

/// `silu(gate) * up` on a fused `[..., 2F]` input, returning `[..., F]`.
///
/// Backward: `d gate = g·up·σ(gate)(1 + gate(1 − σ(gate)))`, `d up = g·silu(gate)`.
public func swiglu(_ gateUp: Variable) -> Variable {
  let xv = gateUp.value
  return Variable.result(Tensor.swiglu(xv), inputs: [gateUp]) { g in
    let twoF = xv.lastDimension, f = twoF / 2, rows = xv.rowCount
    let dx = Tensor(shape: xv.shape) { out in
      xv.withUnsafeBufferPointer { p in
        g.withUnsafeBufferPointer { pg in
          parallelFor(rows, minimumPerTask: 16) { r in
            for n in r {
              for j in 0..<f {
                let gate = p[n * twoF + j], up = p[n * twoF + f + j], go = pg[n * f + j]
                let s = logistic(gate)
                out[n * twoF + j] = go * up * s * (1 + gate * (1 - s))
                out[n * twoF + f + j] = go * gate * s
              }
            }
          }
        }
      }
    }
    gateUp.accumulateGradient(dx)
  }
}
