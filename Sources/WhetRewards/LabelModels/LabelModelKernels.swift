import Foundation
import WhetTensor

/// Flat, allocation-free loops over the vote matrix shared by the label models.
///
/// Reductions run over fixed-size chunks of items (the chunking depends only on the item
/// count), each with its own partial sums, added in chunk order: results are identical for
/// any number of threads.
enum LabelModelKernels {
  /// Items per reduction chunk.
  static let chunkSize = 16_384

  /// Runs `body(itemRange, partial)` over fixed chunks of `0..<count` in parallel; every
  /// chunk gets its own zeroed `width`-wide partial; returns the partials summed in order.
  static func chunkedSum(
    count: Int, width: Int, _ body: (Range<Int>, UnsafeMutablePointer<Double>) -> Void
  ) -> [Double] {
    let chunks = max(1, (count + chunkSize - 1) / chunkSize)
    var partials = [Double](repeating: 0, count: chunks * max(width, 1))
    partials.withUnsafeMutableBufferPointer { p in
      let base = p.baseAddress!
      let stride = max(width, 1)
      parallelFor(chunks, minimumPerTask: 1) { range in
        for c in range {
          let lo = c * chunkSize
          let hi = min(count, lo + chunkSize)
          if lo < hi { body(lo..<hi, base + c * stride) }
        }
      }
    }
    var total = [Double](repeating: 0, count: width)
    for c in 0..<chunks {
      for k in 0..<width { total[k] += partials[c * max(width, 1) + k] }
    }
    return total
  }

  /// `+1` for a positive vote, `−1` for a negative one, `0` for an abstain, without a branch.
  @inline(__always) static func voteSign(_ code: UInt8) -> Int {
    // 0 → −1, 1 → +1, 2 → 0.
    Int(code & 1) - Int((code | (code >> 1)) & 1 ^ 1)
  }

  /// Numerically stable logistic function.
  @inline(__always) static func sigmoid(_ x: Double) -> Double {
    x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x))
  }

  /// Posteriors `P(y = 1 | votes)` of every item under `rule`.
  static func posteriors(_ votes: VoteMatrix, rule: PosteriorRule) -> [Double] {
    let n = votes.itemCount
    let m = votes.sourceCount
    var out = [Double](repeating: 0.5, count: n)
    votes.codes.withUnsafeBufferPointer { c in
      out.withUnsafeMutableBufferPointer { o in
        let codes = c.baseAddress
        let post = o.baseAddress!
        switch rule {
        case .majority:
          parallelFor(n, minimumPerTask: 8192) { range in
            for i in range {
              var balance = 0
              let row = codes! + i * m
              for w in 0..<m { balance += LabelModelKernels.voteSign(row[w]) }
              post[i] = balance > 0 ? 1 : (balance < 0 ? 0 : 0.5)
            }
          }
        case .logLinear(let bias, let weights):
          // Table of 3 entries per source; the abstain entry is 0.
          var table = [Double](repeating: 0, count: 3 * m)
          for w in 0..<m {
            table[3 * w] = weights[2 * w]
            table[3 * w + 1] = weights[2 * w + 1]
          }
          table.withUnsafeBufferPointer { t in
            let tab = t.baseAddress!
            parallelFor(n, minimumPerTask: 8192) { range in
              for i in range {
                var z = bias
                let row = codes! + i * m
                for w in 0..<m { z += tab[3 * w + Int(row[w])] }
                post[i] = sigmoid(z)
              }
            }
          }
        }
      }
    }
    return out
  }

  /// Per-source vote counts `counts[2w + a]`, `a ∈ {0, 1}` (abstains not counted).
  static func voteCounts(_ votes: VoteMatrix) -> [Double] {
    let m = votes.sourceCount
    return votes.codes.withUnsafeBufferPointer { c in
      let codes = c.baseAddress
      return chunkedSum(count: votes.itemCount, width: 3 * m) { range, acc in
        for i in range {
          let row = codes! + i * m
          for w in 0..<m { acc[3 * w + Int(row[w])] += 1 }
        }
      }
    }
    .droppingAbstainSlots()
  }

  /// Soft agreement sums `s[2w + a] = Σ_{items with vote_w = a} q_item`.
  static func softAgreement(_ votes: VoteMatrix, posteriors q: [Double]) -> [Double] {
    let m = votes.sourceCount
    let sums = votes.codes.withUnsafeBufferPointer { c in
      q.withUnsafeBufferPointer { qb in
        let codes = c.baseAddress
        let qs = qb.baseAddress
        return chunkedSum(count: votes.itemCount, width: 3 * m) { range, acc in
          for i in range {
            let row = codes! + i * m
            let qi = qs![i]
            for w in 0..<m { acc[3 * w + Int(row[w])] += qi }
          }
        }
      }
    }
    return sums.droppingAbstainSlots()
  }

  /// Source estimates measured against soft labels `q` (expected agreement): accuracy
  /// `= (Σ_{vote=1} q + Σ_{vote=0} (1 − q)) / #votes`, and the class-conditional rates.
  static func estimatesAgainstSoftLabels(
    _ votes: VoteMatrix, posteriors q: [Double], counts: [Double]
  ) -> [SourceEstimate] {
    let s = softAgreement(votes, posteriors: q)
    let n = Double(max(votes.itemCount, 1))
    return (0..<votes.sourceCount).map { w in
      let n0 = counts[2 * w]
      let n1 = counts[2 * w + 1]
      let voted = n0 + n1
      let pos1 = s[2 * w + 1]  // vote 1, weight P(y = 1)
      let pos0 = s[2 * w]  // vote 0, weight P(y = 1)
      let neg0 = n0 - pos0  // vote 0, weight P(y = 0)
      let neg1 = n1 - pos1  // vote 1, weight P(y = 0)
      return SourceEstimate(
        accuracy: voted > 0 ? (pos1 + neg0) / voted : 0.5,
        truePositiveRate: pos1 + pos0 > 0 ? pos1 / (pos1 + pos0) : 0.5,
        trueNegativeRate: neg0 + neg1 > 0 ? neg0 / (neg0 + neg1) : 0.5,
        abstainRate: (n - voted) / n)
    }
  }

  /// Checks shared by every model.
  static func validate(_ votes: VoteMatrix, minimumSources: Int) throws(LabelModelError) {
    guard votes.itemCount > 0, votes.sourceCount > 0 else { throw .empty }
    guard votes.sourceCount >= minimumSources else {
      throw .tooFewSources(needed: minimumSources, got: votes.sourceCount)
    }
  }
}

extension Array where Element == Double {
  /// `[3w + code]` sums with an abstain slot per source → `[2w + vote]`.
  fileprivate func droppingAbstainSlots() -> [Double] {
    var out = [Double]()
    out.reserveCapacity(count / 3 * 2)
    for k in indices where k % 3 != 2 { out.append(self[k]) }
    return out
  }
}
