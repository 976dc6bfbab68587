import ArgumentParser
import Foundation
import WhetEval
import WhetLM
import WhetRewards
import WhetTrain

/// The flags of the online trainers (TRL's `GRPOConfig` names), on top of ``Train/Common``.
struct OnlineOptions: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "A reward function (repeatable): any `whet score --source` name (math, format:final-answer, code, judge:local:yes, rm:DIR, …), majority (TTRL vote within the group) or weaver (label-free: the label model over the --weaver-source verifiers).",
      valueName: "name"))
  var reward: [String] = []
  @Option(help: "Comma-separated weights, one per --reward.") var rewardWeights: String?
  @Option(
    help:
      "Scores the greedy held-out completions (eval_greedy_accuracy); default: math when the rows have an answer column, else the first --reward."
  )
  var evalReward: String?
  @Option(help: "G, completions per prompt.") var numGenerations = 8
  @Option(help: "Prompts per optimizer step.") var promptsPerStep = 8
  @Option(help: "New tokens per completion at most.") var maxCompletionLength = 256
  @Option(help: "Sampling temperature (the policy's logits are divided by it too).")
  var temperature: Float = 1
  @Option var topP: Float = 1
  @Option var topK = 0
  @Option var minP: Float = 0
  @Option var repetitionPenalty: Float = 1
  @Option(
    help:
      "β: KL weight (GRPO: k3 in the loss; RLOO, REINFORCE++: in the reward); online DPO's temperature."
  )
  var beta: Float?
  @Option(help: "ε_low of the clipped ratio.") var epsilon: Float = 0.2
  @Option(help: "ε_high (clip-higher; default ε).") var epsilonHigh: Float?
  @Option(help: "grpo, bnpo, dr_grpo or dapo.") var lossType: PolicyLossAggregation?
  @Option(help: "token, sequence (GSPO) or sequence_total (RLOO's).")
  var importanceSamplingLevel: ImportanceSampling?
  @Option(help: "group, batch or none (Dr. GRPO).") var scaleRewards: RewardScaling = .group
  @Option(help: "μ, optimizer steps per batch of rollouts.") var numIterations = 1
  @Option(help: "sum_then_normalize or normalize_then_sum.")
  var multiObjectiveAggregation: RewardAggregation = .sumThenNormalize
  @Flag(help: "Completions cut by the length limit train on nothing.")
  var maskTruncatedCompletions = false
  @Option(help: "DAPO soft overlong punishment over the last N tokens before the limit.")
  var overlongBufferLength: Int?
  @Flag(help: "DAPO dynamic sampling: drop groups whose rewards are all equal, sample more.")
  var dynamicSampling = false
  @Option(help: "Sampling rounds per step at most with --dynamic-sampling.") var maxSamplingRounds =
    3
  @Option(help: "PSR/NSR: weight of positive-advantage samples.") var positiveWeight: Float = 1
  @Option(help: "PSR/NSR: weight of negative-advantage samples.") var negativeWeight: Float = 1
  @Option(help: "TOPR: R = r − baseline.") var toprBaseline: Float = 0
  @Option(help: "TOPR: earlier rounds of rollouts replayed.") var toprReplayRounds = 0
  @Option(help: "RAFT: completions kept per prompt.") var raftTopK = 1
  @Option(help: "RAFT: keep this top fraction per prompt instead.") var raftTopFraction: Double?
  @Option(help: "RAFT: keep only completions rewarded above this.") var raftMinReward: Double?
  @Option(help: "Online DPO: sigmoid or ipo.") var onlineDPOLoss = "sigmoid"
  @Option(help: "Rows decoded together while sampling.") var generationBatchSize = 64
  @Flag(inversion: .prefixedNo, help: "Standard-text prompts through the chat template.")
  var chat = true
  @Option(
    help:
      "The weak verifiers of --reward weaver besides self-certainty, mean log-prob and agreement (comma-separated)."
  )
  var weaverSources = "judge:local:yes,format:final-answer"
  @Option(help: "Batches the weaver label model is fitted on (the current one and earlier).")
  var weaverWindow = 1
  @Option(help: "none or log_sigmoid (u = log σ(P − 0.5)).") var weaverTransform = "none"
  @Option(help: "Use this verifier's noise-corrected vote as the reward instead of P(correct).")
  var weaverCorrect: String?
  @OptionGroup var weaver: WeaverOptions
  @Option(help: "Base URL of an OpenAI-compatible endpoint for judge:http rewards.") var judgeURL:
    String?
  @Option(help: "Model name sent to the HTTP judge.") var judgeModel = "default"

  func configuration(_ algorithm: OnlineAlgorithm) throws -> OnlineConfiguration {
    var c = OnlineConfiguration()
    c.numGenerations = numGenerations
    c.promptsPerStep = promptsPerStep
    c.maxCompletionLength = maxCompletionLength
    c.temperature = temperature
    c.topP = topP
    c.topK = topK
    c.minP = minP
    c.repetitionPenalty = repetitionPenalty
    // TRL's RLOO defaults: β 0.05, the ratio on summed log-probs, a mean over sequences.
    c.beta = beta ?? (algorithm == .rloo ? 0.05 : (algorithm == .onlineDPO ? 0.1 : 0))
    c.epsilon = epsilon
    c.epsilonHigh = epsilonHigh
    c.lossType = lossType ?? (algorithm == .rloo ? .grpo : .dapo)
    c.importanceSamplingLevel =
      importanceSamplingLevel ?? (algorithm == .rloo ? .sequenceTotal : .token)
    c.scaleRewards = scaleRewards
    c.numIterations = numIterations
    c.rewardWeights = try rewardWeights.map { text in
      try text.split(separator: ",").map {
        guard let w = Double($0.trimmingCharacters(in: .whitespaces)), w.isFinite else {
          throw ValidationError("--reward-weights must be numbers, got '\($0)'")
        }
        return w
      }
    }
    c.multiObjectiveAggregation = multiObjectiveAggregation
    c.maskTruncatedCompletions = maskTruncatedCompletions
    c.overlongBufferLength = overlongBufferLength
    c.dynamicSampling = dynamicSampling
    c.maxSamplingRounds = maxSamplingRounds
    c.positiveWeight = positiveWeight
    c.negativeWeight = negativeWeight
    c.toprBaseline = toprBaseline
    c.toprReplayRounds = toprReplayRounds
    c.raftTopK = raftTopK
    c.raftTopFraction = raftTopFraction
    c.raftMinReward = raftMinReward
    guard let loss = DPOLossType(rawValue: onlineDPOLoss) else {
      throw ValidationError("--online-dpo-loss must be sigmoid or ipo")
    }
    c.onlineDPOLoss = loss
    c.generationBatchSize = generationBatchSize
    try c.validate()
    return c
  }

  /// The reward functions named by `names`, built on the policy model (a local judge or a model
  /// score reads the policy as it is being trained).
  func rewards(_ names: [String], model: LanguageModel, violationLog: URL? = nil) throws
    -> [any OnlineReward]
  {
    var settings = RewardSourceSettings(model: { model }, baseModelPath: model.path)
    settings.chat = chat
    settings.judgeURL = judgeURL
    settings.judgeModel = judgeModel
    settings.judgeAPIKey = ProcessInfo.processInfo.environment["OPENAI_API_KEY"]
    return try names.map { name -> any OnlineReward in
      switch name {
      case "majority": return MajorityVoteReward()
      case "code":
        // Every sandbox violation is logged: the policy is optimised against this reward.
        let source = try RewardSourceRegistry.make([name], settings: settings)[0]
        guard let verifier = source as? CodeVerifier else { return SourceReward(source) }
        return CodeReward(verifier, log: violationLog)
      case "weaver":
        let sources = try RewardSourceRegistry.make(
          weaverSources.split(separator: ",").map(String.init), settings: settings)
        let reward = try WeaverReward(
          sources: sources, pipeline: try weaver.pipeline(), window: weaverWindow)
        guard let transform = WeaverReward.Transform(rawValue: weaverTransform) else {
          throw ValidationError("--weaver-transform must be none or log_sigmoid")
        }
        reward.transform = transform
        reward.correctedSource = weaverCorrect
        return reward
      default:
        return SourceReward(try RewardSourceRegistry.make([name], settings: settings)[0])
      }
    }
  }
}

