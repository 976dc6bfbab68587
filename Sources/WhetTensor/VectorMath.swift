import CKernels

/// Vectorised exp and SwiGLU from `CKernels` (`vexp.h`) on the ``CPUKernels`` path: within
/// 1 ulp of the correctly rounded `exp` on every float tested, subnormal results
/// included (Cephes `expf`, Moshier 1992).

/// `out[i] = exp(scale·(x[i] − shift))` for `i < n`; returns `Σ out[i]`. `out` may be `x`, or
/// nil when only the sum is wanted (the normaliser of a log-softmax row).
public func expSum(
  _ x: UnsafePointer<Float>, shift: Float, scale: Float = 1, into out: UnsafeMutablePointer<Float>?,
  count n: Int, path: CPUKernels.Path = CPUKernels.path
) -> Float {
  whet_exp_sum(path.rawValue, x, shift, scale, out, Int32(n))
}

/// `out[i] = silu(gate[i])·up[i]` with `silu(g) = g·σ(g)` (Shazeer 2020), for `i < n`; σ comes
/// from `e^(−|g|)`, so it keeps relative precision for large negative `g`. With `up` nil,
/// `out[i] = silu(gate[i])`.
public func swiglu(
  gate: UnsafePointer<Float>, up: UnsafePointer<Float>?, into out: UnsafeMutablePointer<Float>,
  count n: Int, path: CPUKernels.Path = CPUKernels.path
) {
  whet_swiglu(path.rawValue, gate, up, out, Int32(n))
}

/// SwiGLU's backward for the output gradient `grad`, with `s = σ(gate)`:
/// `dGate = grad·up·s(1 + gate(1 − s))`, `dUp = grad·silu(gate)`; all `n` long.
public func swigluBackward(
  gate: UnsafePointer<Float>, up: UnsafePointer<Float>, grad: UnsafePointer<Float>,
  dGate: UnsafeMutablePointer<Float>, dUp: UnsafeMutablePointer<Float>, count n: Int,
  path: CPUKernels.Path = CPUKernels.path
) {
  whet_swiglu_backward(path.rawValue, gate, up, grad, dGate, dUp, Int32(n))
}
