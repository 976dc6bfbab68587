import Foundation

/// Label-free class balance from three-way vote overlaps, after MeTaL's `ClassBalanceModel`
/// (Ratner et al. 2019, "Training complex models with multi-task weak supervision"; HazyResearch
/// `metal/label_model/class_balance.py`).
///
/// For conditionally independent sources `i, j, k` (all distinct), the joint vote distribution
/// factorises: `P(λ_i = a, λ_j = b, λ_k = c) = Σ_y P(y)·C_i[a|y]·C_j[b|y]·C_k[c|y]`. Pairwise
/// moments alone cannot separate `P(y)` from the source parameters; the third-order tensor can
/// (Kruskal uniqueness). We fit `P(y)` and every `C_i[·|y]` — with abstain as a third outcome,
/// so each `C_i[·|y]` sums to one — by minimising the squared error to the empirical overlaps
/// over distinct triples with L-BFGS, on softmax-parametrised probabilities. The column swap
/// `y ↔ 1 − y` is resolved by assuming that sources beat chance on average.
struct ClassBalanceEstimator {
  /// Largest number of triples used; beyond it, every `k`-th triple in lexicographic order.
  var maxTriples = 2000
  var optimiser = LBFGS(maxIterations: 500)

  struct Result {
    /// Estimated `P(y = 1)`.
    var classBalance: Double
    /// `conditional[(i·2 + y)·3 + o]`: `P(λ_i = o | y)`, `o ∈ {0, 1, abstain}`.
    var conditional: [Double]
    var iterations: Int
    var converged: Bool
  }

  /// Triples of distinct sources used for the fit.
  func triples(sourceCount m: Int) -> [(Int, Int, Int)] {
    let total = m * (m - 1) * (m - 2) / 6
    let stride = max(1, (total + maxTriples - 1) / maxTriples)
    var out: [(Int, Int, Int)] = []
    var index = 0
    for i in 0..<m {
      for j in (i + 1)..<max(m, i + 1) {
        for k in (j + 1)..<max(m, j + 1) {
          if index % stride == 0 { out.append((i, j, k)) }
          index += 1
        }
      }
    }
    return out
  }

  /// Empirical `P(λ_i = a, λ_j = b, λ_k = c)` for `a, b, c ∈ {0, 1, abstain}`, 27 per triple
  /// in the order `a·9 + b·3 + c`; abstain cells by inclusion–exclusion from the pair and
  /// single counts.
  func overlaps(_ stats: VoteStatistics, pairs: [Int], triples: [(Int, Int, Int)]) -> [Double] {
    let m = stats.sourceCount
    let n = stats.itemCount
    let core = stats.tripleCounts(triples)
    var out = [Double](repeating: 0, count: triples.count * 27)
    for (t, (i, j, k)) in triples.enumerated() {
      // Positions take 0, 1, 2 (abstain) or 3 (any).
      func count(_ a: Int, _ b: Int, _ c: Int) -> Int {
        if a == 2 { return count(3, b, c) - count(0, b, c) - count(1, b, c) }
        if b == 2 { return count(a, 3, c) - count(a, 0, c) - count(a, 1, c) }
        if c == 2 { return count(a, b, 3) - count(a, b, 0) - count(a, b, 1) }
        switch (a == 3, b == 3, c == 3) {
        case (false, false, false): return core[t * 8 + a * 4 + b * 2 + c]
        case (true, false, false): return pairs[((j * m + k) * 2 + b) * 2 + c]
        case (false, true, false): return pairs[((i * m + k) * 2 + a) * 2 + c]
        case (false, false, true): return pairs[((i * m + j) * 2 + a) * 2 + b]
        case (false, true, true): return stats.single[2 * i + a]
        case (true, false, true): return stats.single[2 * j + b]
        case (true, true, false): return stats.single[2 * k + c]
        case (true, true, true): return n
        }
      }
      for a in 0..<3 {
        for b in 0..<3 {
          for c in 0..<3 {
            out[t * 27 + a * 9 + b * 3 + c] = Double(count(a, b, c)) / Double(n)
          }
        }
      }
    }
    return out
  }

