import Foundation
import WhetTensor

/// Tapered off-policy REINFORCE (TOPR, Le Roux et al. 2025, arXiv 2503.14286; LOSSES.md):
///
/// `L = (1/B) Σ_i −sg(α_i)·R_i·logπ(y_i) / |y_i|`, `α_i = 1` when `R_i ≥ 0`, and
/// `α_i = clip(π(y_i)/μ(y_i), 0, 1)` when `R_i < 0`,
///
/// with `R_i = r_i − baseline`, `μ` the behaviour policy that sampled `y_i` and the ratio
/// taken over the **whole sequence** (`exp Σ_t (logπ_t − logμ_t)`). Positive samples are
/// pushed up as in SFT, whatever policy drew them; negative ones are pushed down only as far
/// as the current policy still agrees with the one that drew them, which keeps replayed old
/// samples from driving `π(y) → 0` without bound. No KL term. The division by `|y_i|` is the
/// paper's experimental setting.
public struct TOPRObjective: Sendable, Codable, Equatable {
  /// `c` in `R = r − c` (the paper's optional baseline).
  public var baseline: Float = 0

  public init() {}

  /// The loss over `B` sequences: `logProbs` `[B·T]` (0 off the mask), the behaviour
  /// log-probs `[B·T]`, rewards `[B]`, mask `[B·T]`. Metrics: `topr/negative_weight_mean`
  /// (the mean α over negative samples) and `topr/positive_fraction`.
  public func loss(
    logProbs: Variable, behaviourLogProbs: Tensor, rewards: [Float], mask: Tensor
  ) throws(ObjectiveError) -> (loss: Variable, metrics: [String: Float]) {
    let b = rewards.count, n = logProbs.value.count
    guard b > 0, n % b == 0, mask.count == n, behaviourLogProbs.count == n else {
      throw .invalid("TOPR: \(b) rewards, \(n) log-probs, \(behaviourLogProbs.count) behaviour")
    }
    let t = n / b
    let lp = logProbs.value.scalars, mu = behaviourLogProbs.scalars, m = mask.scalars
    var total: Double = 0
    var gradient = [Float](repeating: 0, count: n)
    var (alphaSum, negatives) = (0.0, 0.0)
    for i in 0..<b {
      let row = (i * t)..<((i + 1) * t)
      var (sum, logRatio, length): (Float, Float, Float) = (0, 0, 0)
      for j in row {
        sum += m[j] * lp[j]
        logRatio += m[j] * (lp[j] - mu[j])
        length += m[j]
      }
      let r = rewards[i] - baseline
      let alpha: Float = r >= 0 ? 1 : min(Foundation.exp(logRatio), 1)
      if r < 0 {
        alphaSum += Double(alpha)
        negatives += 1
      }
      let c = alpha * r / (Float(b) * max(length, 1))
      total -= Double(c * sum)
      for j in row where m[j] != 0 { gradient[j] = -c * m[j] }
    }
    let shape = logProbs.shape
    let out = Variable.result(Tensor(Float(total)), inputs: [logProbs]) { g in
      let k = g.item
      logProbs.accumulateGradient(Tensor(shape: shape, scalars: gradient.map { $0 * k }))
    }
    return (
      out,
      [
        "topr/negative_weight_mean": Float(negatives > 0 ? alphaSum / negatives : 1),
        "topr/positive_fraction": Float(Double(b) - negatives) / Float(b),
      ]
    )
  }
}
