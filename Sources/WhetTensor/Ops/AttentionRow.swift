/// The two inner loops of one attention query row, over keys stored as strided rows of a
/// `[S, K·D]` cache: scores `q·k_j` and the probability-weighted sum of value rows.
///
/// With the head size a multiple of 16 (SmolLM2's 64), each keeps its `D`-vector in registers
/// across all keys: the query for the scores, the output for the weighted sum, so neither is
/// reloaded per key (the per-key `dotProduct`/`axpy` calls were 9 % of batch-8 decoding).
/// Each score is the same sum as ``dotProduct(_:_:_:)`` would form, in the same order, and the
/// output the same sequence of multiply-adds as one ``axpy(_:_:_:_:)`` per key.
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
}
