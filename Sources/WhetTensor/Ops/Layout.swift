/// Reshape, concatenate, split, slice and transpose (copies, except reshape).

extension Tensor {
  /// `tensors` joined along `axis`; all other axes must agree.
  public static func concatenate(_ tensors: [Tensor], alongAxis axis: Int) -> Tensor {
    precondition(!tensors.isEmpty, "concatenate needs at least one tensor")
    let first = tensors[0].shape
    let ax = resolveAxis(axis, rank: first.count)
    var shape = first
    shape[ax] = 0
    for t in tensors {
      precondition(t.rank == first.count, "concatenate: ranks differ")
      for d in 0..<first.count where d != ax {
        precondition(t.shape[d] == first[d], "concatenate: shapes \(first) and \(t.shape)")
      }
      shape[ax] += t.shape[ax]
    }
    let (outer, total, inner) = axisSplit(shape, ax)
    return Tensor(shape: shape) { out in
      var offset = 0
      for t in tensors {
        let n = t.shape[ax]
        t.withUnsafeBufferPointer { p in
          for o in 0..<outer {
            (out.baseAddress! + (o * total + offset) * inner).update(
              from: p.baseAddress! + o * n * inner, count: n * inner)
          }
        }
        offset += n
      }
    }
  }

  /// Elements `range` of `axis`.
  public func slice(alongAxis axis: Int, _ range: Range<Int>) -> Tensor {
    let ax = resolveAxis(axis, rank: rank)
    precondition(range.lowerBound >= 0 && range.upperBound <= shape[ax], "slice out of range")
    let (outer, n, inner) = axisSplit(shape, ax)
    var s = shape
    s[ax] = range.count
    return Tensor(shape: s) { out in
      withUnsafeBufferPointer { p in
        for o in 0..<outer {
          (out.baseAddress! + o * range.count * inner).update(
            from: p.baseAddress! + (o * n + range.lowerBound) * inner, count: range.count * inner)
        }
      }
    }
  }

  /// Axes `axis0` and `axis1` swapped (a copy in the new order).
  public func transposed(_ axis0: Int, _ axis1: Int) -> Tensor {
    let a0 = resolveAxis(axis0, rank: rank), a1 = resolveAxis(axis1, rank: rank)
    if a0 == a1 { return self }
    var outShape = shape
    outShape.swapAt(a0, a1)
    var inStrides = [Int](repeating: 1, count: rank)
    for d in stride(from: rank - 2, through: 0, by: -1) {
      inStrides[d] = inStrides[d + 1] * shape[d + 1]
    }
    var strides = inStrides
    strides.swapAt(a0, a1)
    return Tensor(shape: outShape) { out in
      withUnsafeBufferPointer { p in
        var index = [Int](repeating: 0, count: rank)
        var src = 0
        for o in 0..<out.count {
          out[o] = p[src]
          var d = rank - 1
          while d >= 0 {
            index[d] += 1
            src += strides[d]
            if index[d] < outShape[d] { break }
            src -= strides[d] * index[d]
            index[d] = 0
            d -= 1
          }
        }
      }
    }
  }
}

/// The same elements under `shape` (`-1` inferred). Backward reshapes the gradient back.
public func reshape(_ x: Variable, _ shape: [Int]) -> Variable {
  let original = x.shape
  return Variable.result(x.value.reshaped(shape), inputs: [x]) { g in
    x.accumulateGradient(g.reshaped(original))
  }
}

/// `xs` joined along `axis`. Backward slices the gradient back into pieces.
public func concatenate(_ xs: [Variable], alongAxis axis: Int) -> Variable {
  let values = xs.map(\.value)
  let out = Tensor.concatenate(values, alongAxis: axis)
  let ax = resolveAxis(axis, rank: out.rank)
  return Variable.result(out, inputs: xs) { g in
    var offset = 0
    for x in xs {
      let n = x.shape[ax]
      if x.isTracked { x.accumulateGradient(g.slice(alongAxis: ax, offset..<(offset + n))) }
      offset += n
    }
  }
}

/// Elements `range` of `axis`. Backward scatters the gradient into zeros.
public func slice(_ x: Variable, alongAxis axis: Int, _ range: Range<Int>) -> Variable {
  let shape = x.shape
  let ax = resolveAxis(axis, rank: shape.count)
  return Variable.result(x.value.slice(alongAxis: ax, range), inputs: [x]) { g in
    var pieces: [Tensor] = []
    var before = shape, after = shape
    before[ax] = range.lowerBound
    after[ax] = shape[ax] - range.upperBound
    if range.lowerBound > 0 { pieces.append(.zeros(before)) }
    pieces.append(g)
    if after[ax] > 0 { pieces.append(.zeros(after)) }
    x.accumulateGradient(Tensor.concatenate(pieces, alongAxis: ax))
  }
}

/// `x` cut along `axis` into consecutive pieces of the given sizes.
public func split(_ x: Variable, sizes: [Int], alongAxis axis: Int) -> [Variable] {
  let ax = resolveAxis(axis, rank: x.shape.count)
  precondition(sizes.reduce(0, +) == x.shape[ax], "split: sizes \(sizes) for \(x.shape)")
  var offset = 0
  return sizes.map { n in
    defer { offset += n }
    return slice(x, alongAxis: ax, offset..<(offset + n))
  }
}

/// Axes `axis0` and `axis1` swapped. Backward swaps them back.
public func transpose(_ x: Variable, _ axis0: Int, _ axis1: Int) -> Variable {
  Variable.result(x.value.transposed(axis0, axis1), inputs: [x]) { g in
    x.accumulateGradient(g.transposed(axis0, axis1))
  }
}

/// The elements of `x` (read flat) at `indices`, as a `[indices.count]` vector. Backward
/// scatters the gradient back, adding where an index repeats.
public func gather(_ x: Variable, _ indices: [Int]) -> Variable {
  let xv = x.value
  let out = Tensor(shape: [indices.count], scalars: indices.map { xv[flat: $0] })
  return Variable.result(out, inputs: [x]) { g in
    var gx = Tensor.zeros(xv.shape)
    for (k, i) in indices.enumerated() { gx[flat: i] += g[flat: k] }
    x.accumulateGradient(gx)
  }
}

/// The elements of `x` (read flat) sorted ascending, as `torch.sort(x, dim=0).values` of a
/// vector; ties keep their order. The gradient follows each element to where it went.
public func sortedAscending(_ x: Variable) -> Variable {
  let order = (0..<x.value.count).sorted { a, b in
    let (va, vb) = (x.value[flat: a], x.value[flat: b])
    return va < vb || (va == vb && a < b)
  }
  return gather(x, order)
}