  func fit(_ stats: VoteStatistics, pairs: [Int]) -> Result {
    let m = stats.sourceCount
    let n = Double(stats.itemCount)
    let triples = self.triples(sourceCount: m)
    let target = overlaps(stats, pairs: pairs, triples: triples)

    // Start: every source 70% accurate on both classes, its observed abstain rate, and the
    // class balance implied by the mean positive rate under that accuracy.
    var x = [Double](repeating: 0, count: 2 + 6 * m)
    var positiveRate = 0.0
    for i in 0..<m {
      let voted = Double(stats.single[2 * i] + stats.single[2 * i + 1])
      let abstain = min(max(1 - voted / n, 1e-3), 1 - 1e-3)
      positiveRate += voted > 0 ? Double(stats.single[2 * i + 1]) / voted : 0.5
      for y in 0..<2 {
        for o in 0..<2 {
          x[2 + (i * 2 + y) * 3 + o] = log((1 - abstain) * (o == y ? 0.7 : 0.3))
        }
        x[2 + (i * 2 + y) * 3 + 2] = log(abstain)
      }
    }
    let start = min(max((positiveRate / Double(m) - 0.3) / 0.4, 0.05), 0.95)
    x[0] = log(1 - start)
    x[1] = log(start)

    let result = optimiser.minimise(x) { x, gradient in
      Self.loss(x, gradient: &gradient, target: target, triples: triples, m: m)
    }
    var (p, conditional) = Self.probabilities(result.x, m: m)
    // Resolve the label swap: on average, sources vote 1 more often when y = 1.
    var lift = 0.0
    for i in 0..<m {
      let given1 =
        conditional[(i * 2 + 1) * 3 + 1] / max(1 - conditional[(i * 2 + 1) * 3 + 2], 1e-12)
      let given0 = conditional[(i * 2) * 3 + 1] / max(1 - conditional[(i * 2) * 3 + 2], 1e-12)
      lift += given1 - given0
    }
    if lift < 0 {
      p.swapAt(0, 1)
      for i in 0..<m {
        for o in 0..<3 { conditional.swapAt((i * 2) * 3 + o, (i * 2 + 1) * 3 + o) }
      }
    }
    return Result(
      classBalance: p[1], conditional: conditional, iterations: result.iterations,
      converged: result.converged)
  }

  /// Softmax of the class logits and of every source's per-class outcome logits.
  static func probabilities(_ x: [Double], m: Int) -> ([Double], [Double]) {
    let hi = max(x[0], x[1])
    let e0 = exp(x[0] - hi)
    let e1 = exp(x[1] - hi)
    let p = [e0 / (e0 + e1), e1 / (e0 + e1)]
    var c = [Double](repeating: 0, count: 6 * m)
    for r in 0..<(2 * m) {
      let base = 2 + r * 3
      let top = max(x[base], x[base + 1], x[base + 2])
      var total = 0.0
      for o in 0..<3 {
        c[r * 3 + o] = exp(x[base + o] - top)
        total += c[r * 3 + o]
      }
      for o in 0..<3 { c[r * 3 + o] /= total }
    }
    return (p, c)
  }

  /// `Σ_triples Σ_abc (Σ_y p_y C_i[a|y] C_j[b|y] C_k[c|y] − O[abc])²` and its gradient with
  /// respect to the logits.
  static func loss(
    _ x: [Double], gradient: inout [Double], target: [Double], triples: [(Int, Int, Int)], m: Int
  ) -> Double {
    let (p, c) = probabilities(x, m: m)
    var gp = [0.0, 0.0]
    var gc = [Double](repeating: 0, count: 6 * m)
    var value = 0.0
    var residual = [Double](repeating: 0, count: 27)
    for (t, (i, j, k)) in triples.enumerated() {
      for a in 0..<3 {
        for b in 0..<3 {
          for cc in 0..<3 {
            var pred = 0.0
            for y in 0..<2 {
              pred +=
                p[y] * c[(i * 2 + y) * 3 + a] * c[(j * 2 + y) * 3 + b] * c[(k * 2 + y) * 3 + cc]
            }
            let r = pred - target[t * 27 + a * 9 + b * 3 + cc]
            value += r * r
            residual[a * 9 + b * 3 + cc] = 2 * r
          }
        }
      }
      for y in 0..<2 {
        let ai = (i * 2 + y) * 3
        let bj = (j * 2 + y) * 3
        let ck = (k * 2 + y) * 3
        for a in 0..<3 {
          for b in 0..<3 {
            for cc in 0..<3 {
              let r = residual[a * 9 + b * 3 + cc]
              let ca = c[ai + a]
              let cb = c[bj + b]
              let cz = c[ck + cc]
              gp[y] += r * ca * cb * cz
              gc[ai + a] += r * p[y] * cb * cz
              gc[bj + b] += r * p[y] * ca * cz
              gc[ck + cc] += r * p[y] * ca * cb
            }
          }
        }
      }
    }
    // Back through the softmaxes.
    let meanP = p[0] * gp[0] + p[1] * gp[1]
    gradient[0] = p[0] * (gp[0] - meanP)
    gradient[1] = p[1] * (gp[1] - meanP)
    for r in 0..<(2 * m) {
      var dot = 0.0
      for o in 0..<3 { dot += c[r * 3 + o] * gc[r * 3 + o] }
      for o in 0..<3 { gradient[2 + r * 3 + o] = c[r * 3 + o] * (gc[r * 3 + o] - dot) }
    }
    return value
  }
}
