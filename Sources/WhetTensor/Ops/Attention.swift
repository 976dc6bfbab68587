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
}

extension Tensor {
  /// Attention output `[B, T, H·D]`, and the probabilities `[B, H, T, S]` when `keepProbabilities`.
  public static func attention(
    q: Tensor, k: Tensor, v: Tensor, heads: Int, kvHeads: Int, mask: AttentionMask,
    keepProbabilities: Bool
  ) -> (output: Tensor, probabilities: Tensor?) {
    let g = AttentionGeometry(
      q: q.shape, k: k.shape, v: v.shape, heads: heads, kvHeads: kvHeads, mask: mask)
    var probs = keepProbabilities ? Tensor.zeros([g.b, g.h, g.t, g.s]) : nil
    let probsPointer = probs?.withUnsafeMutableBufferPointer { $0.baseAddress! }
    let out = Tensor(shape: [g.b, g.t, g.h * g.d]) { po in
      po.initialize(repeating: 0)
      q.withUnsafeBufferPointer { pq in
        k.withUnsafeBufferPointer { pk in
          v.withUnsafeBufferPointer { pv in
            // Decoding attends one query per head: heads are split across threads once each
            // task has about 8k multiply-adds (a WorkerPool hand-off costs microseconds).
            let work = g.t * g.s * g.d
            parallelFor(g.b * g.h, minimumPerTask: max(1, 8_192 / max(work, 1)), tasksPerWorker: 1)
            { tasks in
              withWorkspace(g.s) { scratch in
                for task in tasks {
                  let bi = task / g.h, hi = task % g.h, kh = hi / g.group
                  for i in 0..<g.t {
                    let keys = mask.range(batch: bi, query: i, keys: g.s)
                    if keys.isEmpty { continue }
                    let qi = pq.baseAddress! + ((bi * g.t + i) * g.h + hi) * g.d
                    let p = probsPointer.map { $0 + ((bi * g.h + hi) * g.t + i) * g.s } ?? scratch
                    let first = p + keys.lowerBound
                    let row = ((bi * g.s + keys.lowerBound) * g.kv + kh) * g.d
                    let m = AttentionRow.scores(
                      q: qi, keys: pk.baseAddress! + row, stride: g.kv * g.d, count: keys.count,
                      d: g.d, scale: g.scale, into: first)
                    let total = expSum(first, shift: m, into: first, count: keys.count)
                    for j in 0..<keys.count { first[j] /= total }
                    AttentionRow.accumulate(
                      first, values: pv.baseAddress! + row, stride: g.kv * g.d, count: keys.count,
                      d: g.d, into: po.baseAddress! + ((bi * g.t + i) * g.h + hi) * g.d)
                  }
                }
              }
            }
          }
        }
      }
    }
    return (out, probs)
  }
}

/// Causal grouped-query attention of `q` `[B, T, H·D]` over `k`, `v` `[B, S, K·D]`.
///
/// Backward, per query row with probabilities `P` and `dP_j = dO·v_j`:
/// `dS_j = P_j (dP_j − Σ P⊙dP)`, `dQ = scale·Σ dS_j k_j`, `dK_j += scale·dS_j q`,
/// `dV_j += P_j dO`. Work is split by (batch, kv head) so no two tasks write the same rows.
public func attention(
  q: Variable, k: Variable, v: Variable, heads: Int, kvHeads: Int,
  mask: AttentionMask = AttentionMask()
) -> Variable {
  let tracked = q.isTracked || k.isTracked || v.isTracked
  let (qv, kv, vv) = (q.value, k.value, v.value)
  let (out, probs) = Tensor.attention(
    q: qv, k: kv, v: vv, heads: heads, kvHeads: kvHeads, mask: mask, keepProbabilities: tracked)
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
    let pp = probs!.withUnsafeBufferPointer { $0.baseAddress! }
    let pdo = dout.withUnsafeBufferPointer { $0.baseAddress! }
    parallelFor(g.b * g.kv) { tasks in
      withWorkspace(g.s) { dP in
        for task in tasks {
          let bi = task / g.kv, kh = task % g.kv
          for hi in (kh * g.group)..<((kh + 1) * g.group) {
            for i in 0..<g.t {
              let keys = mask.range(batch: bi, query: i, keys: g.s)
              if keys.isEmpty { continue }
              let rowOffset = ((bi * g.t + i) * g.h + hi) * g.d
              let p = pp + ((bi * g.h + hi) * g.t + i) * g.s + keys.lowerBound
              let row = ((bi * g.s + keys.lowerBound) * g.kv + kh) * g.d
              let (stride, n) = (g.kv * g.d, keys.count)
              // dP_j = dO·v_j, then dS_j in place.
              _ = AttentionRow.scores(
                q: pdo + rowOffset, keys: pv + row, stride: stride, count: n, d: g.d, scale: 1,
                into: dP)
              var weighted: Float = 0
              for j in 0..<n { weighted += p[j] * dP[j] }
              for j in 0..<n { dP[j] = p[j] * (dP[j] - weighted) * g.scale }
              AttentionRow.accumulate(
                dP, values: pk + row, stride: stride, count: n, d: g.d, into: pdq + rowOffset)
              AttentionRow.update(
                dP, x: pq + rowOffset, rows: pdk + row, stride: stride, count: n, d: g.d)
              AttentionRow.update(
                p, x: pdo + rowOffset, rows: pdv + row, stride: stride, count: n, d: g.d)
            }
          }
        }
      }
    }
    // The raw pointers above stay valid: each tensor is uniquely owned and not resized.
    withExtendedLifetime((qv, kv, vv, probs, dout)) {}
    if q.isTracked { q.accumulateGradient(dq) }
    if k.isTracked { k.accumulateGradient(dk) }
    if v.isTracked { v.accumulateGradient(dv) }
  }
}
