import WhetTensor

/// Bradley–Terry reward modelling on a scalar head (Ouyang et al. 2022, arXiv 2203.02155), as
/// TRL's `RewardTrainer` computes it: `L = mean[−log σ(r_w − r_l − m)] + c·mean((r_w + r_l)²)`,
/// with `m` the optional `margin` column and `c` the `center_rewards_coefficient` (Eisenstein
/// et al. 2023), off by default.
public struct RewardModelObjective: Sendable, Codable, Equatable {
  public var centerRewardsCoefficient: Float? = nil

  public init() {}

  /// - Parameters: `chosen`, `rejected` `[P]` rewards; `margins` `[P]` or nil.
  public func loss(chosen: Variable, rejected: Variable, margins: Tensor?) -> (
    loss: Variable, metrics: [String: Float]
  ) {
    var difference = chosen - rejected
    if let margins { difference = difference - Variable(margins) }
    var total = mean(-logSigmoid(difference))
    if let c = centerRewardsCoefficient { total = total + mean(square(chosen + rejected)) * c }
    let n = chosen.value.count
    var correct: Float = 0
    var margin: Float = 0
    for i in 0..<n {
      let d = chosen.value[flat: i] - rejected.value[flat: i]
      if d > 0 { correct += 1 }
      margin += d
    }
    let metrics: [String: Float] = [
      "accuracy": correct / Float(max(n, 1)), "margin": margin / Float(max(n, 1)),
    ]
    return (total, metrics)
  }
}
