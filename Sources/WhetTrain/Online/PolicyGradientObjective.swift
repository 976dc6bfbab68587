import Foundation
import WhetTensor

/// Where the importance ratio `ρ = π_θ / π_old` is taken (TRL's `importance_sampling_level`).
public enum ImportanceSampling: String, Sendable, Codable, CaseIterable {
  /// Per token: `ρ_t = exp(logπ_t − logπ_old,t)`.
  case token
  /// Per sequence, GSPO (Zheng et al. 2025): `ρ = exp(Σ_t m (logπ − logπ_old) / Σ_t m)`,
  /// clipped as one ratio and broadcast to the sequence's tokens.
  case sequence
  /// Per sequence on the summed log-probs, as TRL's RLOO: `ρ = exp(Σ_t m (logπ − logπ_old))`.
  case sequenceTotal = "sequence_total"
}

/// How per-token losses become one loss (TRL's `loss_type`, LOSSES.md).
public enum PolicyLossAggregation: String, Sendable, Codable, CaseIterable {
  /// `(1/B) Σ_i Σ_t m ℓ / Σ_t m`: each sequence's token mean, then the mean over sequences.
  case grpo
  /// `Σ m ℓ / Σ m` over the micro-batch.
  case bnpo
  /// `Σ m ℓ / (B · max_completion_length)` (Dr. GRPO).
  case drGRPO = "dr_grpo"
  /// `Σ m ℓ / N`, with `N` the completion tokens of the whole generation batch (DAPO).
  case dapo
}

/// One micro-batch of completions for ``PolicyGradientObjective``: `B` rows of width `T`.
public struct PolicyGradientBatch {
  /// `[B·T]`: `log π_θ` of each completion token under the policy being trained (logits
  /// divided by the sampling temperature), 0 where `mask` is 0.
  public var logProbs: Variable
  /// `[B·T]`: the log-probs of the policy that sampled (or that the batch started from); nil
  /// when on policy, which TRL writes `logπ_old = sg(logπ)`: `ρ = 1`, the gradient unchanged.
  public var oldLogProbs: Tensor?
  /// `[B·T]`: the reference model's log-probs, needed when `β > 0`.
  public var referenceLogProbs: Tensor?
  /// `[B]`.
  public var advantages: [Float]
  /// `[B·T]`: 1 on completion tokens that train, 0 elsewhere.
  public var mask: Tensor
  /// For ``PolicyLossAggregation/dapo``: what the summed loss is divided by (the active tokens
  /// of the generation batch over the number of micro-batches its step averages); nil for this
  /// micro-batch's own token count.
  public var tokenNormalizer: Float? = nil

  public init(
    logProbs: Variable, oldLogProbs: Tensor? = nil, referenceLogProbs: Tensor? = nil,
    advantages: [Float], mask: Tensor, tokenNormalizer: Float? = nil
  ) {
    self.logProbs = logProbs
    self.oldLogProbs = oldLogProbs
    self.referenceLogProbs = referenceLogProbs
    self.advantages = advantages
    self.mask = mask
    self.tokenNormalizer = tokenNormalizer
  }
}

/// The clipped surrogate of PPO as the GRPO family uses it (ALGORITHMS.md §5; TRL's
/// `GRPOTrainer._compute_loss`):
///
/// `ℓ_t = −min(ρ·A, clip(ρ, 1 − ε_low, 1 + ε_high)·A) + β·KL_t`,
/// `KL_t = e^(ref_t − logπ_t) − (ref_t − logπ_t) − 1` (the k3 estimator),
///
/// aggregated by ``aggregation``. One fused op: the value and the exact gradient with respect
/// to `logπ` (where the two branches tie, half the gradient goes each way, as
/// `torch.minimum` does), so a step holds no `[B, T]` intermediates on the tape.
public struct PolicyGradientObjective: Sendable, Codable, Equatable {
  /// ε_low.
  public var epsilonLow: Float = 0.2
  /// ε_high (DAPO's clip-higher uses 0.28); nil: ε_low.
  public var epsilonHigh: Float? = nil
  /// β of the k3 KL penalty against the reference; 0 holds no reference.
  public var beta: Float = 0
  public var importanceSampling: ImportanceSampling = .token
  public var aggregation: PolicyLossAggregation = .dapo
  /// `max_completion_length`, the divisor of ``PolicyLossAggregation/drGRPO``.
  public var maxCompletionLength = 256

  public init() {}

  public func validate() throws(ObjectiveError) {
    guard epsilonLow >= 0, epsilonLow < 1 else {
      throw .invalid("epsilon must be in [0, 1), got \(epsilonLow)")
    }
    if let epsilonHigh, !(epsilonHigh >= 0) { throw .invalid("epsilon_high must not be negative") }
    guard beta >= 0, beta.isFinite else { throw .invalid("beta must not be negative, got \(beta)") }
    guard maxCompletionLength > 0 else { throw .invalid("max_completion_length must be positive") }
  }

