import Foundation

/// `log softmax(h·Wᵀ)[target]` per row, computed over vocabulary chunks so the `[N, V]`
/// logits never exist at once (the top memory complaint about existing trainers).
///
/// Forward keeps a running maximum and sum per row (online log-sum-exp, Milakov &
/// Gimelshein 2018). Backward recomputes each chunk's logits and applies
/// `dlogit_v = g·(1[v = target] − softmax_v)`, accumulating `dh` and `dW` chunk by chunk.
/// Peak extra memory is `N × chunk` floats.

/// The default number of vocabulary entries per chunk.
public let defaultVocabularyChunk = 4096

extension Tensor {
  /// Per-row target log-probabilities `[N]` and log-normalisers `[N]`.
  ///
  /// - Parameters:
  ///   - hidden: `[N, C]` final hidden states.
  ///   - weight: `[V, C]` output projection (the tied embedding table for SmolLM2).
  ///   - targets: `[N]` token ids; a negative id means "ignore" and gives log-prob 0.
  public static func targetLogProbs(
    hidden: Tensor, weight: Tensor, targets: [Int], chunk: Int = defaultVocabularyChunk
  ) -> (logProbs: Tensor, logNormalizers: [Float]) {
    let n = hidden.rowCount, c = hidden.lastDimension, v = weight.rowCount
    precondition(weight.lastDimension == c, "targetLogProbs: \(hidden.shape) vs \(weight.shape)")
    precondition(targets.count == n, "targetLogProbs: \(targets.count) targets for \(n) rows")
    var runningMax = [Float](repeating: -.infinity, count: n)
    var runningSum = [Float](repeating: 0, count: n)
    var targetLogit = [Float](repeating: 0, count: n)
    let width = min(chunk, v)
    withWorkspace(n * width) { logits in
      hidden.withUnsafeBufferPointer { ph in
        weight.withUnsafeBufferPointer { pw in
          for start in stride(from: 0, to: v, by: width) {
            let cw = min(width, v - start)
            GEMM.product(
              transposeA: false, transposeB: true, m: n, n: cw, k: c, a: ph.baseAddress!, lda: c,
              b: pw.baseAddress! + start * c, ldb: c, c: logits, ldc: cw)
            runningMax.withUnsafeMutableBufferPointer { pm in
              runningSum.withUnsafeMutableBufferPointer { ps in
                targetLogit.withUnsafeMutableBufferPointer { pt in
                  parallelFor(n, minimumPerTask: 4) { rows in
                    for r in rows {
                      let row = logits + r * cw
                      let m = max(pm[r], maxElement(row, cw))
                      let s = expSum(row, shift: m, into: nil, count: cw)
                      ps[r] = ps[r] * Foundation.exp(pm[r] - m) + s
                      pm[r] = m
                      let t = targets[r]
                      if t >= start && t < start + cw { pt[r] = row[t - start] }
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
    var lse = [Float](repeating: 0, count: n)
    let out = Tensor(shape: [n]) { o in
      for r in 0..<n {
        lse[r] = runningMax[r] + Foundation.log(runningSum[r])
        if targets[r] >= 0 {
          precondition(targets[r] < v, "target id \(targets[r]) outside vocabulary of \(v)")
          o[r] = targetLogit[r] - lse[r]
        } else {
          o[r] = 0
        }
      }
    }
    return (out, lse)
  }
}

/// Target log-probs `[N]` of `hidden` `[N, C]` under the projection `weight` `[V, C]`.
/// Rows whose target is negative are ignored (log-prob 0, no gradient).
public func targetLogProbs(
  hidden: Variable, weight: Variable, targets: [Int], chunk: Int = defaultVocabularyChunk
) -> Variable {
  let hv = hidden.value, wv = weight.value
  let (out, lse) = Tensor.targetLogProbs(hidden: hv, weight: wv, targets: targets, chunk: chunk)
  return Variable.result(out, inputs: [hidden, weight]) { g in
    let n = hv.rowCount, c = hv.lastDimension, v = wv.rowCount
    let width = min(chunk, v)
    var dh = Tensor.zeros(hv.shape)
    var dw = weight.isTracked ? Tensor.zeros(wv.shape) : Tensor.zeros([0])
    withWorkspace(n * width) { dlogits in
      hv.withUnsafeBufferPointer { ph in
        wv.withUnsafeBufferPointer { pw in
          g.withUnsafeBufferPointer { pg in
            dh.withUnsafeMutableBufferPointer { pdh in
              dw.withUnsafeMutableBufferPointer { pdw in
                for start in stride(from: 0, to: v, by: width) {
                  let cw = min(width, v - start)
                  GEMM.product(
                    transposeA: false, transposeB: true, m: n, n: cw, k: c, a: ph.baseAddress!,
                    lda: c, b: pw.baseAddress! + start * c, ldb: c, c: dlogits, ldc: cw)
                  parallelFor(n, minimumPerTask: 4) { rows in
                    for r in rows {
                      let row = dlogits + r * cw
                      let t = targets[r]
                      if t < 0 {
                        row.update(repeating: 0, count: cw)
                        continue
                      }
                      let gr = pg[r], l = lse[r]
                      _ = expSum(row, shift: l, into: row, count: cw)
                      for j in 0..<cw { row[j] *= -gr }
                      if t >= start && t < start + cw { row[t - start] += gr }
                    }
                  }
                  if hidden.isTracked {  // dh [N, C] += dlogits [N, cw] · W_chunk [cw, C]
                    GEMM.product(
                      transposeA: false, transposeB: false, m: n, n: c, k: cw, a: dlogits, lda: cw,
                      b: pw.baseAddress! + start * c, ldb: c, beta: 1, c: pdh.baseAddress!, ldc: c)
                  }
                  if weight.isTracked {  // dW_chunk [cw, C] = dlogitsᵀ [cw, N] · h [N, C]
                    GEMM.product(
                      transposeA: true, transposeB: false, m: cw, n: c, k: n, a: dlogits, lda: cw,
                      b: ph.baseAddress!, ldb: c, c: pdw.baseAddress! + start * c, ldc: c)
                  }
                }
              }
            }
          }
        }
      }
    }
    if hidden.isTracked { hidden.accumulateGradient(dh) }
    if weight.isTracked { weight.accumulateGradient(dw) }
  }
}
