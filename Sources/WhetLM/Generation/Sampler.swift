import Foundation
import WhetTensor

/// Picks a token from one row of logits, in the order transformers applies its processors:
/// repetition penalty, temperature, top-k, top-p, min-p.
public enum Sampler {
  /// The chosen token and two facts about the model's own distribution `p` (the raw logits'
  /// softmax, before penalties, temperature or truncation): the token's log-probability,
  /// which RL needs as the behaviour policy's log-prob, and the step's self-certainty
  /// `KL(U ‖ p) = −log V − (1/V) Σ_v log p(v)` (Kang et al. 2025, ALGORITHMS.md §1), which
  /// costs one more sum here and a whole forward pass afterwards.
  public static func sample(
    logits row: UnsafeBufferPointer<Float>, previous: [Int], parameters p: SamplingParameters,
    rng: inout SeededGenerator
  ) -> (token: Int, logProb: Float, selfCertainty: Float) {
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
    let token: Int
    if p.temperature <= 0 {
      token = argmax(logits)
    } else if p.topK <= 0 && p.topP >= 1 && p.minP <= 0 {
      token = drawTempered(logits, temperature: p.temperature, rng: &rng)
    } else {
      token = drawTruncated(logits, parameters: p, rng: &rng)
    }
    return (token, row[token] - logNormalizer, selfCertainty)
  }

  /// A draw from `softmax(logits / temperature)` over the whole vocabulary, in id order:
  /// nothing is truncated, so nothing needs sorting.
  static func drawTempered(_ logits: [Float], temperature: Float, rng: inout SeededGenerator)
    -> Int
  {
    let m = logits.max() ?? 0
    var weights = [Float](repeating: 0, count: logits.count)
    var total: Float = 0
    for i in logits.indices {
      weights[i] = Foundation.exp((logits[i] - m) / temperature)
      total += weights[i]
    }
    let r = rng.nextUniform() * total
    var acc: Float = 0
    for i in weights.indices {
      acc += weights[i]
      if r < acc { return i }
    }
    return weights.lastIndex { $0 > 0 } ?? 0
  }

  /// A draw after top-k, top-p and min-p truncation, which need the candidates sorted by
  /// logit (descending; ties by id, for determinism).
  static func drawTruncated(
    _ logits: [Float], parameters p: SamplingParameters, rng: inout SeededGenerator
  ) -> Int {
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
    let r = rng.nextUniform() * kept.reduce(0, +)
    var acc: Float = 0
    for (i, q) in kept.enumerated() {
      acc += q
      if r < acc { return candidates[i] }
    }
    return candidates[keep - 1]
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
    var s: Float = 0
    for v in x { s += Foundation.exp(v - m) }
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
