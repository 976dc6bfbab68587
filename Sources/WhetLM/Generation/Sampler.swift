import Foundation
import WhetTensor

/// One sampling step's outcome.
public struct SampledToken: Sendable, Equatable {
  public var token: Int
  /// `log p(token)` under the model's own distribution `p` (the raw logits' softmax, before
  /// penalties, temperature or truncation).
  public var logProb: Float
  /// `log q(token)` under the distribution actually sampled, `q`: after the repetition
  /// penalty, temperature and truncation (renormalised over the tokens kept); 0 for greedy
  /// decoding. RL's behaviour policy.
  public var sampledLogProb: Float
  /// Self-certainty `KL(U ‖ p) = −log V − (1/V) Σ_v log p(v)` (Kang et al. 2025,
  /// ALGORITHMS.md §1).
  public var selfCertainty: Float
  /// The entropy `−Σ q log q` of the distribution sampled (0 for greedy decoding).
  public var entropy: Float
}

/// Picks a token from one row of logits, in the order transformers applies its processors:
/// repetition penalty, temperature, top-k, top-p, min-p.
public enum Sampler {
  /// The chosen token with its log-probability under the model and under the distribution
  /// sampled, the step's self-certainty (one more sum here, a whole forward pass afterwards)
  /// and the sampled distribution's entropy.
  public static func sample(
    logits row: UnsafeBufferPointer<Float>, previous: [Int], parameters p: SamplingParameters,
    rng: inout SeededGenerator
  ) -> SampledToken {
    let v = row.count
    var logits = Array(row)
    let logNormalizer = logSumExp(logits)
    // (1/V) Σ_v log p(v) = mean logit − log Z.
    let meanLogit = Float(logits.reduce(0.0) { $0 + Double($1) } / Double(max(v, 1)))
    let selfCertainty = logNormalizer - meanLogit - Foundation.log(Float(v))
    if p.repetitionPenalty != 1 {
      for id in Set(previous) where id >= 0 && id < v {
        logits[id] =
          logits[id] > 0 ? logits[id] / p.repetitionPenalty : logits[id] * p.repetitionPenalty
      }
    }
    let draw: Draw
    if p.temperature <= 0 {
      draw = Draw(token: argmax(logits), logProb: 0, entropy: 0)
    } else if p.topK <= 0 && p.topP >= 1 && p.minP <= 0 {
      draw = drawTempered(logits, temperature: p.temperature, rng: &rng)
    } else {
      draw = drawTruncated(logits, parameters: p, rng: &rng)
    }
    return SampledToken(
      token: draw.token, logProb: row[draw.token] - logNormalizer, sampledLogProb: draw.logProb,
      selfCertainty: selfCertainty, entropy: draw.entropy)
  }

  /// A token drawn from `q`, its `log q` and the entropy of `q`.
  struct Draw {
    var token: Int
    var logProb: Float
    var entropy: Float
  }

  /// A draw from `softmax(logits / temperature)` over the whole vocabulary, in id order:
  /// nothing is truncated, so nothing needs sorting.
  static func drawTempered(_ logits: [Float], temperature: Float, rng: inout SeededGenerator)
    -> Draw
  {
    let m = logits.max() ?? 0
    var weights = [Float](repeating: 0, count: logits.count)
    let total = logits.withUnsafeBufferPointer { l in
      weights.withUnsafeMutableBufferPointer { w in
        expSum(
          l.baseAddress!, shift: m, scale: 1 / temperature, into: w.baseAddress!, count: l.count)
      }
    }
    var weightedLog: Float = 0  // Σ w·(l − m)/T
    for i in logits.indices { weightedLog += weights[i] * ((logits[i] - m) / temperature) }
    let logTotal = Foundation.log(total)
    let entropy = logTotal - weightedLog / total
    func result(_ i: Int) -> Draw {
      Draw(token: i, logProb: (logits[i] - m) / temperature - logTotal, entropy: entropy)
    }
    let r = rng.nextUniform() * total
    var acc: Float = 0
    for i in weights.indices {
      acc += weights[i]
      if r < acc { return result(i) }
    }
    return result(weights.lastIndex { $0 > 0 } ?? 0)
  }

