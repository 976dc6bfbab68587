import WhetTensor

/// DPO and its variants on a batch of preference pairs: `L = Σ_k w_k · mean_i ℓ_k,i` over the
/// chosen ``DPOLossType``s, with TRL's defaults (`DPOConfig`: β = 0.1, ε = 0, `sigmoid`,
/// reverse KL, DiscoPOP τ = 0.05, α = 0.5).
public struct DPOObjective: Sendable, Codable, Equatable {
  /// β, the temperature of the implicit reward.
  public var beta: Float = 0.1
  /// ε, used by `robust`, `exo_pair`, `aot` and `aot_unpaired` only (as in TRL).
  public var labelSmoothing: Float = 0
  /// The losses to combine.
  public var lossTypes: [DPOLossType] = [.sigmoid]
  /// One weight per loss type; nil weighs each 1.
  public var lossWeights: [Float]? = nil
  /// How log-ratios become scores.
  public var divergence: FDivergence = .reverseKL
  /// α of `alpha_divergence`.
  public var alphaDivergenceCoefficient: Float = 0.5
  /// τ of `discopop`.
  public var discopopTau: Float = 0.05

  public init() {}

  /// Why these settings cannot be used, if they cannot.
  public func validate() throws(ObjectiveError) {
    guard beta > 0, beta.isFinite else { throw .invalid("beta must be positive, got \(beta)") }
    guard !lossTypes.isEmpty else { throw .invalid("loss_type names no loss") }
    if let lossWeights, lossWeights.count != lossTypes.count {
      throw .invalid(
        "loss_weights has \(lossWeights.count) entries for \(lossTypes.count) loss types")
    }
    guard (0..<0.5).contains(labelSmoothing) else {
      throw .invalid("label_smoothing must be in [0, 0.5), got \(labelSmoothing)")
    }
    if lossTypes.contains(.exoPair), labelSmoothing <= 0 {
      throw .invalid("exo_pair needs label_smoothing > 0 (it takes log ε)")
    }
    guard discopopTau > 0 else { throw .invalid("discopop_tau must be positive") }
  }

  /// The loss of `batch` and TRL's metrics for it.
  public func loss(_ batch: PreferenceLogProbs) throws(ObjectiveError) -> (
    loss: Variable, metrics: PreferenceMetrics
  ) {
    try validate()
    guard batch.count > 0 else { throw .invalid("an empty batch of pairs") }
    let weights = lossWeights ?? Array(repeating: 1, count: lossTypes.count)
    var total: Variable? = nil
    for (type, weight) in zip(lossTypes, weights) {
      let term = mean(type.perPairLoss(batch, self)) * weight
      total = total.map { $0 + term } ?? term
    }
    let metrics = PreferenceMetrics(
      beta: beta, chosenLogRatios: batch.chosenLogRatios.value,
      rejectedLogRatios: batch.rejectedLogRatios.value, chosen: batch.chosen.value,
      rejected: batch.rejected.value)
    return (total ?? Variable(Tensor(shape: [], repeating: 0)), metrics)
  }
}

/// Why an objective cannot run with its settings or its batch.
public enum ObjectiveError: Error, Equatable, CustomStringConvertible {
  case invalid(String)

  public var description: String {
    switch self {
    case .invalid(let reason): return "objective: \(reason)"
    }
  }
}

/// What TRL logs for a batch of pairs: implicit rewards `r = β·u` (no gradient), their margin
/// and strict accuracy, and the mean policy log-probs.
public struct PreferenceMetrics: Sendable, Equatable {
  /// `rewards/chosen`: mean `β·u_w`.
  public var rewardsChosen: Float
  /// `rewards/rejected`: mean `β·u_l`.
  public var rewardsRejected: Float
  /// `rewards/margins`: mean `β(u_w − u_l)`.
  public var rewardsMargins: Float
  /// `rewards/accuracies`: share of pairs with `r_w > r_l` (ties count as wrong).
  public var rewardsAccuracies: Float
  /// `logps/chosen`: mean summed policy log-prob of the chosen completions.
  public var logpsChosen: Float
  /// `logps/rejected`.
  public var logpsRejected: Float

  init(
    beta: Float, chosenLogRatios: Tensor, rejectedLogRatios: Tensor, chosen: Tensor,
    rejected: Tensor
  ) {
    let n = Float(max(chosen.count, 1))
    var (rw, rl, correct) = (Float(0), Float(0), Float(0))
    for i in 0..<chosen.count {
      let a = beta * chosenLogRatios[flat: i]
      let b = beta * rejectedLogRatios[flat: i]
      rw += a
      rl += b
      if a > b { correct += 1 }
    }
    rewardsChosen = rw / n
    rewardsRejected = rl / n
    rewardsMargins = (rw - rl) / n
    rewardsAccuracies = correct / n
    logpsChosen = chosen.sum() / n
    logpsRejected = rejected.sum() / n
  }

  /// The metrics under TRL's names.
  public var named: [(String, Float)] {
    [
      ("rewards/chosen", rewardsChosen), ("rewards/rejected", rewardsRejected),
      ("rewards/margins", rewardsMargins), ("rewards/accuracies", rewardsAccuracies),
      ("logps/chosen", logpsChosen), ("logps/rejected", logpsRejected),
    ]
  }
}
