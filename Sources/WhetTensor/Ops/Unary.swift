import Foundation

/// Elementwise functions. Each saves what its derivative needs (input or output).

extension Tensor {
  /// `f` applied to every element, in parallel for large tensors.
  @inlinable public func map(_ f: (Float) -> Float) -> Tensor {
    Tensor(shape: shape) { out in
      withUnsafeBufferPointer { p in
        parallelFor(count, minimumPerTask: 16384) { r in
          for i in r { out[i] = f(p[i]) }
        }
      }
    }
  }

  /// `f(self, other)` elementwise for two tensors of the same element count.
  @inlinable public func zipMap(_ other: Tensor, _ f: (Float, Float) -> Float) -> Tensor {
    precondition(count == other.count, "zipMap: \(shape) and \(other.shape)")
    return Tensor(shape: shape) { out in
      withUnsafeBufferPointer { p in
        other.withUnsafeBufferPointer { q in
          parallelFor(count, minimumPerTask: 16384) { r in
            for i in r { out[i] = f(p[i], q[i]) }
          }
        }
      }
    }
  }
}

/// Logistic function σ(x) = 1 / (1 + e^(−x)), computed without overflow for large |x|.
@inlinable public func logistic(_ x: Float) -> Float {
  if x >= 0 { return 1 / (1 + Foundation.exp(-x)) }
  let e = Foundation.exp(x)
  return e / (1 + e)
}

/// log σ(x) = min(x, 0) − log(1 + e^(−|x|)), stable for large |x|.
@inlinable public func logLogistic(_ x: Float) -> Float {
  Swift.min(x, 0) - Foundation.log1p(Foundation.exp(-Swift.abs(x)))
}

/// An elementwise op whose derivative is written from input `x` and output `y`.
@inlinable func unary(
  _ x: Variable, _ f: (Float) -> Float, derivative: @escaping (Float, Float) -> Float
) -> Variable {
  let xv = x.value
  let y = xv.map(f)
  return Variable.result(y, inputs: [x]) { g in
    let d = xv.zipMap(y, derivative)
    x.accumulateGradient(g.zipMap(d, *))
  }
}

/// `eˣ`. Derivative `y`.
public func exp(_ x: Variable) -> Variable { unary(x, { Foundation.exp($0) }) { _, y in y } }

/// Natural log. Derivative `1/x`.
public func log(_ x: Variable) -> Variable { unary(x, { Foundation.log($0) }) { x, _ in 1 / x } }

/// `√x`. Derivative `1/(2y)`.
public func sqrt(_ x: Variable) -> Variable { unary(x, { $0.squareRoot() }) { _, y in 0.5 / y } }

/// `1/√x`. Derivative `−y³/2`.
public func rsqrt(_ x: Variable) -> Variable {
  unary(x, { 1 / $0.squareRoot() }) { _, y in -0.5 * y * y * y }
}

/// `x²`. Derivative `2x`.
public func square(_ x: Variable) -> Variable { unary(x, { $0 * $0 }) { x, _ in 2 * x } }

/// σ(x). Derivative `y(1−y)`.
public func sigmoid(_ x: Variable) -> Variable { unary(x, logistic) { _, y in y * (1 - y) } }

/// log σ(x) (stable). Derivative `σ(−x)` — the loss of DPO-style objectives.
public func logSigmoid(_ x: Variable) -> Variable {
  unary(x, logLogistic) { x, _ in logistic(-x) }
}

/// SiLU `x·σ(x)`. Derivative `σ(x)(1 + x(1 − σ(x)))`.
public func silu(_ x: Variable) -> Variable {
  unary(x, { $0 * logistic($0) }) { x, _ in
    let s = logistic(x)
    return s * (1 + x * (1 - s))
  }
}

/// `max(x, 0)`. Derivative `1[x > 0]`.
public func relu(_ x: Variable) -> Variable {
  unary(x, { Swift.max($0, 0) }) { x, _ in x > 0 ? 1 : 0 }
}

/// `min(x, c)` for a constant `c`. Derivative `1[x < c]` (as `torch.clamp(max:)`).
public func minimum(_ x: Variable, _ c: Float) -> Variable {
  unary(x, { Swift.min($0, c) }) { x, _ in x < c ? 1 : 0 }
}

/// `log(1 − eˣ)` for `x < 0`, stable on both sides of `−ln 2` (Mächler 2012): `log(−expm1(x))`
/// near zero, `log1p(−eˣ)` below. Derivative `−eˣ / (1 − eˣ) = −1 / expm1(−x)`. It is `−inf`
/// at 0 and NaN above, as the log of a non-positive number is.
public func log1mexp(_ x: Variable) -> Variable {
  unary(
    x,
    { x in
      x > -0.693_147_18
        ? Foundation.log(-Foundation.expm1(x)) : Foundation.log1p(-Foundation.exp(x))
    }
  ) { x, _ in -1 / Foundation.expm1(-x) }
}
