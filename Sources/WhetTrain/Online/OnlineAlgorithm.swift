/// The online trainers (`whet train grpo|rloo|reinforce-pp|topr|raft|online-dpo`).
public enum OnlineAlgorithm: String, Sendable, Codable, CaseIterable {
  case grpo
  case rloo
  case reinforcePlusPlus = "reinforce-pp"
  case topr
  case raft
  case onlineDPO = "online-dpo"

  /// How the algorithm turns rewards into advantages (nil: it uses the rewards otherwise).
  var estimator: AdvantageEstimator? {
    switch self {
    case .grpo: return .grpo
    case .rloo: return .rloo
    case .reinforcePlusPlus: return .reinforcePlusPlus
    case .topr, .raft, .onlineDPO: return nil
    }
  }

  /// RLOO and REINFORCE++ put β·KL into the reward (k1, summed over the completion); GRPO
  /// puts the k3 KL into the loss; online DPO uses β as its temperature.
  var klInReward: Bool { self == .rloo || self == .reinforcePlusPlus }
}
