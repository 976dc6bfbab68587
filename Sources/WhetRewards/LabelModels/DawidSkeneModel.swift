import Foundation
import WhetTensor

/// Dawid–Skene EM on binary votes (Dawid & Skene 1979, "Maximum likelihood estimation of
/// observer error-rates using the EM algorithm"; ALGORITHMS.md §2; the update order of the
/// crowd-kit reference implementation, which `LabelModelReferenceTests` checks step for step).
///
/// Each source `w` has a confusion matrix `e_w[a, c] = P(vote = a | y = c, w voted)`.
/// 1. Initialise the posteriors `T_j` with the majority-vote share of each item's votes.
/// 2. M-step: `e_w[a, c] ∝ Σ_j T_j[c]·1[vote_{w,j} = a]`, each count clipped below at
///    `clip` (1e-10) before normalising over `a`; prior `p_c ∝ Σ_j T_j[c]`.
/// 3. E-step (log space): `log T_j[c] = log p_c + Σ_w log e_w[vote_{w,j}, c]`, softmax.
/// 4. Repeat 2–3 until `maxIterations` (100) or until the mean log-likelihood per vote gains
///    less than `tolerance` (1e-5). This is not crowd-kit's stopping rule (it watches its
///    own loss); EM converges slowly, and on the reference votes the default stops after 18
///    iterations, 0.04 in posterior from the fixed point (1e-8 would take 39 and leave 0.0015).
///
/// Abstains contribute nothing. Items on which every source abstains take no part in the fit
/// (their posterior is the prior). The E-step accumulates the next M-step's sums on the fly,
/// so no per-item posterior array is kept during the iterations.
public struct DawidSkeneModel: LabelModel {
  public var maxIterations: Int
  public var tolerance: Double
  public var clip: Double

  public var name: String { "dawid_skene" }

  public init(maxIterations: Int = 100, tolerance: Double = 1e-5, clip: Double = 1e-10) {
    self.maxIterations = maxIterations
    self.tolerance = tolerance
    self.clip = clip
  }

  /// Log confusion tables `logE[2w + a]` for `y = 0` and `y = 1` and log priors.
  struct Parameters {
    var logE0: [Double]
    var logE1: [Double]
    var logP0: Double
    var logP1: Double
  }

  public func fit(_ votes: VoteMatrix) throws(LabelModelError) -> FittedLabelModel {
    try LabelModelKernels.validate(votes, minimumSources: 1)
    guard maxIterations >= 1 else { throw .invalidParameter("maxIterations must be ≥ 1") }
    guard clip > 0, clip < 0.5 else { throw .invalidParameter("clip must be in (0, 0.5)") }
    let m = votes.sourceCount
    let counts = LabelModelKernels.voteCounts(votes)
    let totalVotes = counts.reduce(0, +)
    guard totalVotes > 0 else { throw .degenerate("every source abstains on every item") }

    // Initial M-step sums from the majority-vote shares.
    let (initial, votedItems) = initialSums(votes)
    var sums = initial
    var parameters = mStep(sums: sums, counts: counts, votedItems: votedItems, m: m)
    var previous = -Double.infinity
    var iterations = 0
    var converged = false
    while iterations < maxIterations {
      iterations += 1
      let (next, logLikelihood) = eStep(votes, parameters)
      sums = next
      parameters = mStep(sums: sums, counts: counts, votedItems: votedItems, m: m)
      let perVote = logLikelihood / totalVotes
      if perVote - previous < tolerance {
        converged = true
        break
      }
      previous = perVote
    }

    var weights = [Double](repeating: 0, count: 2 * m)
    for k in 0..<(2 * m) { weights[k] = parameters.logE1[k] - parameters.logE0[k] }
    let rule = PosteriorRule.logLinear(
      bias: parameters.logP1 - parameters.logP0, weights: weights)
    let posteriors = LabelModelKernels.posteriors(votes, rule: rule)
    var estimates = LabelModelKernels.estimatesAgainstSoftLabels(
      votes, posteriors: posteriors, counts: counts)
    for w in 0..<m {
      estimates[w].truePositiveRate = exp(parameters.logE1[2 * w + 1])
      estimates[w].trueNegativeRate = exp(parameters.logE0[2 * w])
    }
    return FittedLabelModel(
      method: name, sources: votes.sources, posteriors: posteriors,
      classBalance: exp(parameters.logP1), sourceEstimates: estimates, iterations: iterations,
      converged: converged, rule: rule)
  }

