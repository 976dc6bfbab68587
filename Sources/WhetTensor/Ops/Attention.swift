import Foundation

/// Causal scaled dot-product attention with grouped-query heads (Ainslie et al. 2023).
///
/// Layouts keep the projections' natural `[B, T, heads·D]` order, so no transposes are made.
/// Query head `h` reads key/value head `h / (H/K)`, as transformers' `repeat_kv` does.

/// Which keys each query may see, and how scores are scaled.
public struct AttentionMask: Sendable, Equatable {
  /// Absolute position of query 0 among the keys (the KV-cache length before this step).
  public var queryOffset: Int
  /// Per batch row, the first valid key (left padding before it is masked); `nil`: all 0.
  public var keyStart: [Int]?
  /// Sliding-window attention: a query at position `i` sees keys `i − window < j ≤ i`
  /// (transformers' `sliding_window`); `nil` for full causal attention.
  public var window: Int?
  /// The factor on `q·k`; `nil` for `1/√D` (Gemma uses `query_pre_attn_scalar^(−1/2)`).
  public var scale: Float?

  public init(queryOffset: Int = 0, keyStart: [Int]? = nil, window: Int? = nil, scale: Float? = nil)
  {
    self.queryOffset = queryOffset
    self.keyStart = keyStart
    self.window = window
    self.scale = scale
  }

  @inlinable func range(batch b: Int, query i: Int, keys: Int) -> Range<Int> {
    var start = keyStart?[b] ?? 0
    if let window { start = max(start, queryOffset + i + 1 - window) }
    let end = min(keys, queryOffset + i + 1)
    return start < end ? start..<end : start..<start
  }
}

/// Sizes of one attention call, checked once.
@usableFromInline struct AttentionGeometry {
  let b: Int, t: Int, s: Int, h: Int, kv: Int, d: Int
  let scale: Float
  var group: Int { h / kv }

  init(q: [Int], k: [Int], v: [Int], heads: Int, kvHeads: Int, mask: AttentionMask) {
    precondition(q.count == 3 && k.count == 3 && k == v, "attention: shapes \(q), \(k), \(v)")
    precondition(heads % kvHeads == 0, "attention: \(heads) heads not a multiple of \(kvHeads)")
    b = q[0]
    t = q[1]
    s = k[1]
    h = heads
    kv = kvHeads
    d = q[2] / heads
    scale = mask.scale ?? 1 / Float(d).squareRoot()
    precondition(q[2] == heads * d && k[2] == kvHeads * d && k[0] == b, "attention: head sizes")
    precondition(mask.keyStart == nil || mask.keyStart!.count == b, "attention: keyStart count")
  }

  /// Floats between consecutive keys (or values) of one head.
  var keyStride: Int { kv * d }

  /// Query `i` of head `h` in batch row `b`: the keys it sees, the offset of its query (and
  /// output) vector, and the offset of its first key (and value) vector; nil when it sees none.
  func row(batch bi: Int, head hi: Int, query i: Int, mask: AttentionMask) -> (
    keys: Range<Int>, query: Int, key: Int
  )? {
    let keys = mask.range(batch: bi, query: i, keys: s)
    if keys.isEmpty { return nil }
    return (keys, ((bi * t + i) * h + hi) * d, ((bi * s + keys.lowerBound) * kv + hi / group) * d)
  }
}

extension Tensor {
  /// Attention output `[B, T, H·D]`. Each query row's probabilities are formed in a scratch
  /// row of `S` floats and used at once; no `[B, H, T, S]` tensor exists, here or in the
  /// backward pass, which forms each row again (flash attention's recomputation, Dao et al.
  /// 2022, one query row at a time).
  public static func attention(
    q: Tensor, k: Tensor, v: Tensor, heads: Int, kvHeads: Int, mask: AttentionMask
  ) -> Tensor {
    let g = AttentionGeometry(
      q: q.shape, k: k.shape, v: v.shape, heads: heads, kvHeads: kvHeads, mask: mask)
    return Tensor(shape: [g.b, g.t, g.h * g.d]) { po in
      po.initialize(repeating: 0)
      q.withUnsafeBufferPointer { pq in
        k.withUnsafeBufferPointer { pk in
          v.withUnsafeBufferPointer { pv in
            // Decoding attends one query per head: heads are split across threads once each
            // task has about 8k multiply-adds (a WorkerPool hand-off costs microseconds).
            let work = g.t * g.s * g.d
            parallelFor(g.b * g.h, minimumPerTask: max(1, 8_192 / max(work, 1)), tasksPerWorker: 1)
            { tasks in
              withWorkspace(g.s) { p in
                for task in tasks {
                  let bi = task / g.h, hi = task % g.h
                  for i in 0..<g.t {
                    guard let row = g.row(batch: bi, head: hi, query: i, mask: mask) else {
                      continue
                    }
                    let n = row.keys.count
                    AttentionRow.probabilities(
                      q: pq.baseAddress! + row.query, keys: pk.baseAddress! + row.key,
                      stride: g.keyStride, count: n, d: g.d, scale: g.scale, into: p)
                    AttentionRow.accumulate(
                      p, values: pv.baseAddress! + row.key, stride: g.keyStride, count: n, d: g.d,
                      into: po.baseAddress! + row.query)
                  }
                }
              }
            }
          }
        }
      }
    }
  }
}

