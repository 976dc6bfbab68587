/// The inner loops of one attention query row, over keys stored as strided rows of a
/// `[S, K·D]` tensor: scores `q·k_j`, the weighted sum `Σ_j w_j v_j`, and the rank-1 update
/// `r_j += w_j x` of the backward pass.
///
/// With SmolLM2's head size 64, each keeps its `D`-vector in registers across all keys (the
/// query, the output sum, or `x`), so none is reloaded per key; the per-key `dotProduct`/`axpy`
/// calls were 9 % of batch-8 decoding. Other head sizes take those calls. Each score is the
/// sum ``dotProduct(_:_:_:)`` forms, in its order, and each output receives the multiply-adds
/// of one ``axpy(_:_:_:_:)`` per key, in key order: the two paths give the same bits.
@usableFromInline enum AttentionRow {
  /// `p[j] = scale·(q·k_j)` for `j` in `0..<count`, `k_j = keys + j·stride` `[D]`; the maximum.
  @inlinable static func scores(
    q: UnsafePointer<Float>, keys: UnsafePointer<Float>, stride: Int, count: Int, d: Int,
    scale: Float, into p: UnsafeMutablePointer<Float>
  ) -> Float {
    var m = -Float.infinity
    guard d == 64 else {
      for j in 0..<count {
        p[j] = dotProduct(q, keys + j * stride, d) * scale
        m = max(m, p[j])
      }
      return m
    }
    let query = Head64(q)
    for j in 0..<count {
      p[j] = query.dot(Head64(keys + j * stride)) * scale
      m = max(m, p[j])
    }
    return m
  }

  /// `p = softmax(scale·(q·k_j))` over `j` in `0..<count`: ``scores(q:keys:stride:count:d:scale:into:)``,
  /// then the vectorised `exp` shifted by the maximum, then division by the sum.
  @inlinable static func probabilities(
    q: UnsafePointer<Float>, keys: UnsafePointer<Float>, stride: Int, count: Int, d: Int,
    scale: Float, into p: UnsafeMutablePointer<Float>
  ) {
    let m = scores(q: q, keys: keys, stride: stride, count: count, d: d, scale: scale, into: p)
    let total = expSum(p, shift: m, into: p, count: count)
    for j in 0..<count { p[j] /= total }
  }

  /// `out += Σ_j p[j]·v_j` for `j` in `0..<count`, `v_j = values + j·stride` `[D]`, `out` `[D]`.
  @inlinable static func accumulate(
    _ p: UnsafePointer<Float>, values: UnsafePointer<Float>, stride: Int, count: Int, d: Int,
    into out: UnsafeMutablePointer<Float>
  ) {
    guard d == 64 else {
      for j in 0..<count { axpy(p[j], values + j * stride, out, d) }
      return
    }
    var sum = Head64(out)
    for j in 0..<count { sum.addProduct(p[j], Head64(values + j * stride)) }
    sum.store(to: out)
  }

  /// `rows_j += w[j]·x` for `j` in `0..<count`, `rows_j = rows + j·stride` `[D]`, `x` `[D]`.
  @inlinable static func update(
    _ w: UnsafePointer<Float>, x: UnsafePointer<Float>, rows: UnsafeMutablePointer<Float>,
    stride: Int, count: Int, d: Int
  ) {
    guard d == 64 else {
      for j in 0..<count { axpy(w[j], x, rows + j * stride, d) }
      return
    }
    let vector = Head64(x)
    for j in 0..<count {
      var row = Head64(rows + j * stride)
      row.addProduct(w[j], vector)
      row.store(to: rows + j * stride)
    }
  }
}

/// One 64-float head vector in four SIMD16 registers.
@usableFromInline struct Head64 {
  @usableFromInline var a: SIMD16<Float>, b: SIMD16<Float>, c: SIMD16<Float>, d: SIMD16<Float>

  @inlinable @inline(__always) init(_ p: UnsafePointer<Float>) {
    let r = UnsafeRawPointer(p)
    a = r.loadUnaligned(fromByteOffset: 0, as: SIMD16<Float>.self)
    b = r.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self)
    c = r.loadUnaligned(fromByteOffset: 128, as: SIMD16<Float>.self)
    d = r.loadUnaligned(fromByteOffset: 192, as: SIMD16<Float>.self)
  }

  @inlinable @inline(__always) init(_ p: UnsafeMutablePointer<Float>) {
    self.init(UnsafePointer(p))
  }

  @inlinable @inline(__always) func store(to p: UnsafeMutablePointer<Float>) {
    let r = UnsafeMutableRawPointer(p)
    r.storeBytes(of: a, toByteOffset: 0, as: SIMD16<Float>.self)
    r.storeBytes(of: b, toByteOffset: 64, as: SIMD16<Float>.self)
    r.storeBytes(of: c, toByteOffset: 128, as: SIMD16<Float>.self)
    r.storeBytes(of: d, toByteOffset: 192, as: SIMD16<Float>.self)
  }

  /// `self += w·x`, lane by lane: the multiply-adds of one `axpy(w, x, self, 64)`.
  @inlinable @inline(__always) mutating func addProduct(_ w: Float, _ x: Head64) {
    let s = SIMD16<Float>(repeating: w)
    a.addProduct(s, x.a)
    b.addProduct(s, x.b)
    c.addProduct(s, x.c)
    d.addProduct(s, x.d)
  }

  /// `self·x` in `dotProduct`'s order: lanes 0–15 and 32–47 in one accumulator, 16–31 and
  /// 48–63 in the other.
  @inlinable @inline(__always) func dot(_ x: Head64) -> Float {
    var even = a * x.a, odd = b * x.b
    even.addProduct(c, x.c)
    odd.addProduct(d, x.d)
    return (even + odd).sum()
  }
}
