import Foundation

/// The gated activations of decoder MLPs (Shazeer 2020, "GLU Variants Improve Transformer"):
/// `act(gate) ⊙ up` on a fused `[..., 2F]` buffer that holds the gate in its first `F` columns
/// and the up projection in the last `F` (one GEMM writes both).
public enum GateActivation: Sendable {
  /// SiLU, `x·σ(x)`: SwiGLU (Llama, Mistral, Qwen).
  case silu
  /// GELU with the tanh approximation, `0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))`, as
  /// PyTorch's `gelu(approximate="tanh")`: GeGLU (Gemma; Hendrycks & Gimpel 2016).
  case geluTanh

  @inlinable func value(_ x: Float) -> Float {
    switch self {
    case .silu: return x * logistic(x)
    case .geluTanh: return 0.5 * x * (1 + tanhf(0.797_884_56 * (x + 0.044_715 * x * x * x)))
    }
  }

  @inlinable func derivative(_ x: Float) -> Float {
    switch self {
    case .silu:
      let s = logistic(x)
      return s * (1 + x * (1 - s))
    case .geluTanh:
      let t = tanhf(0.797_884_56 * (x + 0.044_715 * x * x * x))
      return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * 0.797_884_56 * (1 + 3 * 0.044_715 * x * x)
    }
  }
}

extension Tensor {
  /// `act(gate) ⊙ up` for `gateUp` `[..., 2F]`; returns `[..., F]`.
  public static func gated(_ gateUp: Tensor, _ activation: GateActivation) -> Tensor {
    let twoF = gateUp.lastDimension
    precondition(twoF % 2 == 0, "gated activation needs an even last axis, got \(gateUp.shape)")
    let f = twoF / 2
    let rows = gateUp.rowCount
    return Tensor(shape: Array(gateUp.shape.dropLast()) + [f]) { out in
      gateUp.withUnsafeBufferPointer { p in
        parallelFor(rows, minimumPerTask: 16) { r in
          for n in r {
            let row = p.baseAddress! + n * twoF
            if activation == .silu {  // vectorised exp (CKernels)
              WhetTensor.swiglu(gate: row, up: row + f, into: out.baseAddress! + n * f, count: f)
              continue
            }
            for j in 0..<f { out[n * f + j] = activation.value(row[j]) * row[f + j] }
          }
        }
      }
    }
  }

  /// `silu(gate) ⊙ up` (SwiGLU).
  public static func swiglu(_ gateUp: Tensor) -> Tensor { gated(gateUp, .silu) }
  /// `geluTanh(gate) ⊙ up` (GeGLU).
  public static func geglu(_ gateUp: Tensor) -> Tensor { gated(gateUp, .geluTanh) }
}

/// `act(gate) ⊙ up` on a fused `[..., 2F]` input, returning `[..., F]`.
///
/// Backward: `d gate = g·up·act′(gate)`, `d up = g·act(gate)`.
public func gated(_ gateUp: Variable, _ activation: GateActivation) -> Variable {
  let xv = gateUp.value
  return Variable.result(Tensor.gated(xv, activation), inputs: [gateUp]) { g in
    let twoF = xv.lastDimension, f = twoF / 2, rows = xv.rowCount
    let dx = Tensor(shape: xv.shape) { out in
      xv.withUnsafeBufferPointer { p in
        g.withUnsafeBufferPointer { pg in
          parallelFor(rows, minimumPerTask: 16) { r in
            for n in r {
              if activation == .silu {
                let row = p.baseAddress! + n * twoF, o = out.baseAddress! + n * twoF
                swigluBackward(
                  gate: row, up: row + f, grad: pg.baseAddress! + n * f, dGate: o, dUp: o + f,
                  count: f)
                continue
              }
              for j in 0..<f {
                let gate = p[n * twoF + j], up = p[n * twoF + f + j], go = pg[n * f + j]
                out[n * twoF + j] = go * up * activation.derivative(gate)
                out[n * twoF + f + j] = go * activation.value(gate)
              }
            }
          }
        }
      }
    }
    gateUp.accumulateGradient(dx)
  }
}

/// SwiGLU on a fused `[..., 2F]` input.
public func swiglu(_ gateUp: Variable) -> Variable { gated(gateUp, .silu) }
/// GeGLU on a fused `[..., 2F]` input.
public func geglu(_ gateUp: Variable) -> Variable { gated(gateUp, .geluTanh) }
