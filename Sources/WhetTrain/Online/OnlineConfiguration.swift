import WhetLM

/// The settings of an online RL run beyond the shared loop's, with TRL's `GRPOConfig` /
/// `RLOOConfig` names in YAML (snake case). What each trainer uses:
///
/// | trainer | advantage | loss |
/// |---|---|---|
/// | `grpo` | group mean/std (``scaleRewards``) | clipped surrogate (``lossType``) |
/// | `rloo` | leave-one-out, β·KL in the reward | clipped surrogate on sequence ratios |
/// | `reinforce-pp` | batch-normalised, β·KL in the reward | clipped surrogate (``lossType``) |
/// | `topr` | the reward itself (minus ``toprBaseline``) | tapered REINFORCE, no KL |
/// | `raft` | — | SFT on the best ``raftTopK`` (or ``raftTopFraction``) of each group |
/// | `online-dpo` | — | DPO (``onlineDPOLoss``) on best against worst of each group |
public struct OnlineConfiguration: Codable, Sendable, Equatable {
  /// G, completions per prompt (`num_generations`).
  public var numGenerations = 8
  /// Prompts per optimizer step (TRL's `per_device_train_batch_size × GA / G`).
  public var promptsPerStep = 8
  /// New tokens per completion at most (`max_completion_length`).
  public var maxCompletionLength = 256
  public var temperature: Float = 1
  public var topP: Float = 1
  public var topK = 0
  public var minP: Float = 0
  public var repetitionPenalty: Float = 1
  /// β: the k3 KL in the GRPO loss, or the KL penalty in the RLOO/REINFORCE++ reward, or
  /// online DPO's temperature. 0 (GRPO's default) holds no reference model.
  public var beta: Float = 0
  public var epsilon: Float = 0.2
  /// DAPO's clip-higher; nil: ``epsilon``.
  public var epsilonHigh: Float? = nil
  public var lossType: PolicyLossAggregation = .dapo
  public var importanceSamplingLevel: ImportanceSampling = .token
  public var scaleRewards: RewardScaling = .group
  /// μ: optimizer steps on each batch of rollouts (`num_iterations`).
  public var numIterations = 1
  /// One weight per reward function; nil weighs each 1.
  public var rewardWeights: [Double]? = nil
  public var multiObjectiveAggregation: RewardAggregation = .sumThenNormalize
  /// Completions cut by the length limit train on nothing.
  public var maskTruncatedCompletions = false
  /// DAPO's soft overlong punishment: within this many tokens of the limit the reward loses
  /// `(L_max − L_cache − |y|)/L_cache` (down to −1 at the limit); nil: off.
  public var overlongBufferLength: Int? = nil
  /// DAPO's dynamic sampling: groups whose rewards are all equal are dropped and more
  /// prompts sampled, up to ``maxSamplingRounds`` rounds, to fill the step.
  public var dynamicSampling = false
  public var maxSamplingRounds = 3
  /// PSR/NSR (Zhu et al. 2025): the weights of positive- and negative-advantage samples
  /// (W-REINFORCE uses `positive_weight: 0.1`).
  public var positiveWeight: Float = 1
  public var negativeWeight: Float = 1
  /// TOPR: `R = r − baseline`.
  public var toprBaseline: Float = 0
  /// TOPR: earlier rounds of rollouts replayed with each new one (their behaviour
  /// log-probs kept, so the tapered ratio weighs them).
  public var toprReplayRounds = 0
  /// RAFT: completions kept per prompt (the highest rewards); ``raftTopFraction`` instead
  /// when set.
  public var raftTopK = 1
  public var raftTopFraction: Double? = nil
  /// RAFT: keep only completions whose reward exceeds this.
  public var raftMinReward: Double? = nil
  /// Online DPO's loss: `sigmoid` or `ipo`.
  public var onlineDPOLoss: DPOLossType = .sigmoid
  /// Rows decoded together while sampling.
  public var generationBatchSize = 64

