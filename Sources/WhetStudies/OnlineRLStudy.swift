import Foundation
import WhetData
import WhetEval
import WhetLM
import WhetNN
import WhetRewards
import WhetTrain

/// Online RL from verifiable and from weak rewards, side by side: GRPO (LoRA) on a training
/// suite disjoint from the held-out one, once with the ground-truth `math` reward and once
/// with the label-free `weaver` reward (a label model over the completion's self-certainty,
/// mean log-prob, agreement with the other completions of its prompt and a final-answer
/// format check; no answer seen), each scored by held-out greedy accuracy before and after.
/// What `whet demo` runs as its short online part; the full-length runs are in the README.
public struct OnlineRLStudy {
  public struct Settings: Sendable {
    public var trainQuestions = 48
    public var trainSeed: UInt64 = 31
    public var difficulty: Int? = 1
    public var steps = 6
    public var promptsPerStep = 4
    public var numGenerations = 4
    public var maxCompletionLength = 64
    public var temperature: Float = 0.8
    public var learningRate: Float = 5e-5
    public var seed: UInt64 = 42
    public var rewards = ["math", "weaver", "majority"]
    public init() {}
  }

  /// One run's outcome.
  public struct Arm: Sendable {
    public var reward: String
    public var before: Double
    public var after: Double
    public var seconds: Double
    /// `(step, mean reward)` and `(step, held-out accuracy)`.
    public var rewardCurve: [(Double, Double)]
    public var accuracyCurve: [(Double, Double)]
    public var directory: URL
  }

  public var settings: Settings
  public var directory: URL
  public var progress: (String) -> Void

  public init(settings: Settings, directory: URL, progress: @escaping (String) -> Void) {
    self.settings = settings
    self.directory = directory
    self.progress = progress
  }

  public func run(_ lm: LanguageModel, heldOut: [TaskRow], pipeline: WeaverPipeline) async throws
    -> [Arm]
  {
    let train = TaskSuite.arithmetic.generate(
      n: settings.trainQuestions, seed: settings.trainSeed, difficulty: settings.difficulty)
    let heldOutTexts = Set(heldOut.map(\.prompt))
    guard !train.contains(where: { heldOutTexts.contains($0.prompt) }) else {
      throw WeakSupervisionError.overlap("training and held-out questions overlap")
    }
    func rows(_ tasks: [TaskRow], _ name: String) -> OfflineRun.Rows {
      OfflineRun.Rows(
        file: name,
        rows: tasks.enumerated().map { i, t in
          (
            i + 1,
            DatasetRow(
              content: .prompt(.text(t.prompt)),
              extras: t.jsonObject.filter { $0.key != "prompt" })
          )
        })
    }
    var arms: [Arm] = []
    for name in settings.rewards {
      let reward: any OnlineReward
      switch name {
      case "math": reward = SourceReward(MathVerifier())
      case "majority": reward = MajorityVoteReward()
      case "weaver":
        reward = try WeaverReward(sources: [AnswerFormatVerifier()], pipeline: pipeline)
      default: throw WeakSupervisionError.unknownArm(name)
      }
      let armDirectory = directory.appendingPathComponent(name)
      var run = OnlineRun(model: lm, directory: armDirectory)
      run.lora = LoRAConfiguration(
        rank: 16, alpha: 32, dropout: 0,
        targets: ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])
      run.configuration.maxSteps = settings.steps
      run.configuration.batchSize = 16
      run.configuration.learningRate = settings.learningRate
      run.configuration.learningRateSchedule = .constant
      run.configuration.seed = settings.seed
      run.online.numGenerations = settings.numGenerations
      run.online.promptsPerStep = settings.promptsPerStep
      run.online.maxCompletionLength = settings.maxCompletionLength
      run.online.temperature = settings.temperature
      run.progress = { self.progress("online \(name): \($0)") }
      let started = Date()
      _ = try await run.run(
        .grpo, train: rows(train, "train"), evaluation: rows(heldOut, "held-out"),
        rewards: [reward], evaluationReward: SourceReward(MathVerifier()))
      lm.decoder.removeLoRA()
      let seconds = Date().timeIntervalSince(started)
      try TrainingReport.write(
        directory: armDirectory, title: "whet demo: GRPO with the \(name) reward")
      let lines = try TrainingReport.read(armDirectory.appendingPathComponent("metrics.jsonl"))
      let accuracy = lines.compactMap { l in
        l["eval_greedy_accuracy"].flatMap { a in l["step"].map { ($0, a) } }
      }
      arms.append(
        Arm(
          reward: name, before: accuracy.first?.1 ?? .nan, after: accuracy.last?.1 ?? .nan,
          seconds: seconds,
          rewardCurve: lines.compactMap { l in
            l["reward"].flatMap { r in l["step"].map { ($0, r) } }
          },
          accuracyCurve: accuracy, directory: armDirectory))
    }
    return arms
  }
}
