import Foundation
import WhetTensor

/// Picks a token from one row of logits, in the order transformers applies its processors:
/// repetition penalty, temperature, top-k, top-p, min-p.
public enum Sampler {
  /// The chosen token and its log-probability under the model's own distribution (the raw
  /// logits' log-softmax, before temperature or truncation), which RL needs as the behaviour
  /// policy's log-prob.
  public static func sample(
    logits row: UnsafeBufferPointer<Float>, previous: [Int], parameters p: SamplingParameters,
    rng: inout SeededGenerator
  ) -> (token: Int, logProb: Float) {
    let v = row.count
    var logits = Array(row)
    let logNormalizer = logSumExp(logits)
    if p.repetitionPenalty != 1 {
      for id in Set(previous) where id >= 0 && id < v {
        logits[id] =
          logits[id] > 0 ? logits[id] / p.repetitionPenalty : logits[id] * p.repetitionPenalty
      }
    }
    let token: Int
    if p.temperature <= 0 {
      token = argmax(logits)
    } else {
      // Candidates sorted by logit (descending); ties broken by id for determinism.
      var candidates = Array(0..<v)
      if p.topK > 0 && p.topK < v {
        candidates = partialTop(logits, p.topK)
      } else {
        candidates.sort { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }
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
      var chosen = candidates[keep - 1]
      for (i, q) in kept.enumerated() {
        acc += q
        if r < acc {
          chosen = candidates[i]
          break
        }
      }
      token = chosen
    }
    return (token, row[token] - logNormalizer)
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
