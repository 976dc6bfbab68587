import Foundation
import WhetData
import WhetLM
import WhetNN
import WhetRewards
import WhetTensor

/// One completion ready for the loss: its sequence and, at each trained position (the
/// positions that predict the completion's tokens), the behaviour, old and reference
/// log-probs; 0 elsewhere.
struct ScoredRollout: Codable, Sendable {
  var sequence: TokenizedSequence
  var behaviour: [Float]
  var old: [Float]?
  var reference: [Float]?
  var advantage: Float
  /// The combined reward (nil: every function abstained).
  var reward: Double?
  /// Trains on nothing (truncated with `mask_truncated_completions`).
  var masked: Bool
  var group: Int

  /// `[T]`: 1 at trained positions (0 everywhere when masked).
  var mask: [Float] { sequence.targets.map { $0 >= 0 && !masked ? 1 : 0 } }
}

/// The online RL loop (ALGORITHMS.md §5): each round samples `G` completions of
/// ``OnlineConfiguration/promptsPerStep`` prompts from the current policy, scores them with
/// every reward function, turns rewards into advantages, and takes
/// ``OnlineConfiguration/numIterations`` optimizer steps on them, in micro-batches of
/// `batch_size` completions. The shared pieces of the offline loop serve it too: the
/// learning-rate schedule, AdamW, clipping, ``RunDirectory``'s metrics and atomic checkpoints,
/// and the stop at the first non-finite loss.
///
/// Resuming is exact: checkpoints fall on round boundaries, a round's prompts come from the
/// seeded data order and its samples from a seed of the run's seed and the round, and the
/// checkpoint carries every other state (dropout generators, the weaver reward's window,
/// TOPR's replay buffer).
public final class OnlineTrainer {
  public let configuration: TrainingConfiguration
  public let online: OnlineConfiguration
  public let algorithm: OnlineAlgorithm
  public let policy: TransformerDecoder
  public let parameters: [(name: String, variable: Variable)]
  public let prompts: [OnlinePrompt]
  public let evaluation: [OnlinePrompt]
  public let rewards: [any OnlineReward]
  /// Scores the greedy held-out completions (`eval_greedy_accuracy`); nil: no evaluation.
  public let evaluationReward: (any OnlineReward)?
  public let sampler: RolloutSampler
  /// Per-token log-probs of sequences under the reference policy (`[T]` each, aligned like
  /// the sequences' targets), when β > 0 or online DPO needs them.
  public var reference: (([TokenizedSequence]) throws -> [[Float]])? = nil
  public let directory: URL
  public var saveRandomState: () -> [String: String] = { [:] }
  public var restoreRandomState: ([String: String]) throws -> Void = { _ in }
  public var progress: (String) -> Void = { line in
    FileHandle.standardError.write(Data((line + "\n").utf8))
  }
  let optimizer: AdamW
  /// TOPR's replay buffer: the rollouts of earlier rounds, with the log-probs of the policy
  /// that sampled them.
  var replay: [[ScoredRollout]] = []

  public init(
    configuration: TrainingConfiguration, online: OnlineConfiguration, algorithm: OnlineAlgorithm,
    policy: TransformerDecoder, parameters: [(name: String, variable: Variable)],
    prompts: [OnlinePrompt], evaluation: [OnlinePrompt], rewards: [any OnlineReward],
    evaluationReward: (any OnlineReward)?, sampler: RolloutSampler, directory: URL
  ) throws {
    try configuration.validate()
    try online.validate()
    guard !prompts.isEmpty else { throw TrainerError.noData("no training prompts") }
    guard !parameters.isEmpty else { throw TrainerError.configuration("nothing to train") }
    guard !rewards.isEmpty else { throw TrainerError.configuration("no reward function") }
    guard configuration.gradientAccumulationSteps == 1 else {
      throw TrainerError.configuration(
        "online runs split each step's prompts_per_step × num_generations completions into micro-batches of batch_size; gradient_accumulation_steps is not used, leave it at 1"
      )
    }
    if online.numIterations > 1 {
      if let every = configuration.saveEvery, every % online.numIterations != 0 {
        throw TrainerError.configuration(
          "save_steps must be a multiple of num_iterations (\(online.numIterations)) so checkpoints fall between rounds"
        )
      }
      if let steps = configuration.maxSteps, steps % online.numIterations != 0 {
        throw TrainerError.configuration(
          "max_steps must be a multiple of num_iterations (\(online.numIterations))")
      }
    }
    if let weights = online.rewardWeights, weights.count != rewards.count {
      throw TrainerError.configuration(
        "reward_weights has \(weights.count) entries for \(rewards.count) reward functions")
    }
    self.configuration = configuration
    self.online = online
    self.algorithm = algorithm
    self.policy = policy
    self.parameters = parameters
    self.prompts = prompts
    self.evaluation = evaluation
    self.rewards = rewards
    self.evaluationReward = evaluationReward
    self.sampler = sampler
    self.directory = directory
    optimizer = AdamW(weightDecay: configuration.weightDecay)
    optimizer.decayExcluded = parameters.map { Trainer<Int>.excludedFromDecay($0.name) }
  }

  var roundsPerEpoch: Int { (prompts.count + online.promptsPerStep - 1) / online.promptsPerStep }
  public var totalSteps: Int {
    configuration.maxSteps ?? configuration.epochs * roundsPerEpoch * online.numIterations
  }