  enum CodingKeys: String, CodingKey, CaseIterable {
    case numGenerations = "num_generations"
    case promptsPerStep = "prompts_per_step"
    case maxCompletionLength = "max_completion_length"
    case temperature
    case topP = "top_p"
    case topK = "top_k"
    case minP = "min_p"
    case repetitionPenalty = "repetition_penalty"
    case beta
    case epsilon
    case epsilonHigh = "epsilon_high"
    case lossType = "loss_type"
    case importanceSamplingLevel = "importance_sampling_level"
    case scaleRewards = "scale_rewards"
    case numIterations = "num_iterations"
    case rewardWeights = "reward_weights"
    case multiObjectiveAggregation = "multi_objective_aggregation"
    case maskTruncatedCompletions = "mask_truncated_completions"
    case overlongBufferLength = "overlong_buffer_length"
    case dynamicSampling = "dynamic_sampling"
    case maxSamplingRounds = "max_sampling_rounds"
    case positiveWeight = "positive_weight"
    case negativeWeight = "negative_weight"
    case toprBaseline = "topr_baseline"
    case toprReplayRounds = "topr_replay_rounds"
    case raftTopK = "raft_top_k"
    case raftTopFraction = "raft_top_fraction"
    case raftMinReward = "raft_min_reward"
    case onlineDPOLoss = "online_dpo_loss"
    case generationBatchSize = "generation_batch_size"
  }

  public init() {}

  /// The sampling parameters of the rollouts (the seed is set per round).
  public var sampling: SamplingParameters {
    SamplingParameters(
      temperature: temperature, topK: topK, topP: topP, minP: minP,
      repetitionPenalty: repetitionPenalty, maxTokens: maxCompletionLength)
  }

  /// Whether the sampled distribution is truncated (top-k, top-p, min-p) or penalised: the
  /// behaviour log-probs are then of a distribution the training forward does not reproduce.
  public var samplingDiffersFromPolicy: Bool {
    topK > 0 || topP < 1 || minP > 0 || repetitionPenalty != 1
  }

  /// Why these settings cannot train, if they cannot.
  public func validate() throws(TrainerError) {
    func bad(_ reason: String) -> TrainerError { .configuration(reason) }
    guard numGenerations >= 2 else { throw bad("num_generations must be at least 2") }
    guard promptsPerStep > 0 else { throw bad("prompts_per_step must be positive") }
    guard maxCompletionLength > 0 else { throw bad("max_completion_length must be positive") }
    guard temperature > 0, temperature.isFinite else {
      throw bad("temperature must be positive: greedy rollouts make every group identical")
    }
    guard (0...1).contains(topP), topK >= 0, (0...1).contains(minP), repetitionPenalty > 0 else {
      throw bad("bad sampling settings (top_p, top_k, min_p, repetition_penalty)")
    }
    guard numIterations > 0 else { throw bad("num_iterations must be positive") }
    guard beta >= 0, beta.isFinite else { throw bad("beta must not be negative") }
    if let overlongBufferLength, !(1..<maxCompletionLength).contains(overlongBufferLength) {
      throw bad("overlong_buffer_length must be in 1..<max_completion_length")
    }
    guard (1...16).contains(maxSamplingRounds) else {
      throw bad("max_sampling_rounds must be in 1...16")
    }
    guard positiveWeight >= 0, negativeWeight >= 0 else {
      throw bad("positive_weight and negative_weight must not be negative")
    }
    guard toprReplayRounds >= 0 else { throw bad("topr_replay_rounds must not be negative") }
    guard raftTopK > 0 else { throw bad("raft_top_k must be positive") }
    if let raftTopFraction, !(raftTopFraction > 0 && raftTopFraction <= 1) {
      throw bad("raft_top_fraction must be in (0, 1]")
    }
    guard [.sigmoid, .ipo].contains(onlineDPOLoss) else {
      throw bad("online_dpo_loss must be sigmoid or ipo")
    }
    guard generationBatchSize > 0 else { throw bad("generation_batch_size must be positive") }
  }
}