  /// A draw after top-k, top-p and min-p truncation, which need the candidates sorted by
  /// logit (descending; ties by id, for determinism).
  static func drawTruncated(
    _ logits: [Float], parameters p: SamplingParameters, rng: inout SeededGenerator
  ) -> Draw {
    let candidates: [Int]
    if p.topK > 0 && p.topK < logits.count {
      candidates = partialTop(logits, p.topK)
    } else {
      var ranked = plausible(logits, temperature: p.temperature).map { (logits[$0], $0) }
      ranked.sort { $0.0 > $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
      candidates = ranked.map(\.1)
    }
    let m = logits[candidates[0]]
    var probs = candidates.map { Foundation.exp((logits[$0] - m) / p.temperature) }
    let total = probs.reduce(0, +)
    for i in probs.indices { probs[i] /= total }
    var keep = probs.count
    if p.topP < 1 {
      var cumulative: Float = 0
      for (i, q) in probs.enumerated() {
        cumulative += q
        if cumulative >= p.topP {
          keep = i + 1
          break
        }
      }
    }
    if p.minP > 0 {
      let threshold = p.minP * probs[0]
      keep = min(keep, max(1, probs.prefix(keep).firstIndex { $0 < threshold } ?? keep))
    }
    let kept = probs.prefix(keep)
    let keptTotal = kept.reduce(0, +)
    let entropy = kept.reduce(Float(0)) { h, q in
      q > 0 ? h - (q / keptTotal) * Foundation.log(q / keptTotal) : h
    }
    func result(_ i: Int) -> Draw {
      Draw(
        token: candidates[i], logProb: Foundation.log(probs[i] / keptTotal), entropy: entropy)
    }
    let r = rng.nextUniform() * keptTotal
    var acc: Float = 0
    for (i, q) in kept.enumerated() {
      acc += q
      if r < acc { return result(i) }
    }
    return result(keep - 1)
  }

  /// The ids whose tempered probability is at least `e^-40` of the most likely token's.
  ///
  /// The rest cannot be drawn: after the descending sort each would add less than
  /// `e^-40 < 2^-57` to a running sum that is already ≥ 1, which Float rounding leaves
  /// unchanged, so no uniform draw can land on them. Dropping them spares sorting the whole
  /// vocabulary for every token.
  static func plausible(_ logits: [Float], temperature: Float) -> [Int] {
    let cutoff = (logits.max() ?? 0) - 40 * temperature
    var ids: [Int] = []
    for (i, x) in logits.enumerated() where x >= cutoff { ids.append(i) }
    return ids
  }

  static func argmax(_ x: [Float]) -> Int {
    var best = 0
    for i in 1..<x.count where x[i] > x[best] { best = i }
    return best
  }

  static func logSumExp(_ x: [Float]) -> Float {
    let m = x.max() ?? 0
    guard !x.isEmpty else { return -.infinity }
    let s = x.withUnsafeBufferPointer {
      expSum($0.baseAddress!, shift: m, into: nil, count: $0.count)
    }
    return m + Foundation.log(s)
  }

  /// Indices of the `k` largest values, sorted descending (ties by index).
  static func partialTop(_ x: [Float], _ k: Int) -> [Int] {
    var heap: [Int] = []
    heap.reserveCapacity(k + 1)
    func less(_ a: Int, _ b: Int) -> Bool { x[a] < x[b] || (x[a] == x[b] && a > b) }
    for i in x.indices {
      if heap.count < k {
        heap.append(i)
        if heap.count == k { heap.sort(by: less) }
      } else if less(heap[0], i) {
        // Replace the smallest and restore order by insertion (k is small).
        heap[0] = i
        var j = 0
        while j + 1 < heap.count && less(heap[j + 1], heap[j]) {
          heap.swapAt(j, j + 1)
          j += 1
        }
      }
    }
    if heap.count < k { heap.sort(by: less) }
    return heap.reversed()
  }
}