  /// The prompts at data positions `position..<position + count` (wrapping into the next
  /// epoch's order).
  func prompts(from position: Int, count: Int) -> [OnlinePrompt] {
    var cache: (epoch: Int, order: [Int])? = nil
    return (position..<(position + count)).map { p in
      let epoch = p / prompts.count
      if cache?.epoch != epoch {
        cache = (
          epoch, DataOrder.shuffled(count: prompts.count, seed: configuration.seed, epoch: epoch)
        )
      }
      return prompts[cache!.order[p % prompts.count]]
    }
  }

  /// Trains to the end (or from the newest checkpoint when `resume`), with matrix products in
  /// the configuration's precision (rollouts included) and its gradient checkpointing.
  public func run(resume: Bool = false) async throws -> TrainingSummary {
    try await configuration.scoped { try await runSteps(resume: resume) }
  }

  func runSteps(resume: Bool) async throws -> TrainingSummary {
    let files = RunDirectory(directory)
    var step = 0
    var position = 0
    var lastCheckpoint: String? = nil
    let resumed = resume ? try files.resume(parameters: parameters, optimizer: optimizer) : nil
    try files.start(fresh: resumed == nil)
    if let (state, path) = resumed {
      try restore(state.extra)
      step = state.step
      position = state.dataPosition
      lastCheckpoint = path
    }
    let schedule = configuration.schedule(totalSteps: totalSteps)
    let writer = try JSONLWriter(url: files.metrics, append: true)
    defer { try? writer.close() }
    var evaluationMetrics: [String: Float] = [:]
    if step == 0, evaluationReward != nil, !evaluation.isEmpty {
      evaluationMetrics = try await evaluate(step: 0)
      try writer.write(RunDirectory.line(step: 0, evaluationMetrics))
    }
    var lastLoss: Float? = nil
    let start = Date()
    let startStep = step
    while step < totalSteps {
      let round = step / online.numIterations
      let (batch, rolloutMetrics, next) = try await rollouts(round: round, position: position)
      position = next
      for iteration in 0..<online.numIterations where step < totalSteps {
        let learningRate = schedule.learningRate(base: configuration.learningRate, atStep: step)
        let trainStart = Date()
        let (report, metrics, tokens) = try optimize(batch, learningRate: learningRate, step: step)
        let trainSeconds = Date().timeIntervalSince(trainStart)
        step += 1
        lastLoss = report.loss
        if step % configuration.logEvery == 0 || step == totalSteps {
          var line: [String: JSONValue] = [
            "step": .number(Double(step)), "loss": .number(Double(report.loss)),
            "grad_norm": .number(Double(report.gradientNorm)),
            "learning_rate": .number(Double(learningRate)),
            "epoch": .number(Double(position) / Double(prompts.count)),
            "tokens_per_second": .number(Double(tokens) / max(trainSeconds, 1e-9)),
            "timing/training_seconds": .number(trainSeconds),
          ]
          for (name, value) in metrics { line[name] = .number(Double(value)) }
          if iteration == 0 {
            for (name, value) in rolloutMetrics { line[name] = .number(value) }
          }
          try writer.write(line)
          let elapsed = Date().timeIntervalSince(start)
          let eta = elapsed / Double(step - startStep) * Double(totalSteps - step)
          progress(
            String(
              format: "step %d/%d  loss %.4f  reward %.3f  lr %.2e  ETA %@", step, totalSteps,
              report.loss, rolloutMetrics["reward"] ?? .nan, learningRate,
              Trainer<Int>.duration(eta)))
        }
        if let every = configuration.evalEvery, step % every == 0, step < totalSteps,
          evaluationReward != nil, !evaluation.isEmpty
        {
          evaluationMetrics = try await evaluate(step: step)
          try writer.write(RunDirectory.line(step: step, evaluationMetrics))
        }
        if let every = configuration.saveEvery, step % every == 0, step < totalSteps {
          lastCheckpoint = try save(files, step: step, position: position)
        }
      }
    }
    if evaluationReward != nil, !evaluation.isEmpty {
      evaluationMetrics = try await evaluate(step: step)
      try writer.write(RunDirectory.line(step: step, evaluationMetrics))
    }
    lastCheckpoint = try save(files, step: step, position: position)
    return TrainingSummary(
      steps: step, finalLoss: lastLoss, evaluation: evaluationMetrics, checkpoint: lastCheckpoint)
  }

  func save(_ files: RunDirectory, step: Int, position: Int) throws -> String {
    var extra = saveRandomState()
    if !replay.isEmpty,
      let data = try? JSONEncoder().encode(replay)
    {
      extra["topr_replay"] = String(decoding: data, as: UTF8.self)
    }
    for reward in rewards {
      if let weaver = reward as? WeaverReward { extra["weaver_state"] = weaver.state }
    }
    return try files.save(
      step: step, parameters: parameters, optimizer: optimizer,
      state: TrainingState(
        step: step, dataPosition: position, generator: SeededGenerator(seed: configuration.seed),
        extra: extra))
  }

  func restore(_ extra: [String: String]) throws {
    try restoreRandomState(extra)
    if let text = extra["topr_replay"] {
      replay = try JSONDecoder().decode([[ScoredRollout]].self, from: Data(text.utf8))
    }
    for reward in rewards {
      if let weaver = reward as? WeaverReward, let state = extra["weaver_state"] {
        try weaver.restore(state: state)
      }
    }
  }
}
