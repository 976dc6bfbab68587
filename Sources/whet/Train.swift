import ArgumentParser
import Foundation
import WhetData
import WhetEval
import WhetLM
import WhetNN
import WhetTrain

/// `whet train sft|rm|dpo|kto|cpo|orpo`: flags to an ``OfflineRun``.
struct Train: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract:
      "Train a model: offline (SFT, a reward model or scorer, DPO, KTO, CPO/SimPO, ORPO) or online RL (GRPO, RLOO, REINFORCE++, TOPR, RAFT, online DPO); LoRA or full.",
    subcommands: [
      SFT.self, RM.self, DPO.self, KTO.self, CPO.self, ORPO.self, GRPO.self, RLOO.self,
      ReinforcePP.self, TOPR.self, RAFT.self, OnlineDPO.self,
    ])

  /// Flags every offline trainer shares (transformers' TrainingArguments names).
  struct Common: ParsableArguments {
    @Option(help: "A .gguf file or a Hugging Face model directory (default: the default model).")
    var model: String?
    @Option(help: "Training rows (JSONL, TRL field names).") var data: String
    @Option(help: "Held-out rows evaluated every --eval-steps and at the end.") var evalData:
      String?
    @Option(help: "The run directory (metrics.jsonl, checkpoints/).") var out: String
    @Flag(help: "Continue from the newest checkpoint in --out.") var resume = false
    @Option(help: "Seed for data order, adapters and dropout.") var seed: UInt64 = 42
    @Option(help: "Examples per micro-batch.") var batchSize = 4
    @Option(help: "Micro-batches per optimizer step.") var gradientAccumulationSteps = 1
    @Option(help: "Peak learning rate.") var learningRate: Float?
    @Option(help: "constant, linear or cosine.") var lrSchedulerType:
      TrainingConfiguration.ScheduleKind =
        .linear
    @Option(help: "Warm-up steps.") var warmupSteps = 0
    @Option(help: "Warm-up as a fraction of the run (when --warmup-steps is 0).") var warmupRatio:
      Float =
        0
    @Option(help: "AdamW weight decay (not on norms or biases).") var weightDecay: Float = 0
    @Option(help: "Clip the global gradient norm (0 for no clipping).") var maxGradNorm: Float = 1
    @Option(help: "Passes over the data.") var numTrainEpochs = 1
    @Option(help: "Stop after this many optimizer steps.") var maxSteps: Int?
    @Option(help: "Steps between metric lines.") var loggingSteps = 1
    @Option(help: "Steps between checkpoints (default: only at the end).") var saveSteps: Int?
    @Option(help: "Steps between evaluations (default: only at the end).") var evalSteps: Int?
    @Option(help: "Longest prompt + completion, in tokens (the completion's tail is cut).")
    var maxLength = 1024
    @Option(help: "Longest prompt, in tokens (its start is cut).") var maxPromptLength = 512
    @Flag(help: "Batch examples of similar length together (less padding).") var groupByLength =
      false
    @Flag(
      help:
        "bf16 mixed precision: matrix products in bf16 with fp32 accumulation (vdpbf16ps on CPUs with AVX-512 BF16); weights stay fp32."
    )
    var bf16 = false
    @Flag(
      help:
        "Recompute each decoder block's activations in the backward pass instead of keeping them: less memory, one more forward pass per step."
    )
    var gradientCheckpointing = false
    @Flag(help: "Fine-tune every weight instead of LoRA adapters.") var full = false
    @Flag(help: "Leave out and count malformed or unusable rows instead of stopping at the first.")
    var skipBadRows = false
    @Option(help: "LoRA rank.") var loraRank = 16
    @Option(help: "LoRA alpha (the update is scaled by alpha/rank).") var loraAlpha: Float = 32
    @Option(help: "LoRA dropout.") var loraDropout: Float = 0.05
    @Option(help: "Comma-separated projections to adapt (PEFT target_modules).")
    var loraTargets = "q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj"

    func run(defaultLearningRate: Float) throws -> OfflineRun {
      var run = OfflineRun(
        model: try LanguageModel.load(model ?? LanguageModel.defaultPath),
        directory: URL(fileURLWithPath: out))
      var c = TrainingConfiguration()
      c.seed = seed
      c.batchSize = batchSize
      c.gradientAccumulationSteps = gradientAccumulationSteps
      c.learningRate = learningRate ?? defaultLearningRate
      c.learningRateSchedule = lrSchedulerType
      c.warmupSteps = warmupSteps
      c.warmupRatio = warmupRatio
      c.weightDecay = weightDecay
      c.maxGradNorm = maxGradNorm > 0 ? maxGradNorm : nil
      c.epochs = numTrainEpochs
      c.maxSteps = maxSteps
      c.logEvery = loggingSteps
      c.saveEvery = saveSteps
      c.evalEvery = evalSteps
      c.groupByLength = groupByLength
      c.bf16 = bf16
      c.gradientCheckpointing = gradientCheckpointing
      try c.validate()
      run.configuration = c
      run.maxLength = maxLength
      run.maxPromptLength = maxPromptLength
      run.skipBadRows = skipBadRows
      if !full {
        let targets = Set(loraTargets.split(separator: ",").map { String($0) })
        let known = Set([
          "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj",
        ])
        if let unknown = targets.subtracting(known).sorted().first {
          throw ValidationError(
            "unknown LoRA target '\(unknown)' (known: \(known.sorted().joined(separator: ", ")))")
        }
        guard loraRank > 0 else { throw ValidationError("--lora-rank must be positive") }
        run.lora = LoRAConfiguration(
          rank: loraRank, alpha: loraAlpha, dropout: loraDropout, targets: targets)
      }
      return run
    }

    func rows() throws -> (OfflineRun.Rows, OfflineRun.Rows?) {
      (
        try OfflineRun.Rows.load(URL(fileURLWithPath: data), skipBadRows: skipBadRows),
        try evalData.map {
          try OfflineRun.Rows.load(URL(fileURLWithPath: $0), skipBadRows: skipBadRows)
        }
      )
    }
  }

  /// Loads the model and rows, runs `body`, prints the summary and writes the report.
  static func train(
    _ common: Common, defaultLearningRate: Float, _ title: String,
    configure: (inout OfflineRun) -> Void = { _ in },
    _ body: (OfflineRun, OfflineRun.Rows, OfflineRun.Rows?, Bool) throws -> TrainingSummary
  ) throws {
    var run = try common.run(defaultLearningRate: defaultLearningRate)
    configure(&run)
    let (train, evaluation) = try common.rows()
    try report(try body(run, train, evaluation, common.resume), run, title)
  }

  struct SFT: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Supervised fine-tuning on text, messages or prompt/completion rows.")
    @OptionGroup var common: Common
    @Flag(help: "For messages rows, train on the assistant turns only.") var assistantOnlyLoss =
      false
    @Flag(
      help:
        "Pack sequences into rows of --max-length tokens (TRL's wrapped packing: no padding; attention crosses example boundaries)."
    )
    var packing = false

    func run() throws {
      try Train.train(
        common, defaultLearningRate: 2e-4, "SFT",
        configure: {
          $0.assistantOnlyLoss = assistantOnlyLoss
          $0.packing = packing
        }
      ) { try $0.sft(train: $1, evaluation: $2, resume: $3) }
    }
  }

  struct DPO: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract:
        "Direct preference optimisation (every TRL loss_type) on prompt/chosen/rejected rows.")
    @OptionGroup var common: Common
    @Option(help: "β, the temperature of the implicit reward.") var beta: Float = 0.1
    @Option(
      help:
        "Loss types (repeat to combine): \(DPOLossType.allCases.map(\.rawValue).joined(separator: ", "))."
    )
    var lossType: [String] = ["sigmoid"]
    @Option(help: "One weight per --loss-type.") var lossWeights: [Float] = []
    @Option(help: "ε for robust, exo_pair and aot.") var labelSmoothing: Float = 0
    @Option(help: "reverse_kl, forward_kl, js_divergence or alpha_divergence.")
    var fDivergenceType = "reverse_kl"

    func run() throws {
      var objective = DPOObjective()
      objective.beta = beta
      objective.labelSmoothing = labelSmoothing
      objective.lossTypes = try lossType.map { name in
        guard let type = DPOLossType(rawValue: name) else {
          throw ValidationError("unknown --loss-type '\(name)'")
        }
        return type
      }
      objective.lossWeights = lossWeights.isEmpty ? nil : lossWeights
      guard let divergence = FDivergence(rawValue: fDivergenceType) else {
        throw ValidationError("unknown --f-divergence-type '\(fDivergenceType)'")
      }
      objective.divergence = divergence
      try objective.validate()
      try Train.train(
        common, defaultLearningRate: 5e-5, "DPO (\(lossType.joined(separator: " + ")), β \(beta))"
      ) { try $0.dpo(objective, train: $1, evaluation: $2, resume: $3) }
    }
  }

  struct CPO: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract:
        "Reference-free preference optimisation: CPO (sigmoid, hinge, ipo) or SimPO (--loss-type simpo --cpo-alpha 0)."
    )
    @OptionGroup var common: Common
    @Option(help: "β.") var beta: Float = 0.1
    @Option(help: "sigmoid, hinge, ipo or simpo.") var lossType = "sigmoid"
    @Option(help: "γ, SimPO's target margin.") var simpoGamma: Float = 0.5
    @Option(help: "Weight of the NLL on the chosen completions (0 for pure SimPO).")
    var cpoAlpha: Float = 1
    @Option(help: "ε for the sigmoid and simpo losses.") var labelSmoothing: Float = 0

    func run() throws {
      var objective = CPOObjective()
      guard let type = CPOObjective.LossType(rawValue: lossType) else {
        throw ValidationError("unknown --loss-type '\(lossType)'")
      }
      objective.lossType = type
      objective.beta = beta
      objective.simpoGamma = simpoGamma
      objective.cpoAlpha = cpoAlpha
      objective.labelSmoothing = labelSmoothing
      try Train.train(common, defaultLearningRate: 5e-5, "CPO (\(lossType)), β \(beta)") {
        try $0.cpo(objective, train: $1, evaluation: $2, resume: $3)
      }
    }
  }

  struct RM: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract:
        "A reward model (Bradley–Terry on prompt/chosen/rejected rows) or, with --score-column, a pointwise scorer; the head goes to OUT/score.safetensors (whet score --source rm:OUT)."
    )
    @OptionGroup var common: Common
    @Option(help: "A column subtracted from the reward difference (TRL's margin).")
    var marginColumn: String?
    @Option(help: "Weight of the reward-centring term (Eisenstein et al. 2023).")
    var centerRewardsCoefficient: Float?
    @Option(
      help:
        "Train a pointwise scorer on this numeric column of prompt/completion rows instead (e.g. scores.weaver, or label)."
    )
    var scoreColumn: String?
    @Option(help: "The pointwise loss: cross_entropy (targets in [0, 1]) or regression.")
    var pointwiseLoss: PointwiseScoreObjective.Loss = .crossEntropy

    func run() throws {
      if let scoreColumn {
        guard marginColumn == nil, centerRewardsCoefficient == nil else {
          throw ValidationError(
            "--margin-column and --center-rewards-coefficient are for pairs, not --score-column")
        }
        try Train.train(common, defaultLearningRate: 1e-4, "pointwise scorer on \(scoreColumn)") {
          try $0.pointwiseScorer(
            PointwiseScoreObjective(pointwiseLoss), train: $1, evaluation: $2,
            scoreColumn: scoreColumn, resume: $3)
        }
      } else {
        var objective = RewardModelObjective()
        objective.centerRewardsCoefficient = centerRewardsCoefficient
        try Train.train(common, defaultLearningRate: 1e-4, "reward model") {
          try $0.rewardModel(
            objective, train: $1, evaluation: $2, marginColumn: marginColumn, resume: $3)
        }
      }
    }
  }

  struct KTO: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract:
        "Kahneman–Tversky optimisation on prompt/completion/label rows (or preference rows, unpaired)."
    )
    @OptionGroup var common: Common
    @Option(help: "β.") var beta: Float = 0.1
    @Option(help: "kto or apo_zero_unpaired.") var lossType: KTOObjective.LossType = .kto
    @Option(help: "Weight of the desirable examples' loss.") var desirableWeight: Float = 1
    @Option(help: "Weight of the undesirable examples' loss.") var undesirableWeight: Float = 1

    func run() throws {
      var objective = KTOObjective()
      objective.beta = beta
      objective.lossType = lossType
      objective.desirableWeight = desirableWeight
      objective.undesirableWeight = undesirableWeight
      try Train.train(common, defaultLearningRate: 5e-5, "KTO (\(lossType.rawValue)), β \(beta)") {
        try $0.kto(objective, train: $1, evaluation: $2, resume: $3)
      }
    }
  }

  struct ORPO: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract:
        "Odds-ratio preference optimisation (reference-free) on prompt/chosen/rejected rows."
    )
    @OptionGroup var common: Common
    @Option(help: "λ, the weight of the odds-ratio term.") var beta: Float = 0.1

    func run() throws {
      var objective = ORPOObjective()
      objective.beta = beta
      try Train.train(common, defaultLearningRate: 8e-6, "ORPO, λ \(beta)") {
        try $0.orpo(objective, train: $1, evaluation: $2, resume: $3)
      }
    }
  }

  /// Prints the summary and writes `OUT/report.html`.
  static func report(_ summary: TrainingSummary, _ run: OfflineRun, _ objective: String) throws {
    var line = "Trained \(summary.steps) steps"
    if let loss = summary.finalLoss { line += String(format: ", final loss %.4f", loss) }
    for (name, value) in summary.evaluation.sorted(by: { $0.key < $1.key }) {
      line += String(format: ", %@ %.4f", name, value)
    }
    let peak = PeakMemory.residentBytes.map { String(format: "%.2f GB", Double($0) / 1e9) }
    print(
      line + (summary.checkpoint.map { ". Checkpoint: \($0)" } ?? ".")
        + (peak.map { " Peak resident memory \($0)." } ?? ""))
    var settings: [(String, String)] = [("model", run.model.path)]
    if let peak { settings.append(("peak resident memory", peak)) }
    if let data = try? JSONEncoder().encode(run.configuration),
      let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
    {
      settings += object.sorted { $0.key < $1.key }.map { ($0.key, "\($0.value)") }
    }
    settings.append(
      (
        "adapters",
        run.lora.map {
          "LoRA rank \($0.rank), alpha \($0.alpha), dropout \($0.dropout), \($0.targets.sorted().joined(separator: ", "))"
        } ?? "none (full fine-tuning)"
      ))
    try TrainingReport.write(
      directory: run.directory, title: "whet train: \(objective) on \(run.model.path)",
      settings: settings)
  }
}

extension TrainingConfiguration.ScheduleKind: ExpressibleByArgument {}
extension KTOObjective.LossType: ExpressibleByArgument {}
extension PointwiseScoreObjective.Loss: ExpressibleByArgument {}