  /// The loss of `batch` and TRL's metrics: `clip_ratio/low_mean`, `clip_ratio/high_mean`,
  /// `clip_ratio/region_mean` and, with `β > 0`, `kl`.
  public func loss(_ batch: PolicyGradientBatch) throws(ObjectiveError) -> (
    loss: Variable, metrics: [String: Float]
  ) {
    try validate()
    let b = batch.advantages.count
    let n = batch.logProbs.value.count
    guard b > 0, n % b == 0, batch.mask.count == n else {
      throw .invalid("a batch of \(b) advantages, \(n) log-probs and a mask of \(batch.mask.count)")
    }
    if let old = batch.oldLogProbs, old.count != n {
      throw .invalid("old log-probs have \(old.count) entries for \(n) tokens")
    }
    if beta > 0 {
      guard let ref = batch.referenceLogProbs, ref.count == n else {
        throw .invalid("beta > 0 needs reference log-probs for every token")
      }
    }
    let t = n / b
    let lp = batch.logProbs.value.scalars
    let old = batch.oldLogProbs?.scalars ?? lp
    let ref = batch.referenceLogProbs?.scalars
    let m = batch.mask.scalars
    let a = batch.advantages
    let (lo, hi) = (1 - epsilonLow, 1 + (epsilonHigh ?? epsilonLow))
    let rowTokens = (0..<b).map { i in m[(i * t)..<((i + 1) * t)].reduce(0, +) }
    let allTokens = rowTokens.reduce(0, +)
    // c_i: the weight of each masked token's loss in the aggregate.
    let weight: [Float] = (0..<b).map { i in
      switch aggregation {
      case .grpo: return 1 / (Float(b) * max(rowTokens[i], 1))
      case .bnpo: return 1 / max(allTokens, 1)
      case .drGRPO: return 1 / (Float(b) * Float(maxCompletionLength))
      case .dapo: return 1 / max(batch.tokenNormalizer ?? allTokens, 1)
      }
    }
    /// The surrogate `−min(ρA, clip(ρ)A)` and its derivative with respect to `log ρ`.
    func surrogate(_ logRatio: Float, _ advantage: Float) -> (loss: Float, dLogRatio: Float) {
      let rho = Foundation.exp(logRatio)
      let clipped = min(max(rho, lo), hi)
      let (t1, t2) = (rho * advantage, clipped * advantage)
      let share: Float
      if t1 < t2 {
        share = 1
      } else if t1 > t2 {
        share = 0
      } else {
        share = 0.5 + (rho >= lo && rho <= hi ? 0.5 : 0)
      }
      return (-min(t1, t2), -advantage * rho * share)
    }
    var total: Double = 0
    var gradient = [Float](repeating: 0, count: n)
    var (low, high, counted) = (0.0, 0.0, 0.0)
    var (klSum, klCount) = (0.0, 0.0)
    for i in 0..<b {
      let row = (i * t)..<((i + 1) * t)
      let c = weight[i]
      if importanceSampling == .token {
        for j in row where m[j] != 0 {
          let logRatio = lp[j] - old[j]
          let (l, d) = surrogate(logRatio, a[i])
          total += Double(c * m[j] * l)
          gradient[j] += c * m[j] * d
          let rho = Foundation.exp(logRatio)
          let isLow = rho < lo && a[i] < 0, isHigh = rho > hi && a[i] > 0
          low += isLow ? Double(m[j]) : 0
          high += isHigh ? Double(m[j]) : 0
          counted += Double(m[j])
        }
      } else {
        var sum: Float = 0
        for j in row { sum += m[j] * (lp[j] - old[j]) }
        let scale: Float = importanceSampling == .sequence ? 1 / max(rowTokens[i], 1) : 1
        let logRatio = sum * scale
        let (l, d) = surrogate(logRatio, a[i])
        // The sequence's loss stands at each of its tokens: Σ_t c·m_t copies of it.
        let copies = c * rowTokens[i]
        total += Double(copies * l)
        for j in row where m[j] != 0 { gradient[j] += copies * d * scale * m[j] }
        let rho = Foundation.exp(logRatio)
        low += rho < lo && a[i] < 0 ? 1 : 0
        high += rho > hi && a[i] > 0 ? 1 : 0
        counted += 1
      }
      if beta > 0, let ref {
        for j in row where m[j] != 0 {
          let d = ref[j] - lp[j]
          let e = Foundation.exp(d)
          let kl = e - d - 1
          total += Double(c * m[j] * beta * kl)
          gradient[j] += c * m[j] * beta * (1 - e)
          klSum += Double(m[j] * kl)
          klCount += Double(m[j])
        }
      }
    }
    let shape = batch.logProbs.shape
    let input = batch.logProbs
    let out = Variable.result(Tensor(Float(total)), inputs: [input]) { g in
      let k = g.item
      input.accumulateGradient(Tensor(shape: shape, scalars: gradient.map { $0 * k }))
    }
    var metrics: [String: Float] = [
      "clip_ratio/low_mean": Float(low / max(counted, 1)),
      "clip_ratio/high_mean": Float(high / max(counted, 1)),
      "clip_ratio/region_mean": Float((low + high) / max(counted, 1)),
    ]
    if beta > 0 { metrics["kl"] = Float(klSum / max(klCount, 1)) }
    return (out, metrics)
  }
}
