import Foundation

/// How a completion's reward becomes its advantage (ALGORITHMS.md §5, LOSSES.md).
public enum AdvantageEstimator: String, Sendable, Codable, CaseIterable {
  /// GRPO: `A_i = r_i − mean_g r`, divided by a std chosen by ``RewardScaling``
  /// (Dr. GRPO is this with `scale_rewards: none`).
  case grpo
  /// RLOO (Ahmadian et al. 2024): `A_i = r_i − (Σ_g r − r_i)/(G − 1)` over the group's scored
  /// completions.
  case rloo
  /// REINFORCE++ (Hu 2025, OpenRLHF): `A_i = (r_i − mean_batch r) / (std_batch r + 1e-4)`,
  /// one baseline and one scale for the whole batch.
  case reinforcePlusPlus = "reinforce_pp"
}

/// What GRPO's advantage is divided by (TRL's `scale_rewards`).
public enum RewardScaling: String, Sendable, Codable, CaseIterable {
  /// The group's Bessel std.
  case group
  /// The whole batch's Bessel std (the group mean is still subtracted).
  case batch
  /// No division (Dr. GRPO).
  case none
}

/// How several reward functions combine (TRL's `multi_objective_aggregation`).
public enum RewardAggregation: String, Sendable, Codable, CaseIterable {
  /// The weighted sum of the functions, then the advantage.
  case sumThenNormalize = "sum_then_normalize"
  /// Each function normalised within its group, the weighted sum, then normalised over the
  /// batch (GDPO).
  case normalizeThenSum = "normalize_then_sum"
}

/// Advantages of a batch of groups of `G` completions from their rewards, exactly as TRL's
/// `GRPOTrainer` and `RLOOTrainer` compute them (`_generate_and_score_completions`).
///
/// A function that abstains (`nil`) is left out for that completion: the weighted sum skips
/// it, and a completion every function abstained on has no reward, is left out of its
/// group's mean and std, and gets advantage 0. A group with fewer than two scored
/// completions has no std, so its GRPO advantages are 0 as well (TRL's NaN → 0).
public struct GroupAdvantages: Sendable, Equatable {
  public var estimator: AdvantageEstimator = .grpo
  public var scaling: RewardScaling = .group
  public var aggregation: RewardAggregation = .sumThenNormalize
  /// One weight per reward function; nil weighs each 1 (`reward_weights`).
  public var weights: [Double]? = nil

  public init() {}

  /// What the computation yields for `N = groups·G` completions.
  public struct Result: Sendable, Equatable {
    /// `[N]`.
    public var advantages: [Double]
    /// The weighted reward of each completion, nil where every function abstained, `[N]`.
    public var rewards: [Double?]
    /// For each group, whether its rewards have zero std (every completion scored the same):
    /// such a group gives no gradient (`frac_reward_zero_std`, DAPO's dynamic sampling).
    public var zeroStd: [Bool]
  }

  /// Advantages of `rewards` `[N][K]` (completion by function, groups of `groupSize`
  /// consecutive completions).
  public func compute(_ rewards: [[Double?]], groupSize g: Int) throws(ObjectiveError) -> Result {
    guard g > 0, rewards.count % g == 0 else {
      throw .invalid("\(rewards.count) completions do not form groups of \(g)")
    }
    let k = rewards.first?.count ?? 0
    guard rewards.allSatisfy({ $0.count == k }) else {
      throw .invalid("every completion needs one reward per function")
    }
    let w = weights ?? Array(repeating: 1, count: k)
    guard w.count == k else {
      throw .invalid("reward_weights has \(w.count) entries for \(k) reward functions")
    }
    let groups = rewards.count / g
    func weightedSum(_ row: [Double?]) -> Double? {
      guard row.contains(where: { $0 != nil }) else { return nil }
      var total = 0.0
      for (r, weight) in zip(row, w) { if let r { total += r * weight } }
      return total
    }
    if aggregation == .normalizeThenSum {
      guard estimator == .grpo else {
        throw .invalid("normalize_then_sum is defined for the GRPO advantage only")
      }
      // Per function, per group: (r − mean) / (std + 1e-4), nil where it abstained.
      var normalised = rewards
      for f in 0..<k {
        for group in 0..<groups {
          let range = (group * g)..<((group + 1) * g)
          let values = range.map { rewards[$0][f] }
          let m = Self.mean(values)
          let s = g > 1 ? Self.std(values) : 0
          for i in range {
            normalised[i][f] = rewards[i][f].flatMap { r in
              m.flatMap { m in s.map { (r - m) / ($0 + 1e-4) } }
            }
          }
        }
      }
      let combined = normalised.map(weightedSum)
      let s = combined.count > 1 ? Self.std(combined) : 0
      let m = Self.mean(combined)
      let advantages = combined.map { r in
        r.flatMap { r in m.flatMap { m in s.map { (r - m) / ($0 + 1e-4) } } } ?? 0
      }
      return Result(
        advantages: advantages.map { $0.isFinite ? $0 : 0 }, rewards: rewards.map(weightedSum),
        zeroStd: Array(repeating: Self.isZero(s), count: groups))
    }
    let combined = rewards.map(weightedSum)
    let groupStd = (0..<groups).map { group in
      g > 1 ? Self.std(Array(combined[(group * g)..<((group + 1) * g)])) : 0
    }
    var advantages = [Double](repeating: 0, count: combined.count)
    switch estimator {
    case .grpo:
      let batchStd = combined.count > 1 ? Self.std(combined) : 0
      for group in 0..<groups {
        let range = (group * g)..<((group + 1) * g)
        guard let m = Self.mean(range.map { combined[$0] }) else { continue }
        let divisor: Double?
        switch scaling {
        case .group: divisor = groupStd[group].map { $0 + 1e-4 }
        case .batch: divisor = batchStd.map { $0 + 1e-4 }
        case .none: divisor = 1
        }
        for i in range {
          if let r = combined[i], let divisor { advantages[i] = (r - m) / divisor }
        }
      }
    case .rloo:
      for group in 0..<groups {
        let range = (group * g)..<((group + 1) * g)
        let scored = range.compactMap { combined[$0] }
        guard scored.count > 1 else { continue }
        let total = scored.reduce(0, +)
        for i in range {
          if let r = combined[i] { advantages[i] = r - (total - r) / Double(scored.count - 1) }
        }
      }
    case .reinforcePlusPlus:
      if let m = Self.mean(combined), let s = combined.count > 1 ? Self.std(combined) : nil {
        for i in combined.indices {
          if let r = combined[i] { advantages[i] = (r - m) / (s + 1e-4) }
        }
      }
    }
    return Result(
      advantages: advantages.map { $0.isFinite ? $0 : 0 }, rewards: combined,
      zeroStd: groupStd.map(Self.isZero))
  }

  /// The mean of the values present (`torch.nanmean`), nil when none is.
  static func mean(_ values: [Double?]) -> Double? {
    let present = values.compactMap { $0 }
    return present.isEmpty ? nil : present.reduce(0, +) / Double(present.count)
  }

  /// The Bessel std of the values present (TRL's `nanstd`), nil with fewer than two.
  static func std(_ values: [Double?]) -> Double? {
    let present = values.compactMap { $0 }
    guard present.count > 1, let m = mean(values) else { return nil }
    let variance = present.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(present.count - 1)
    return variance.squareRoot()
  }

  /// `torch.isclose(std, 0)`: within 1e-8; an undefined std is not zero.
  static func isZero(_ s: Double?) -> Bool { s.map { abs($0) <= 1e-8 } ?? false }
}
