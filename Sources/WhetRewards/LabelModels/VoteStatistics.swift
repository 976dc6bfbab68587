import WhetTensor

/// Joint vote counts of pairs and triples of sources, computed on bit sets (one bit per item
/// and source for "voted 1" and for "voted 0"), so a pair or triple costs a few AND + popcount
/// over `n / 64` words instead of a pass over the vote matrix.
struct VoteStatistics {
  let itemCount: Int
  let sourceCount: Int
  let words: Int
  /// `positive[w * words + k]`: bit `b` set when item `64k + b` has vote 1 from source `w`.
  let positive: [UInt64]
  /// Same for vote 0.
  let negative: [UInt64]
  /// `single[2w + a]`: number of items on which source `w` votes `a`.
  let single: [Int]

  init(_ votes: VoteMatrix) {
    let n = votes.itemCount
    let m = votes.sourceCount
    let words = (n + 63) / 64
    var pos = [UInt64](repeating: 0, count: m * words)
    var neg = [UInt64](repeating: 0, count: m * words)
    votes.codes.withUnsafeBufferPointer { c in
      pos.withUnsafeMutableBufferPointer { pb in
        neg.withUnsafeMutableBufferPointer { nb in
          let codes = c.baseAddress!
          let p = pb.baseAddress!
          let q = nb.baseAddress!
          parallelFor(words, minimumPerTask: 64) { range in
            // Bits of the current 64-item block, one word per source, reused across blocks.
            let one = UnsafeMutablePointer<UInt64>.allocate(capacity: max(m, 1))
            let zero = UnsafeMutablePointer<UInt64>.allocate(capacity: max(m, 1))
            defer {
              one.deallocate()
              zero.deallocate()
            }
            for k in range {
              one.update(repeating: 0, count: m)
              zero.update(repeating: 0, count: m)
              let lo = 64 * k
              let hi = min(n, lo + 64)
              for i in lo..<hi {
                let row = codes + i * m
                let shift = UInt64(i - lo)
                for w in 0..<m {
                  let v = row[w]
                  one[w] |= UInt64(v & 1) << shift
                  zero[w] |= UInt64((v | (v >> 1)) & 1 ^ 1) << shift
                }
              }
              for w in 0..<m {
                p[w * words + k] = one[w]
                q[w * words + k] = zero[w]
              }
            }
          }
        }
      }
    }
    var single = [Int](repeating: 0, count: 2 * m)
    for w in 0..<m {
      single[2 * w] = Self.popcount(neg, w * words, words)
      single[2 * w + 1] = Self.popcount(pos, w * words, words)
    }
    self.itemCount = n
    self.sourceCount = m
    self.words = words
    self.positive = pos
    self.negative = neg
    self.single = single
  }

  static func popcount(_ bits: [UInt64], _ start: Int, _ count: Int) -> Int {
    var total = 0
    for k in start..<(start + count) { total += bits[k].nonzeroBitCount }
    return total
  }

  /// `pair[((i·m + j)·2 + a)·2 + b]`: items with `vote_i = a` and `vote_j = b` (i ≠ j; the
  /// diagonal blocks are zero).
  func pairCounts() -> [Int] {
    let m = sourceCount
    let words = self.words
    var pairs: [(Int, Int)] = []
    for i in 0..<m { for j in (i + 1)..<max(m, i + 1) { pairs.append((i, j)) } }
    var out = [Int](repeating: 0, count: m * m * 4)
    positive.withUnsafeBufferPointer { pb in
      negative.withUnsafeBufferPointer { nb in
        out.withUnsafeMutableBufferPointer { ob in
          let sets = [nb.baseAddress!, pb.baseAddress!]
          let o = ob.baseAddress!
          parallelFor(pairs.count, minimumPerTask: 1) { range in
            for t in range {
              let (i, j) = pairs[t]
              for a in 0..<2 {
                for b in 0..<2 {
                  let x = sets[a] + i * words
                  let y = sets[b] + j * words
                  var c = 0
                  for k in 0..<words { c += (x[k] & y[k]).nonzeroBitCount }
                  o[((i * m + j) * 2 + a) * 2 + b] = c
                  o[((j * m + i) * 2 + b) * 2 + a] = c
                }
              }
            }
          }
        }
      }
    }
    return out
  }

  /// Counts `n(a, b, c)` for `a, b, c ∈ {0, 1}` of every listed triple, 8 per triple in the
  /// order `a·4 + b·2 + c`.
  func tripleCounts(_ triples: [(Int, Int, Int)]) -> [Int] {
    let words = self.words
    var out = [Int](repeating: 0, count: triples.count * 8)
    positive.withUnsafeBufferPointer { pb in
      negative.withUnsafeBufferPointer { nb in
        out.withUnsafeMutableBufferPointer { ob in
          let sets = [nb.baseAddress!, pb.baseAddress!]
          let o = ob.baseAddress!
          parallelFor(triples.count, minimumPerTask: 1) { range in
            for t in range {
              let (i, j, l) = triples[t]
              for a in 0..<2 {
                for b in 0..<2 {
                  let x = sets[a] + i * words
                  let y = sets[b] + j * words
                  let z0 = sets[0] + l * words
                  let z1 = sets[1] + l * words
                  var c0 = 0
                  var c1 = 0
                  for k in 0..<words {
                    let xy = x[k] & y[k]
                    c0 += (xy & z0[k]).nonzeroBitCount
                    c1 += (xy & z1[k]).nonzeroBitCount
                  }
                  o[t * 8 + a * 4 + b * 2] = c0
                  o[t * 8 + a * 4 + b * 2 + 1] = c1
                }
              }
            }
          }
        }
      }
    }
    return out
  }
}
