import Foundation
import WhetData
import WhetLM
import WhetNN
import WhetRewards
import WhetTensor

extension OnlineTrainer {
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
    var allPrompts: [OnlinePrompt] = []  // the prompt of each of `all`
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
      allPrompts += rollouts.map { batchPrompts[$0.prompt] }
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
    try writeRollouts(
      round: round, all, prompts: allPrompts, rewards: allRewards, names: names)
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
}