/// Causal grouped-query attention of `q` `[B, T, H·D]` over `k`, `v` `[B, S, K·D]`.
///
/// Memory is `O(B·T·H·D)`: the backward pass forms each query row's probabilities `P` again
/// from `q` and `k` instead of keeping `[B, H, T, S]` from the forward pass.
///
/// Backward, per query row with probabilities `P` and `dP_j = dO·v_j`:
/// `dS_j = P_j (dP_j − Σ P⊙dP)`, `dQ = scale·Σ dS_j k_j`, `dK_j += scale·dS_j q`,
/// `dV_j += P_j dO`. Work is split by (batch, kv head) so no two tasks write the same rows.
public func attention(
  q: Variable, k: Variable, v: Variable, heads: Int, kvHeads: Int,
  mask: AttentionMask = AttentionMask()
) -> Variable {
  let (qv, kv, vv) = (q.value, k.value, v.value)
  let out = Tensor.attention(q: qv, k: kv, v: vv, heads: heads, kvHeads: kvHeads, mask: mask)
  return Variable.result(out, inputs: [q, k, v]) { dout in
    let g = AttentionGeometry(
      q: qv.shape, k: kv.shape, v: vv.shape, heads: heads, kvHeads: kvHeads, mask: mask)
    var dq = Tensor.zeros(qv.shape), dk = Tensor.zeros(kv.shape), dv = Tensor.zeros(vv.shape)
    let pdq = dq.withUnsafeMutableBufferPointer { $0.baseAddress! }
    let pdk = dk.withUnsafeMutableBufferPointer { $0.baseAddress! }
    let pdv = dv.withUnsafeMutableBufferPointer { $0.baseAddress! }
    let pq = qv.withUnsafeBufferPointer { $0.baseAddress! }
    let pk = kv.withUnsafeBufferPointer { $0.baseAddress! }
    let pv = vv.withUnsafeBufferPointer { $0.baseAddress! }
    let pdo = dout.withUnsafeBufferPointer { $0.baseAddress! }
    parallelFor(g.b * g.kv) { tasks in
      withWorkspace(2 * g.s) { scratch in
        let (p, dP) = (scratch, scratch + g.s)
        for task in tasks {
          let bi = task / g.kv, kh = task % g.kv
          for hi in (kh * g.group)..<((kh + 1) * g.group) {
            for i in 0..<g.t {
              guard let row = g.row(batch: bi, head: hi, query: i, mask: mask) else { continue }
              let (stride, n) = (g.keyStride, row.keys.count)
              // The forward's probabilities, formed again by the same arithmetic (same bits).
              AttentionRow.probabilities(
                q: pq + row.query, keys: pk + row.key, stride: stride, count: n, d: g.d,
                scale: g.scale, into: p)
              // dP_j = dO·v_j, then dS_j in place.
              _ = AttentionRow.scores(
                q: pdo + row.query, keys: pv + row.key, stride: stride, count: n, d: g.d, scale: 1,
                into: dP)
              var weighted: Float = 0
              for j in 0..<n { weighted += p[j] * dP[j] }
              for j in 0..<n { dP[j] = p[j] * (dP[j] - weighted) * g.scale }
              AttentionRow.accumulate(
                dP, values: pk + row.key, stride: stride, count: n, d: g.d, into: pdq + row.query)
              AttentionRow.update(
                dP, x: pq + row.query, rows: pdk + row.key, stride: stride, count: n, d: g.d)
              AttentionRow.update(
                p, x: pdo + row.query, rows: pdv + row.key, stride: stride, count: n, d: g.d)
            }
          }
        }
      }
    }
    // The raw pointers above stay valid: each tensor is uniquely owned and not resized.
    withExtendedLifetime((qv, kv, vv, dout)) {}
    if q.isTracked { q.accumulateGradient(dq) }
    if k.isTracked { k.accumulateGradient(dk) }
    if v.isTracked { v.accumulateGradient(dv) }
  }
}
