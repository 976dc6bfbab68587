import Foundation

/// Softmax and log-softmax over the last axis, shifted by the row maximum so that
/// `exp` never overflows (log-sum-exp trick).

extension Tensor {
  /// `log softmax` over the last axis.
  public func logSoftmax() -> Tensor {
    let c = lastDimension, rows = rowCount
    return Tensor(shape: shape) { out in
      withUnsafeBufferPointer { p in
        parallelFor(rows, minimumPerTask: 8) { r in
          for n in r {
            let row = p.baseAddress! + n * c
            let m = maxElement(row, c)
            let s = expSum(row, shift: m, into: nil, count: c)
            // (x − m) − log s, not x − (m + log s): the latter loses bits when |m| is large.
            let logS = Foundation.log(s)
            for j in 0..<c { out[n * c + j] = (row[j] - m) - logS }
          }
        }
      }
    }
  }

  /// `softmax` over the last axis: `exp(x − m) / Σ exp(x − m)` per row, `m` the row maximum.
  public func softmax() -> Tensor {
    let c = lastDimension, rows = rowCount
    return Tensor(shape: shape) { out in
      withUnsafeBufferPointer { p in
        parallelFor(rows, minimumPerTask: 8) { r in
          for n in r {
            let row = p.baseAddress! + n * c, o = out.baseAddress! + n * c
            let s = expSum(row, shift: maxElement(row, c), into: o, count: c)
            let inverse = 1 / s
            for j in 0..<c { o[j] *= inverse }
          }
        }
      }
    }
  }
}

/// Softmax over the last axis. Backward: `dx = y ⊙ (g − Σ g⊙y)` per row.
public func softmax(_ x: Variable) -> Variable {
  let y = x.value.softmax()
  return Variable.result(y, inputs: [x]) { g in
    let c = y.lastDimension
    let dx = Tensor(shape: y.shape) { out in
      y.withUnsafeBufferPointer { py in
        g.withUnsafeBufferPointer { pg in
          for n in 0..<y.rowCount {
            let dotGY = dotProduct(pg.baseAddress! + n * c, py.baseAddress! + n * c, c)
            for j in 0..<c { out[n * c + j] = py[n * c + j] * (pg[n * c + j] - dotGY) }
          }
        }
      }
    }
    x.accumulateGradient(dx)
  }
}

/// Log-softmax over the last axis. Backward: `dx = g − softmax ⊙ Σ g` per row.
public func logSoftmax(_ x: Variable) -> Variable {
  let y = x.value.logSoftmax()
  return Variable.result(y, inputs: [x]) { g in
    let c = y.lastDimension
    let dx = Tensor(shape: y.shape) { out in
      y.withUnsafeBufferPointer { py in
        g.withUnsafeBufferPointer { pg in
          for n in 0..<y.rowCount {
            var s: Float = 0
            for j in 0..<c { s += pg[n * c + j] }
            let o = out.baseAddress! + n * c
            _ = expSum(py.baseAddress! + n * c, shift: 0, into: o, count: c)
            for j in 0..<c { o[j] = pg[n * c + j] - o[j] * s }
          }
        }
      }
    }
    x.accumulateGradient(dx)
  }
}
