/// Sum, mean and max along one axis, and the full sum.

/// `shape` viewed as `[outer, shape[axis], inner]`.
@usableFromInline func axisSplit(_ shape: [Int], _ axis: Int) -> (outer: Int, n: Int, inner: Int) {
  precondition(axis >= 0 && axis < shape.count, "axis \(axis) out of range for \(shape)")
  return (
    shape[..<axis].reduce(1, *), shape[axis], shape[(axis + 1)...].reduce(1, *)
  )
}

/// Normalises a possibly negative axis.
@usableFromInline func resolveAxis(_ axis: Int, rank: Int) -> Int {
  let a = axis < 0 ? axis + rank : axis
  precondition(a >= 0 && a < rank, "axis \(axis) out of range for rank \(rank)")
  return a
}

func reducedShape(_ shape: [Int], axis: Int, keepingDimension: Bool) -> [Int] {
  var s = shape
  if keepingDimension { s[axis] = 1 } else { s.remove(at: axis) }
  return s
}

extension Tensor {
  /// Sum along `axis`.
  public func sum(alongAxis axis: Int, keepingDimension: Bool = false) -> Tensor {
    let ax = resolveAxis(axis, rank: rank)
    let (outer, n, inner) = axisSplit(shape, ax)
    return Tensor(shape: reducedShape(shape, axis: ax, keepingDimension: keepingDimension)) {
      out in
      out.initialize(repeating: 0)
      withUnsafeBufferPointer { p in
        for o in 0..<outer {
          for i in 0..<n {
            for j in 0..<inner { out[o * inner + j] += p[(o * n + i) * inner + j] }
          }
        }
      }
    }
  }

  /// Sum of every element, accumulated in Double.
  public func sum() -> Float {
    withUnsafeBufferPointer { p in Float(p.reduce(0.0) { $0 + Double($1) }) }
  }
}

/// Sum along `axis`. Backward: the gradient is broadcast back along `axis`.
public func sum(_ x: Variable, alongAxis axis: Int, keepingDimension: Bool = false) -> Variable {
  let shape = x.shape
  let ax = resolveAxis(axis, rank: shape.count)
  let out = x.value.sum(alongAxis: ax, keepingDimension: keepingDimension)
  return Variable.result(out, inputs: [x]) { g in
    x.accumulateGradient(
      Tensor.broadcasting(
        Tensor.zeros(shape),
        g.reshaped(
          reducedShape(shape, axis: ax, keepingDimension: true)), +))
  }
}

/// Sum of all elements as a scalar `[]`. Backward: `g` everywhere.
public func sum(_ x: Variable) -> Variable {
  let shape = x.shape
  return Variable.result(Tensor(x.value.sum()), inputs: [x]) { g in
    x.accumulateGradient(Tensor(shape: shape, repeating: g.item))
  }
}

/// Mean along `axis`. Backward: `g / n` broadcast back.
public func mean(_ x: Variable, alongAxis axis: Int, keepingDimension: Bool = false) -> Variable {
  let n = x.shape[resolveAxis(axis, rank: x.shape.count)]
  return sum(x, alongAxis: axis, keepingDimension: keepingDimension) * (1 / Float(n))
}

/// Mean of all elements as a scalar.
public func mean(_ x: Variable) -> Variable { sum(x) * (1 / Float(max(x.value.count, 1))) }

/// Maximum along `axis`. Backward: the gradient goes to the first maximal element.
public func max(_ x: Variable, alongAxis axis: Int, keepingDimension: Bool = false) -> Variable {
  let shape = x.shape
  let ax = resolveAxis(axis, rank: shape.count)
  let (outer, n, inner) = axisSplit(shape, ax)
  var argmax = [Int](repeating: 0, count: outer * inner)
  let out = Tensor(shape: reducedShape(shape, axis: ax, keepingDimension: keepingDimension)) {
    o in
    x.value.withUnsafeBufferPointer { p in
      for a in 0..<outer {
        for j in 0..<inner {
          var best = -Float.infinity, bi = 0
          for i in 0..<n where p[(a * n + i) * inner + j] > best {
            best = p[(a * n + i) * inner + j]
            bi = i
          }
          o[a * inner + j] = best
          argmax[a * inner + j] = (a * n + bi) * inner + j
        }
      }
    }
  }
  return Variable.result(out, inputs: [x]) { g in
    var dx = Tensor.zeros(shape)
    dx.withUnsafeMutableBufferPointer { d in
      g.withUnsafeBufferPointer { pg in
        for (k, idx) in argmax.enumerated() { d[idx] += pg[k] }
      }
    }
    x.accumulateGradient(dx)
  }
}
