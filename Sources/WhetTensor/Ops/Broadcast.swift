/// NumPy-style broadcasting for the binary elementwise ops and the reduction that undoes it.

/// The broadcast shape of `a` and `b` (trailing axes aligned; size-1 axes stretch).
public func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int] {
  let r = max(a.count, b.count)
  var out = [Int](repeating: 1, count: r)
  for i in 0..<r {
    let da = i < r - a.count ? 1 : a[i - (r - a.count)]
    let db = i < r - b.count ? 1 : b[i - (r - b.count)]
    precondition(da == db || da == 1 || db == 1, "shapes \(a) and \(b) do not broadcast")
    out[i] = da == 1 ? db : da
  }
  return out
}

/// Strides of `shape` seen through `outShape`: 0 on broadcast axes.
@usableFromInline func broadcastStrides(_ shape: [Int], to outShape: [Int]) -> [Int] {
  let r = outShape.count
  var strides = [Int](repeating: 0, count: r)
  var s = 1
  for i in stride(from: shape.count - 1, through: 0, by: -1) {
    let o = i + (r - shape.count)
    strides[o] = shape[i] == 1 ? 0 : s
    s *= shape[i]
  }
  return strides
}

/// Calls `body(outOffset, aOffset, bOffset, innerCount, aInnerStride, bInnerStride)` for each
/// run of the innermost axis of the broadcast of `aShape` and `bShape` to `outShape`.
@inlinable func forEachBroadcastRow(
  _ outShape: [Int], _ aShape: [Int], _ bShape: [Int],
  _ body: (Int, Int, Int, Int, Int, Int) -> Void
) {
  let r = outShape.count
  if r == 0 {
    body(0, 0, 0, 1, 0, 0)
    return
  }
  let sa = broadcastStrides(aShape, to: outShape), sb = broadcastStrides(bShape, to: outShape)
  let inner = outShape[r - 1]
  let rows = inner == 0 ? 0 : Tensor.elementCount(outShape) / inner
  var index = [Int](repeating: 0, count: r)
  var oa = 0, ob = 0
  for row in 0..<rows {
    body(row * inner, oa, ob, inner, sa[r - 1], sb[r - 1])
    var d = r - 2
    while d >= 0 {
      index[d] += 1
      oa += sa[d]
      ob += sb[d]
      if index[d] < outShape[d] { break }
      oa -= sa[d] * index[d]
      ob -= sb[d] * index[d]
      index[d] = 0
      d -= 1
    }
  }
}

extension Tensor {
  /// `f(a, b)` elementwise with broadcasting.
  @inlinable public static func broadcasting(
    _ a: Tensor, _ b: Tensor, _ f: (Float, Float) -> Float
  ) -> Tensor {
    let shape = a.shape == b.shape ? a.shape : broadcastShape(a.shape, b.shape)
    return Tensor(shape: shape) { out in
      a.withUnsafeBufferPointer { pa in
        b.withUnsafeBufferPointer { pb in
          if a.shape == b.shape {
            for i in 0..<out.count { out[i] = f(pa[i], pb[i]) }
            return
          }
          forEachBroadcastRow(shape, a.shape, b.shape) { o, ia, ib, n, sa, sb in
            for j in 0..<n { out[o + j] = f(pa[ia + j * sa], pb[ib + j * sb]) }
          }
        }
      }
    }
  }

  /// Sums `self` (of a broadcast shape) down to `shape`: the gradient of a broadcast.
  public func reduced(toShape target: [Int]) -> Tensor {
    if shape == target { return self }
    var out = Tensor.zeros(target)
    out.withUnsafeMutableBufferPointer { po in
      withUnsafeBufferPointer { pg in
        // Walk the gradient (the "output" shape), adding into the target's broadcast slots.
        forEachBroadcastRow(shape, target, shape) { o, it, _, n, st, _ in
          for j in 0..<n { po[it + j * st] += pg[o + j] }
        }
      }
    }
    return out
  }
}
