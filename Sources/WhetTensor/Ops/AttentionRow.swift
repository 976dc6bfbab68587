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
    let rq = UnsafeRawPointer(q)
    let q0 = rq.loadUnaligned(fromByteOffset: 0, as: SIMD16<Float>.self)
    let q1 = rq.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self)
    let q2 = rq.loadUnaligned(fromByteOffset: 128, as: SIMD16<Float>.self)
    let q3 = rq.loadUnaligned(fromByteOffset: 192, as: SIMD16<Float>.self)
    for j in 0..<count {
      let rk = UnsafeRawPointer(keys + j * stride)
      // dotProduct's order: lanes 0–15 and 32–47 in one accumulator, 16–31 and 48–63 in the other.
      var acc0 = q0 * rk.loadUnaligned(fromByteOffset: 0, as: SIMD16<Float>.self)
      var acc1 = q1 * rk.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self)
      acc0.addProduct(q2, rk.loadUnaligned(fromByteOffset: 128, as: SIMD16<Float>.self))
      acc1.addProduct(q3, rk.loadUnaligned(fromByteOffset: 192, as: SIMD16<Float>.self))
      p[j] = (acc0 + acc1).sum() * scale
      m = max(m, p[j])
    }
    return m
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
    let ro = UnsafeMutableRawPointer(out)
    var o0 = ro.loadUnaligned(fromByteOffset: 0, as: SIMD16<Float>.self)
    var o1 = ro.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self)
    var o2 = ro.loadUnaligned(fromByteOffset: 128, as: SIMD16<Float>.self)
    var o3 = ro.loadUnaligned(fromByteOffset: 192, as: SIMD16<Float>.self)
    for j in 0..<count {
      let rv = UnsafeRawPointer(values + j * stride)
      let w = SIMD16<Float>(repeating: p[j])
      o0.addProduct(w, rv.loadUnaligned(fromByteOffset: 0, as: SIMD16<Float>.self))
      o1.addProduct(w, rv.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self))
      o2.addProduct(w, rv.loadUnaligned(fromByteOffset: 128, as: SIMD16<Float>.self))
      o3.addProduct(w, rv.loadUnaligned(fromByteOffset: 192, as: SIMD16<Float>.self))
    }
    ro.storeBytes(of: o0, toByteOffset: 0, as: SIMD16<Float>.self)
    ro.storeBytes(of: o1, toByteOffset: 64, as: SIMD16<Float>.self)
    ro.storeBytes(of: o2, toByteOffset: 128, as: SIMD16<Float>.self)
    ro.storeBytes(of: o3, toByteOffset: 192, as: SIMD16<Float>.self)
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
    let rx = UnsafeRawPointer(x)
    let x0 = rx.loadUnaligned(fromByteOffset: 0, as: SIMD16<Float>.self)
    let x1 = rx.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self)
    let x2 = rx.loadUnaligned(fromByteOffset: 128, as: SIMD16<Float>.self)
    let x3 = rx.loadUnaligned(fromByteOffset: 192, as: SIMD16<Float>.self)
    for j in 0..<count {
      let rr = UnsafeMutableRawPointer(rows + j * stride)
      let s = SIMD16<Float>(repeating: w[j])
      var r0 = rr.loadUnaligned(fromByteOffset: 0, as: SIMD16<Float>.self)
      var r1 = rr.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self)
      var r2 = rr.loadUnaligned(fromByteOffset: 128, as: SIMD16<Float>.self)
      var r3 = rr.loadUnaligned(fromByteOffset: 192, as: SIMD16<Float>.self)
      r0.addProduct(s, x0)
      r1.addProduct(s, x1)
      r2.addProduct(s, x2)
      r3.addProduct(s, x3)
      rr.storeBytes(of: r0, toByteOffset: 0, as: SIMD16<Float>.self)
      rr.storeBytes(of: r1, toByteOffset: 64, as: SIMD16<Float>.self)
      rr.storeBytes(of: r2, toByteOffset: 128, as: SIMD16<Float>.self)
      rr.storeBytes(of: r3, toByteOffset: 192, as: SIMD16<Float>.self)
    }
  }
}