  /// Sums `Σ T_j[1]` per (source, vote) and overall, from the majority-vote shares.
  /// Layout: `[s(0,0), s(0,1), s(1,0), …, Σ_j T_j[1]]`; also returns the count of items
  /// with at least one vote.
  func initialSums(_ votes: VoteMatrix) -> ([Double], Double) {
    let m = votes.sourceCount
    let out = votes.codes.withUnsafeBufferPointer { c in
      let codes = c.baseAddress!
      return LabelModelKernels.chunkedSum(count: votes.itemCount, width: 3 * m + 2) {
        range, acc in
        for i in range {
          let row = codes + i * m
          var pos = 0
          var neg = 0
          for w in 0..<m {
            let v = row[w]
            pos += Int(v & 1)
            neg += Int((v | (v >> 1)) & 1 ^ 1)
          }
          if pos + neg == 0 { continue }
          let t1 = Double(pos) / Double(pos + neg)
          for w in 0..<m { acc[3 * w + Int(row[w])] += t1 }
          acc[3 * m] += t1
          acc[3 * m + 1] += 1
        }
      }
    }
    return (compact(out, m: m), out[3 * m + 1])
  }

  /// Drops the abstain slots: `[3w + a] → [2w + a]`, keeping the trailing `Σ T[1]`.
  func compact(_ sums: [Double], m: Int) -> [Double] {
    var out = [Double](repeating: 0, count: 2 * m + 1)
    for w in 0..<m {
      out[2 * w] = sums[3 * w]
      out[2 * w + 1] = sums[3 * w + 1]
    }
    out[2 * m] = sums[3 * m]
    return out
  }

  /// M-step: confusion matrices (clipped, normalised over the vote) and class prior.
  func mStep(sums: [Double], counts: [Double], votedItems: Double, m: Int) -> Parameters {
    var e0 = [Double](repeating: 0, count: 2 * m)
    var e1 = [Double](repeating: 0, count: 2 * m)
    for w in 0..<m {
      let a1 = max(sums[2 * w + 1], clip)  // vote 1, y = 1
      let b1 = max(sums[2 * w], clip)  // vote 0, y = 1
      let a0 = max(counts[2 * w + 1] - sums[2 * w + 1], clip)  // vote 1, y = 0
      let b0 = max(counts[2 * w] - sums[2 * w], clip)  // vote 0, y = 0
      e1[2 * w + 1] = log(a1 / (a1 + b1))
      e1[2 * w] = log(b1 / (a1 + b1))
      e0[2 * w + 1] = log(a0 / (a0 + b0))
      e0[2 * w] = log(b0 / (a0 + b0))
    }
    let p1 = min(max(sums[2 * m] / max(votedItems, 1), clip), 1 - clip)
    return Parameters(logE0: e0, logE1: e1, logP0: log(1 - p1), logP1: log(p1))
  }

  /// E-step fused with the next M-step's sums: returns the sums (layout of
  /// ``compact(_:m:)``) and the total log-likelihood `Σ_j log Σ_c p_c Π_w e_w[vote, c]`.
  func eStep(_ votes: VoteMatrix, _ parameters: Parameters) -> ([Double], Double) {
    let m = votes.sourceCount
    // Interleaved table: [3w + code] → (log e0, log e1); abstain entries are 0.
    var table = [Double](repeating: 0, count: 6 * m)
    for w in 0..<m {
      for a in 0..<2 {
        table[2 * (3 * w + a)] = parameters.logE0[2 * w + a]
        table[2 * (3 * w + a) + 1] = parameters.logE1[2 * w + a]
      }
    }
    let logP0 = parameters.logP0
    let logP1 = parameters.logP1
    let out = votes.codes.withUnsafeBufferPointer { c in
      table.withUnsafeBufferPointer { t in
        let codes = c.baseAddress!
        let tab = t.baseAddress!
        return LabelModelKernels.chunkedSum(count: votes.itemCount, width: 3 * m + 2) {
          range, acc in
          for i in range {
            let row = codes + i * m
            var l0 = logP0
            var l1 = logP1
            var abstains = 0
            for w in 0..<m {
              let k = 2 * (3 * w + Int(row[w]))
              l0 += tab[k]
              l1 += tab[k + 1]
              abstains += Int(row[w] >> 1)
            }
            if abstains == m { continue }
            let hi = max(l0, l1)
            let e0 = exp(l0 - hi)
            let e1 = exp(l1 - hi)
            let total = e0 + e1
            let t1 = e1 / total
            for w in 0..<m { acc[3 * w + Int(row[w])] += t1 }
            acc[3 * m] += t1
            acc[3 * m + 1] += hi + log(total)
          }
        }
      }
    }
    return (compact(out, m: m), out[3 * m + 1])
  }
}
