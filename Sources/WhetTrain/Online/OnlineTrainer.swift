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

  /// Trains to the end (or from the newest checkpoint when `resume`).
  public func run(resume: Bool = false) async throws -> TrainingSummary {
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

  // MARK: - Rollouts

  /// Samples, scores and prepares round `round`'s completions, from data `position`; returns
  /// them, the round's metrics and the data position after the prompts used.
  func rollouts(round: Int, position: Int) async throws -> (
    [ScoredRollout], [String: Double], Int
  ) {
    let g = online.numGenerations
    let p = online.promptsPerStep
    var position = position
    var kept: [ScoredRollout] = []
    var metrics: [String: Double] = [:]
    var generated = 0
    var generationSeconds = 0.0
    var zeroStdGroups = 0
    var totalGroups = 0
    var all: [Rollout] = []
    var allRewards: [[Double?]] = []
    var samplingRounds = 0
    var groupOffset = 0
    var diagnostics: [String: Double] = [:]
    while kept.count < p * g,
      samplingRounds < (online.dynamicSampling ? online.maxSamplingRounds : 1)
    {
      let batchPrompts = prompts(from: position, count: p)
      position += p
      let t0 = Date()
      let rollouts = try sampler.sample(
        batchPrompts,
        seed: RolloutSampler.seed(run: configuration.seed, round: round * 16 + samplingRounds))
      generationSeconds += Date().timeIntervalSince(t0)
      generated += rollouts.reduce(0) { $0 + $1.tokens.count }
      samplingRounds += 1
      let batch = RolloutBatch(prompts: batchPrompts, rollouts: rollouts, groupSize: g)
      var perFunction: [[Double?]] = []
      for reward in rewards {
        perFunction.append(try await reward.score(batch))
        for (name, value) in reward.diagnostics { diagnostics[name, default: 0] += value }
      }
      if let buffer = online.overlongBufferLength {
        perFunction.append(
          rollouts.map {
            Self.overlongPenalty($0, limit: online.maxCompletionLength, buffer: buffer)
          })
      }
      var rows = rollouts.indices.map { i in perFunction.map { $0[i] } }
      let scored = try prepare(batchPrompts, rollouts, rows: &rows, groupOffset: groupOffset)
      all += rollouts
      allRewards += rows
      totalGroups += scored.zeroStd.count
      zeroStdGroups += scored.zeroStd.filter { $0 }.count
      // DAPO: a group whose rewards are all equal has no advantage; sample more instead.
      kept += scored.rollouts.filter {
        !online.dynamicSampling || !scored.zeroStd[$0.group - groupOffset]
      }
      groupOffset += batchPrompts.count
    }
    if kept.count > p * g { kept = Array(kept.prefix(p * g)) }
    // Metrics of everything sampled this round (TRL's names where they exist).
    let names = rewards.map(\.name) + (online.overlongBufferLength != nil ? ["overlong"] : [])
    let combined = kept.compactMap(\.reward)
    metrics["reward"] = Self.mean(combined)
    metrics["reward_std"] = GroupAdvantages.std(combined.map { $0 }) ?? 0
    for (k, name) in names.enumerated() {
      let column = allRewards.map { $0[k] }
      let present = column.compactMap { $0 }
      metrics["rewards/\(name)/mean"] = Self.mean(present)
      metrics["rewards/\(name)/std"] = GroupAdvantages.std(column) ?? 0
      metrics["rewards/\(name)/abstained"] = Double(column.count - present.count)
      if names.count > 1, let agreement = Self.agreement(allRewards, function: k) {
        metrics["rewards/\(name)/agreement"] = agreement
      }
    }
    metrics["frac_reward_zero_std"] = Double(zeroStdGroups) / Double(max(totalGroups, 1))
    let lengths = all.map { Double($0.tokens.count) }
    metrics["completions/mean_length"] = Self.mean(lengths)
    metrics["completions/min_length"] = lengths.min() ?? 0
    metrics["completions/max_length"] = lengths.max() ?? 0
    metrics["completions/clipped_ratio"] =
      Double(all.filter(\.truncated).count) / Double(max(all.count, 1))
    let entropies = all.flatMap(\.entropies)
    metrics["entropy"] = Self.mean(entropies.map(Double.init))
    metrics["timing/generation_seconds"] = generationSeconds
    metrics["timing/generation_tokens_per_second"] =
      Double(generated) / max(generationSeconds, 1e-9)
    metrics["num_generated_tokens"] = Double(generated)
    if online.dynamicSampling { metrics["sampling/rounds"] = Double(samplingRounds) }
    metrics.merge(diagnostics) { $1 }
    if let mismatch = Self.logProbMismatch(kept) { metrics["sampling/logprob_mismatch"] = mismatch }
    for reward in rewards {
      if let weaver = reward as? WeaverReward {
        metrics["weaver/fit_failed"] = weaver.lastError == nil ? 0 : 1
        if let fit = weaver.lastFit { metrics["weaver/class_balance"] = fit.fitted.classBalance }
      }
    }
    try writeRollouts(round: round, all, rewards: allRewards, names: names)
    if algorithm == .topr {
      let fresh = kept
      kept += replay.flatMap { $0 }
      if online.toprReplayRounds > 0 {
        replay.append(fresh)
        if replay.count > online.toprReplayRounds { replay.removeFirst() }
      }
    }
    return (kept, metrics, position)
  }

  /// The rollouts of one sampling round with their sequences, old and reference log-probs,
  /// combined rewards and advantages (PSR/NSR weights applied).
  func prepare(
    _ batchPrompts: [OnlinePrompt], _ rollouts: [Rollout], rows: inout [[Double?]], groupOffset: Int
  ) throws -> (rollouts: [ScoredRollout], zeroStd: [Bool]) {
    let g = online.numGenerations
    var scored = rollouts.map { r -> ScoredRollout in
      let prompt = batchPrompts[r.prompt].tokens
      let sequence = TokenizedSequence(prompt: prompt, completion: r.tokens)
      var behaviour = [Float](repeating: 0, count: sequence.tokens.count)
      for (k, lp) in r.behaviourLogProbs.enumerated() { behaviour[prompt.count - 1 + k] = lp }
      return ScoredRollout(
        sequence: sequence, behaviour: behaviour, old: nil, reference: nil, advantage: 0,
        reward: nil, masked: online.maskTruncatedCompletions && r.truncated,
        group: groupOffset + r.prompt)
    }
    // π_old from the training forward when ratios or the reward need it: μ > 1, TOPR's
    // behaviour policy, RLOO's KL; on policy with μ = 1 the loss uses sg(logπ) instead.
    let needsOld =
      online.numIterations > 1 || algorithm == .topr || (algorithm.klInReward && online.beta > 0)
    if needsOld {
      let old = try tokenLogProbs(scored.map(\.sequence))
      for i in scored.indices { scored[i].old = old[i] }
    }
    let needsReference =
      (online.beta > 0 && algorithm != .topr && algorithm != .raft) || algorithm == .onlineDPO
    if needsReference {
      guard let reference else {
        throw TrainerError.configuration("beta > 0 needs a reference model, and none was given")
      }
      let ref = try reference(scored.map(\.sequence))
      for i in scored.indices { scored[i].reference = ref[i] }
    }
    if algorithm.klInReward, online.beta > 0 {
      // r ← r − β·Σ_t m (logπ_old − logπ_ref), as TRL's RLOO.
      for i in scored.indices {
        let m = scored[i].mask
        var kl: Double = 0
        for t in m.indices where m[t] != 0 {
          kl += Double(scored[i].old![t] - scored[i].reference![t])
        }
        rows[i].append(-Double(online.beta) * kl)
      }
    }
    var estimator = GroupAdvantages()
    estimator.estimator = algorithm.estimator ?? .grpo
    estimator.scaling = online.scaleRewards
    estimator.aggregation = online.multiObjectiveAggregation
    if var weights = online.rewardWeights {
      while weights.count < rows.first?.count ?? 0 { weights.append(1) }
      estimator.weights = weights
    }
    let result = try estimator.compute(rows, groupSize: g)
    for i in scored.indices {
      var a = Float(result.advantages[i])
      a *= a > 0 ? online.positiveWeight : (a < 0 ? online.negativeWeight : 1)
      scored[i].advantage = a
      scored[i].reward = result.rewards[i]
    }
    return (scored, result.zeroStd)
  }

  /// DAPO's soft overlong punishment of one completion.
  static func overlongPenalty(_ r: Rollout, limit: Int, buffer: Int) -> Double {
    let n = r.tokens.count
    let expected = limit - buffer
    if n <= expected { return 0 }
    return max(Double(expected - n) / Double(buffer), -1)
  }

  /// Per-token log-probs of `sequences` under the policy as it is now (no gradient), aligned
  /// with their targets.
  func tokenLogProbs(_ sequences: [TokenizedSequence]) throws -> [[Float]] {
    PolicyLogProbs.perSequence(
      policy, sequences, temperature: online.temperature, chunk: configuration.batchSize)
  }

  // MARK: - Optimisation

  /// One optimizer step on `batch`: the algorithm's loss over micro-batches of `batch_size`.
  func optimize(_ batch: [ScoredRollout], learningRate: Float, step: Int) throws -> (
    TrainingStepReport, [String: Float], Int
  ) {
    let units = try lossUnits(batch)
    var metrics: [[String: Float]] = []
    var objectiveError: (any Error)? = nil
    let tokens = units.reduce(0) { $0 + $1.tokens }
    guard !units.isEmpty else {
      // Nothing to learn from this round (RAFT or online DPO found no usable completion).
      return (TrainingStepReport(loss: 0, gradientNorm: 0, learningRate: learningRate), [:], 0)
    }
    do {
      let report = try trainingStep(
        parameters: parameters.map(\.variable), optimizer: optimizer, learningRate: learningRate,
        maxGradientNorm: configuration.maxGradNorm,
        microBatches: units.map { unit in
          {
            do {
              let (loss, m) = try unit.loss()
              metrics.append(m)
              return loss
            } catch {
              objectiveError = error
              return Variable(Tensor(shape: [], repeating: .nan))
            }
          }
        })
      return (report, Trainer<Int>.mean(metrics), tokens)
    } catch TrainingError.nonFinite(_, let loss, let norm) {
      if let objectiveError { throw objectiveError }
      throw TrainerError.nonFinite(
        step: step + 1, loss: loss, gradientNorm: norm, lastCheckpoint: nil)
    }
  }

  struct LossUnit {
    var tokens: Int
    var loss: () throws -> (Variable, [String: Float])
  }

  /// The micro-batches of this step's loss.
  func lossUnits(_ batch: [ScoredRollout]) throws -> [LossUnit] {
    let size = max(configuration.batchSize, 1)
    func chunks<T>(_ items: [T]) -> [[T]] {
      stride(from: 0, to: items.count, by: size).map {
        Array(items[$0..<min($0 + size, items.count)])
      }
    }
    let policy = self.policy
    let temperature = online.temperature
    switch algorithm {
    case .grpo, .rloo, .reinforcePlusPlus:
      var objective = PolicyGradientObjective()
      objective.epsilonLow = online.epsilon
      objective.epsilonHigh = online.epsilonHigh
      objective.beta = algorithm == .grpo ? online.beta : 0
      objective.importanceSampling = online.importanceSamplingLevel
      objective.aggregation = online.lossType
      objective.maxCompletionLength = online.maxCompletionLength
      let parts = chunks(batch)
      let active = batch.reduce(Float(0)) { $0 + $1.mask.reduce(0, +) }
      let normalizer = active / Float(parts.count)
      return parts.map { part in
        LossUnit(tokens: part.reduce(0) { $0 + $1.sequence.tokens.count }) {
          let (logProbs, _) = PolicyLogProbs.tokens(
            policy, part.map(\.sequence), temperature: temperature)
          let width = logProbs.value.count / part.count
          let (loss, m) = try objective.loss(
            PolicyGradientBatch(
              logProbs: logProbs,
              oldLogProbs: part.allSatisfy { $0.old != nil }
                ? Tensor(
                  shape: [part.count * width], scalars: Self.padded(part.map { $0.old! }, width))
                : nil,
              referenceLogProbs: objective.beta > 0
                ? Tensor(
                  shape: [part.count * width],
                  scalars: Self.padded(part.map { $0.reference ?? [] }, width))
                : nil,
              advantages: part.map(\.advantage),
              mask: Tensor(
                shape: [part.count * width], scalars: Self.padded(part.map(\.mask), width)),
              tokenNormalizer: normalizer))
          var metrics = m
          if part.contains(where: { $0.old == nil }) {
            // On policy the training forward is π_old: its gap to what the sampler reported.
            let values = logProbs.value.scalars
            var (total, count) = (0.0, 0.0)
            for (k, r) in part.enumerated() {
              for (t, w) in r.mask.enumerated() where w != 0 {
                total += Double(abs(values[k * width + t] - r.behaviour[t]))
                count += 1
              }
            }
            if count > 0 { metrics["sampling/logprob_mismatch"] = Float(total / count) }
          }
          return (loss, metrics)
        }
      }
    case .topr:
      var objective = TOPRObjective()
      objective.baseline = online.toprBaseline
      return chunks(batch).map { part in
        LossUnit(tokens: part.reduce(0) { $0 + $1.sequence.tokens.count }) {
          let (logProbs, _) = PolicyLogProbs.tokens(
            policy, part.map(\.sequence), temperature: temperature)
          let width = logProbs.value.count / part.count
          return try objective.loss(
            logProbs: logProbs,
            behaviourLogProbs: Tensor(
              shape: [part.count * width],
              scalars: Self.padded(part.map { $0.old ?? $0.behaviour }, width)),
            rewards: part.map { Float($0.reward ?? 0) },
            mask: Tensor(shape: [part.count * width], scalars: Self.padded(part.map(\.mask), width))
          )
        }
      }
    case .raft:
      let selected = raftSelection(batch)
      let objective = SFTObjective()
      return chunks(selected).map { part in
        LossUnit(tokens: part.reduce(0) { $0 + $1.sequence.tokens.count }) {
          let (logProbs, mask) = PolicyLogProbs.tokens(policy, part.map(\.sequence))
          return (
            try objective.loss(tokenLogProbs: logProbs, mask: mask),
            ["raft/selected": Float(selected.count)]
          )
        }
      }
    case .onlineDPO:
      var objective = DPOObjective()
      objective.beta = online.beta > 0 ? online.beta : 0.1
      objective.lossTypes = [online.onlineDPOLoss]
      let pairs = dpoPairs(batch)
      return chunks(pairs).map { part in
        LossUnit(
          tokens: part.reduce(0) { $0 + $1.0.sequence.tokens.count + $1.1.sequence.tokens.count }
        ) {
          let n = part.count
          let sums = PolicyLogProbs.sums(policy, part.map(\.0.sequence) + part.map(\.1.sequence))
          let (loss, m) = try objective.loss(
            PreferenceLogProbs(
              chosen: slice(sums, alongAxis: 0, 0..<n),
              rejected: slice(sums, alongAxis: 0, n..<(2 * n)),
              referenceChosen: Tensor(
                shape: [n], scalars: part.map { Self.sum($0.0.reference, $0.0.mask) }),
              referenceRejected: Tensor(
                shape: [n], scalars: part.map { Self.sum($0.1.reference, $0.1.mask) }),
              chosenTokens: part.map(\.0.sequence.trainedTokens),
              rejectedTokens: part.map(\.1.sequence.trainedTokens)))
          var metrics = Dictionary(uniqueKeysWithValues: m.named)
          metrics["online_dpo/pairs"] = Float(pairs.count)
          return (loss, metrics)
        }
      }
    }
  }

  /// RAFT's training set: per group, the completions with the highest rewards (top-k or a
  /// top fraction, above ``OnlineConfiguration/raftMinReward`` when set); ties by order.
  func raftSelection(_ batch: [ScoredRollout]) -> [ScoredRollout] {
    let groups = Dictionary(grouping: batch.indices, by: { batch[$0].group })
    var out: [ScoredRollout] = []
    for key in groups.keys.sorted() {
      let members = groups[key]!.filter { batch[$0].reward != nil && !batch[$0].masked }
      let ranked = members.sorted {
        batch[$0].reward! > batch[$1].reward! || (batch[$0].reward! == batch[$1].reward! && $0 < $1)
      }
      let k =
        online.raftTopFraction.map { max(1, Int((Double(members.count) * $0).rounded(.down))) }
        ?? online.raftTopK
      for i in ranked.prefix(k) where online.raftMinReward.map({ batch[i].reward! > $0 }) ?? true {
        out.append(batch[i])
      }
    }
    return out
  }

  /// Online DPO's pairs: per group, the highest-reward completion against the lowest, when
  /// their rewards differ.
  func dpoPairs(_ batch: [ScoredRollout]) -> [(ScoredRollout, ScoredRollout)] {
    let groups = Dictionary(grouping: batch.indices, by: { batch[$0].group })
    var out: [(ScoredRollout, ScoredRollout)] = []
    for key in groups.keys.sorted() {
      let members = groups[key]!.filter { batch[$0].reward != nil && !batch[$0].masked }
      guard
        let best = members.max(by: {
          batch[$0].reward! < batch[$1].reward!
            || (batch[$0].reward! == batch[$1].reward! && $0 > $1)
        }),
        let worst = members.min(by: {
          batch[$0].reward! < batch[$1].reward!
            || (batch[$0].reward! == batch[$1].reward! && $0 < $1)
        }),
        batch[best].reward! > batch[worst].reward!
      else { continue }
      out.append((batch[best], batch[worst]))
    }
    return out
  }

  static func padded(_ rows: [[Float]], _ width: Int) -> [Float] {
    rows.flatMap { $0 + [Float](repeating: 0, count: width - $0.count) }
  }

  static func sum(_ values: [Float]?, _ mask: [Float]) -> Float {
    guard let values else { return 0 }
    return zip(values, mask).reduce(0) { $0 + $1.0 * $1.1 }
  }

  static func mean(_ values: [Double]) -> Double {
    values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count)
  }

  /// Pearson correlation of reward function `k` with the sum of the others, over the
  /// completions where all are present; nil when either side is constant.
  static func agreement(_ rows: [[Double?]], function k: Int) -> Double? {
    var xs: [Double] = []
    var ys: [Double] = []
    for row in rows {
      guard row.allSatisfy({ $0 != nil }) else { continue }
      xs.append(row[k]!)
      ys.append(row.indices.filter { $0 != k }.reduce(0) { $0 + row[$1]! })
    }
    guard xs.count > 1 else { return nil }
    let (mx, my) = (mean(xs), mean(ys))
    var (sxy, sxx, syy) = (0.0, 0.0, 0.0)
    for (x, y) in zip(xs, ys) {
      sxy += (x - mx) * (y - my)
      sxx += (x - mx) * (x - mx)
      syy += (y - my) * (y - my)
    }
    guard sxx > 0, syy > 0 else { return nil }
    return sxy / (sxx * syy).squareRoot()
  }

  /// Mean |log q − logπ_old| over trained tokens, where the old log-probs were computed.
  static func logProbMismatch(_ batch: [ScoredRollout]) -> Double? {
    var (total, count) = (0.0, 0.0)
    for r in batch {
      guard let old = r.old else { return nil }
      for (t, m) in r.mask.enumerated() where m != 0 {
        total += Double(abs(old[t] - r.behaviour[t]))
        count += 1
      }
    }
    return count > 0 ? total / count : nil
  }

  // MARK: - Evaluation and logs

  /// Greedy completions of the held-out prompts from the policy as it is now, scored by the
  /// evaluation reward: `eval_greedy_accuracy` (its mean) and `eval_completion_length`.
  func evaluate(step: Int) async throws -> [String: Float] {
    guard let evaluationReward else { return [:] }
    var rollouts: [Rollout] = []
    try sampler.generator.generate(
      prompts: evaluation.map(\.tokens), parameters: .greedy(maxTokens: online.maxCompletionLength),
      rowsPerBatch: online.generationBatchSize
    ) { first, outputs in
      for (k, g) in outputs.enumerated() {
        rollouts.append(Rollout(prompt: first + k, generation: g))
      }
    }
    let scores = try await evaluationReward.score(
      RolloutBatch(prompts: evaluation, rollouts: rollouts, groupSize: 1))
    let present = scores.compactMap { $0 }
    let folder = directory.appendingPathComponent("eval")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    try JSONLWriter.write(
      zip(evaluation, zip(rollouts, scores)).map { prompt, pair in
        [
          "prompt": .string(prompt.text), "completion": .string(pair.0.text),
          "reward": pair.1.map(JSONValue.number) ?? .null,
        ]
      }, to: folder.appendingPathComponent(String(format: "step-%06d.jsonl", step)))
    let accuracy = present.isEmpty ? 0 : present.reduce(0, +) / Double(present.count)
    progress(String(format: "held-out %@ at step %d: %.3f", evaluationReward.name, step, accuracy))
    return [
      "eval_greedy_accuracy": Float(accuracy),
      "eval_completion_length": Float(Self.mean(rollouts.map { Double($0.tokens.count) })),
    ]
  }

  /// Every completion of round `round` with its rewards: `rollouts/round-N.jsonl`.
  func writeRollouts(round: Int, _ rollouts: [Rollout], rewards: [[Double?]], names: [String])
    throws
  {
    let folder = directory.appendingPathComponent("rollouts")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let url = folder.appendingPathComponent(String(format: "round-%06d.jsonl", round))
    try JSONLWriter.write(
      zip(rollouts, rewards).map { r, row in
        var object: [String: JSONValue] = [
          "group": .number(Double(r.prompt)), "completion": .string(r.text),
          "tokens": .number(Double(r.tokens.count)), "truncated": .bool(r.truncated),
        ]
        var scores: [String: JSONValue] = [:]
        for (k, name) in names.enumerated() where k < row.count {
          scores[name] = row[k].map(JSONValue.number) ?? .null
        }
        object["rewards"] = .object(scores)
        return object
      }, to: url)
  }
}