extension Train {
  /// Loads the model and prompts, runs `algorithm`, prints the summary and writes the report.
  static func online(_ algorithm: OnlineAlgorithm, _ common: Common, _ options: OnlineOptions)
    async throws
  {
    guard !options.reward.isEmpty else {
      throw ValidationError("name at least one --reward (math, majority, weaver, …)")
    }
    let offline = try common.run(defaultLearningRate: common.full ? 1e-6 : 1e-5)
    var run = OnlineRun(model: offline.model, directory: offline.directory)
    run.configuration = offline.configuration
    run.online = try options.configuration(algorithm)
    run.lora = offline.lora
    run.chat = options.chat
    run.maxLength = common.maxLength
    run.maxPromptLength = common.maxPromptLength
    run.skipBadRows = common.skipBadRows
    let (train, evaluation) = try common.rows()
    try FileManager.default.createDirectory(at: run.directory, withIntermediateDirectories: true)
    let rewards = try options.rewards(
      options.reward, model: run.model,
      violationLog: run.directory.appendingPathComponent("sandbox-violations.jsonl"))
    let hasAnswer = train.rows.first?.row.extras["answer"] != nil
    let evalName = options.evalReward ?? (hasAnswer ? "math" : options.reward[0])
    let evaluationReward = try options.rewards([evalName], model: run.model).first
    let started = Date()
    let summary = try await run.run(
      algorithm, train: train, evaluation: evaluation, rewards: rewards,
      evaluationReward: evaluation == nil ? nil : evaluationReward, resume: common.resume)
    var line =
      "Trained \(summary.steps) steps in \(Trainer<Int>.duration(Date().timeIntervalSince(started)))"
    for (name, value) in summary.evaluation.sorted(by: { $0.key < $1.key }) {
      line += String(format: ", %@ %.4f", name, value)
    }
    print(line + (summary.checkpoint.map { ". Checkpoint: \($0)" } ?? "."))
    var settings: [(String, String)] = [
      ("model", run.model.path), ("rewards", options.reward.joined(separator: ", ")),
      ("evaluation reward", evalName),
    ]
    for (object, prefix) in [
      (try? JSONEncoder().encode(run.configuration), ""),
      (try? JSONEncoder().encode(run.online), ""),
    ] {
      if let data = object,
        let dict = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
      {
        settings += dict.sorted { $0.key < $1.key }.map { (prefix + $0.key, "\($0.value)") }
      }
    }
    if let peak = PeakMemory.residentBytes {
      settings.append(("peak resident memory", String(format: "%.2f GB", Double(peak) / 1e9)))
    }
    try TrainingReport.write(
      directory: run.directory, title: "whet train \(algorithm.rawValue) on \(run.model.path)",
      settings: settings)
  }

