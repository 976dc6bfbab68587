import WhetTensor

/// Kahneman–Tversky optimisation on unpaired examples (Ethayarajh et al. 2024,
/// arXiv 2402.01306), as TRL's `KTOTrainer` computes it (β = 0.1, `w_D = w_U = 1`).
///
/// `z = max(0, mean_j(log π(y'_j) − log π_ref(y'_j)))` over mismatched pairs (each prompt with
/// another example's completion), without gradient. Desirable examples lose
/// `w_D(1 − σ(β(u − z)))`, undesirable ones `w_U(1 − σ(β(z − u)))`; `L` is the mean over all
/// examples. `apo_zero_unpaired` drops `z`: `1 − σ(βu)` and `σ(βu)`.
public struct KTOObjective: Sendable, Codable, Equatable {
  public enum LossType: String, Sendable, Codable, CaseIterable {
    case kto
    case apoZeroUnpaired = "apo_zero_unpaired"
  }

  public var beta: Float = 0.1
  public var desirableWeight: Float = 1
  public var undesirableWeight: Float = 1
  public var lossType: LossType = .kto

  public init() {}

  /// A batch of `N` unpaired examples.
  public struct Batch {
    /// `[N]` summed completion log-probs under the policy.
    public var logProbs: Variable
    /// `[N]` under the reference.
    public var referenceLogProbs: Tensor
    /// Whether each example is desirable.
    public var labels: [Bool]
    /// `[N]` policy log-probs of the mismatched completions (for the KL estimate).
    public var mismatchedLogProbs: Tensor
    /// `[N]` reference log-probs of the mismatched completions.
    public var referenceMismatchedLogProbs: Tensor

    public init(
      logProbs: Variable, referenceLogProbs: Tensor, labels: [Bool], mismatchedLogProbs: Tensor,
      referenceMismatchedLogProbs: Tensor
    ) {
      self.logProbs = logProbs
      self.referenceLogProbs = referenceLogProbs
      self.labels = labels
      self.mismatchedLogProbs = mismatchedLogProbs
      self.referenceMismatchedLogProbs = referenceMismatchedLogProbs
    }
  }

  /// The KL estimate `z` (clamped at 0).
  public static func klEstimate(_ batch: Batch) -> Float {
    let n = batch.mismatchedLogProbs.count
    guard n > 0 else { return 0 }
    var total: Float = 0
    for i in 0..<n {
      total += batch.mismatchedLogProbs[flat: i] - batch.referenceMismatchedLogProbs[flat: i]
    }
    return max(0, total / Float(n))
  }

  /// The loss, and `kl`, `rewards/chosen`, `rewards/rejected`, `rewards/margins` (TRL's names).
  public func loss(_ batch: Batch) throws(ObjectiveError) -> (
    loss: Variable, metrics: [String: Float]
  ) {
    guard beta > 0 else { throw .invalid("beta must be positive, got \(beta)") }
    let n = batch.logProbs.value.count
    guard n > 0, batch.labels.count == n, batch.referenceLogProbs.count == n else {
      throw .invalid("a KTO batch needs one label and one reference log-prob per example")
    }
    let z = lossType == .kto ? Self.klEstimate(batch) : 0
    let u = batch.logProbs - Variable(batch.referenceLogProbs)
    // Each example's loss with its own sign and weight, so one pass covers both kinds.
    let sign = Tensor(shape: [n], scalars: batch.labels.map { $0 ? 1 : -1 })
    let weight = Tensor(
      shape: [n], scalars: batch.labels.map { $0 ? desirableWeight : undesirableWeight })
    let x: Variable
    switch lossType {
    case .kto:
      // desirable: 1 − σ(β(u − z)); undesirable: 1 − σ(β(z − u)) = 1 − σ(−β(u − z)).
      x = (u + (-z)) * Variable(sign) * beta
    case .apoZeroUnpaired:
      // desirable: 1 − σ(βu); undesirable: σ(βu) = 1 − σ(−βu).
      x = u * Variable(sign) * beta
    }
    let perExample = (-sigmoid(x) + 1) * Variable(weight)
    var metrics: [String: Float] = ["kl": z]
    let rewards = (0..<n).map { beta * u.value[flat: $0] }
    let chosen = zip(rewards, batch.labels).filter(\.1).map(\.0)
    let rejected = zip(rewards, batch.labels).filter { !$0.1 }.map(\.0)
    if !chosen.isEmpty { metrics["rewards/chosen"] = chosen.reduce(0, +) / Float(chosen.count) }
    if !rejected.isEmpty {
      metrics["rewards/rejected"] = rejected.reduce(0, +) / Float(rejected.count)
    }
    if let c = metrics["rewards/chosen"], let r = metrics["rewards/rejected"] {
      metrics["rewards/margins"] = c - r
    }
    return (mean(perExample), metrics)
  }
}