  struct GRPO: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "grpo", abstract: "GRPO (and Dr. GRPO, DAPO, GSPO): online RL from rewards.")
    @OptionGroup var common: Common
    @OptionGroup var options: OnlineOptions
    func run() async throws { try await Train.online(.grpo, common, options) }
  }

  struct RLOO: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "rloo", abstract: "RLOO: leave-one-out baselines, KL in the reward.")
    @OptionGroup var common: Common
    @OptionGroup var options: OnlineOptions
    func run() async throws { try await Train.online(.rloo, common, options) }
  }

  struct ReinforcePP: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "reinforce-pp", abstract: "REINFORCE++: batch-normalised advantages.")
    @OptionGroup var common: Common
    @OptionGroup var options: OnlineOptions
    func run() async throws { try await Train.online(.reinforcePlusPlus, common, options) }
  }

  struct TOPR: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "topr", abstract: "TOPR: tapered off-policy REINFORCE, no KL.")
    @OptionGroup var common: Common
    @OptionGroup var options: OnlineOptions
    func run() async throws { try await Train.online(.topr, common, options) }
  }

  struct RAFT: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "raft", abstract: "RAFT: online SFT on each prompt's best completions.")
    @OptionGroup var common: Common
    @OptionGroup var options: OnlineOptions
    func run() async throws { try await Train.online(.raft, common, options) }
  }

  struct OnlineDPO: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "online-dpo", abstract: "Online DPO: best against worst of each group.")
    @OptionGroup var common: Common
    @OptionGroup var options: OnlineOptions
    func run() async throws { try await Train.online(.onlineDPO, common, options) }
  }
}

extension PolicyLossAggregation: ExpressibleByArgument {}
extension ImportanceSampling: ExpressibleByArgument {}
extension RewardScaling: ExpressibleByArgument {}
extension RewardAggregation: ExpressibleByArgument {}
