import Foundation
import WhetData
import WhetEval
import WhetLM
import WhetNN
import WhetRewards
import WhetTrain

/// Weak supervision → training → a better model: answers sampled on a **training** suite
/// (disjoint from the held-out one), scored by the answer-blind verifiers, combined without
/// labels by Weaver, turned into preference pairs, and trained on with DPO (LoRA); then
/// held-out greedy accuracy, before and after, for every arm:
///
/// - `weaver`: pairs by Weaver's P(correct), best against worst per question (label-free);
/// - `majority`: pairs by agreement with the other samples' answers (majority-vote
///   pseudo-labels, label-free);
/// - `oracle`: pairs by the ground truth (the upper bound; the only arm that sees answers);
/// - `random`: pairs in a seeded random order (the control);
/// - `raft`: SFT on each question's highest-P(correct) answer (RAFT, Dong et al. 2023, arXiv
///   2304.06767), label-free.
public struct WeakSupervisionStudy {
  public struct Settings: Sendable {
    public var trainQuestions = 48
    public var trainSeed: UInt64 = 12
    public var samples = 4
    public var difficulty: Int? = 1
    public var sampling = SamplingParameters(temperature: 0.7, maxTokens: 128, seed: 3)
    public var learningRate: Float = 1e-4
    public var beta: Float = 0.1
    public var epochs = 1
    public var batchSize = 4
    public var lora = LoRAConfiguration(
      rank: 16, alpha: 32, dropout: 0.05,
      targets: ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])
    public var arms = ["weaver", "majority", "oracle", "random", "raft"]
    /// Also distil Weaver: a scorer (LoRA + scalar head) trained by cross-entropy on the
    /// training candidates' P(correct), then used alone for best-of-N on the held-out ones.
    public var distil = true
    public init() {}
  }

  /// One arm's outcome.
  public struct Arm: Sendable {
    public var name: String
    /// Preference pairs (or SFT rows for RAFT) it trained on.
    public var examples: Int
    /// Pairs whose chosen answer is right and rejected wrong, and the other way round.
    public var rightWay: Int
    public var wrongWay: Int
    public var heldOutCorrect: Int
    public var heldOutTotal: Int
    public var trainSeconds: Double
    public var heldOutAccuracy: Double { Double(heldOutCorrect) / Double(max(heldOutTotal, 1)) }
  }

  /// Weaver distilled into one scorer, against the full pipeline, on the held-out candidates.
  public struct Distillation: Sendable {
    public var trainRows: Int
    /// Best-of-N accuracy on the held-out questions choosing by the scorer alone.
    public var scorerAccuracy: Double
    /// The same choosing by the full Weaver pipeline (five verifiers and the label model).
    public var weaverAccuracy: Double
    /// Pair accuracy of the scorer and of Weaver's P(correct) on (right, wrong) candidates.
    public var scorerPairAccuracy: Double?
    public var weaverPairAccuracy: Double?
    public var seconds: Double
  }

  public struct Outcome: Sendable {
    public var baseCorrect: Int
    public var heldOutTotal: Int
    public var trainCandidates: Int
    public var trainCorrectShare: Double
    public var arms: [Arm]
    public var distillation: Distillation? = nil
    public var timings: [(String, Double)]
  }

  /// Every arm this study runs.
  public static let armNames = ["weaver", "majority", "oracle", "random", "raft"]

  public var settings: Settings
  public var directory: URL
  public var progress: (String) -> Void

  public init(settings: Settings, directory: URL, progress: @escaping (String) -> Void) {
    self.settings = settings
    self.directory = directory
    self.progress = progress
  }

  /// Runs every arm. `heldOut` is the suite the base model's greedy answers `baseGreedy` were
  /// taken on; `judge` scores the training samples.
  public func run(
    _ lm: LanguageModel, heldOut: [TaskRow], baseGreedy: [String], judge: CorrectnessJudge,
    pipeline: WeaverPipeline, heldOutCandidates: ScoredCandidates? = nil,
    heldOutWeaver: WeaverPipeline.Result? = nil
  ) async throws -> Outcome {
    if let unknown = settings.arms.first(where: { !Self.armNames.contains($0) }) {
      throw WeakSupervisionError.unknownArm(unknown)
    }
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let trainTasks = TaskSuite.arithmetic.generate(
      n: settings.trainQuestions, seed: settings.trainSeed, difficulty: settings.difficulty)
    let heldOutTexts = Set(heldOut.map(\.prompt))
    let overlap = trainTasks.filter { heldOutTexts.contains($0.prompt) }.count
    guard overlap == 0 else {
      throw WeakSupervisionError.overlap(
        "\(overlap) training questions are also held out; choose another training seed")
    }
    let (candidates, firstTimings) = try await ScoredCandidates.sample(
      trainTasks, samples: settings.samples, with: lm, sampling: settings.sampling, judge: judge,
      progress: progress)
    var timings = firstTimings.map { ("training suite: \($0.0)", $0.1) }
    let weaver = try pipeline.run(candidates.matrix, groups: candidates.groups)
    let rows = candidates.rows(pCorrect: weaver.scores)
    let candidatesURL = directory.appendingPathComponent("train-candidates.jsonl")
    try JSONLWriter.write(rows, to: candidatesURL)

    let truth = MathVerifier()
    func heldOutCorrect(_ texts: [String]) -> Int {
      zip(heldOut, texts).filter {
        truth.verify($0.0.scoringItem(completion: $0.1)).value == 1
      }.count
    }
    func writeHeldOut(_ texts: [String], to armDirectory: URL) throws {
      try JSONLWriter.write(
        zip(heldOut, texts).map { task, text in
          var row = task.jsonObject
          row["completion"] = .string(text)
          return row
        }, to: armDirectory.appendingPathComponent("held-out.jsonl"))
    }
    let heldOutPrompts = try heldOut.map { try lm.encode($0.prompt, chat: true) }
    var arms: [Arm] = []
    for name in settings.arms {
      let armDirectory = directory.appendingPathComponent(name)
      let started = Date()
      var run = OfflineRun(model: lm, directory: armDirectory)
      run.lora = settings.lora
      run.progress = { self.progress("\(name): \($0)") }
      run.configuration.learningRate = settings.learningRate
      run.configuration.batchSize = settings.batchSize
      run.configuration.epochs = settings.epochs
      run.configuration.seed = settings.sampling.seed
      let examples: Int
      var rightWay = 0
      var wrongWay = 0
      if name == "raft" {
        let sft = Self.raftRows(rows)
        examples = sft.count
        try FileManager.default.createDirectory(at: armDirectory, withIntermediateDirectories: true)
        try JSONLWriter.write(sft, to: armDirectory.appendingPathComponent("data.jsonl"))
        _ = try run.sft(train: try Self.rows(sft, file: "\(name)/data.jsonl"))
      } else {
        let ranking: PairBuilder.Ranking
        switch name {
        case "weaver": ranking = .column("p_correct")
        case "majority": ranking = .source(AnswerAgreement.name)
        case "oracle": ranking = .column("correct")
        case "random": ranking = .random(seed: settings.trainSeed)
        default: throw WeakSupervisionError.unknownArm(name)
        }
        let pairs = try PairBuilder(ranking: ranking).pairs(rows, file: candidatesURL.path).pairs
        examples = pairs.count
        for pair in pairs {
          let chosen = Self.completion(pair["chosen"]), rejected = Self.completion(pair["rejected"])
          let right = rows.first {
            $0["query"] == pair["query"] && $0["completion"] == .string(chosen)
          }?["correct"]
          let wrong = rows.first {
            $0["query"] == pair["query"] && $0["completion"] == .string(rejected)
          }?["correct"]
          if right == .bool(true) && wrong == .bool(false) { rightWay += 1 }
          if right == .bool(false) && wrong == .bool(true) { wrongWay += 1 }
        }
        try FileManager.default.createDirectory(at: armDirectory, withIntermediateDirectories: true)
        try JSONLWriter.write(pairs, to: armDirectory.appendingPathComponent("pairs.jsonl"))
        guard !pairs.isEmpty else {
          // Nothing to train on: the arm is the base model.
          try writeHeldOut(baseGreedy, to: armDirectory)
          arms.append(
            Arm(
              name: name, examples: 0, rightWay: 0, wrongWay: 0,
              heldOutCorrect: heldOutCorrect(baseGreedy), heldOutTotal: heldOut.count,
              trainSeconds: 0))
          continue
        }
        var objective = DPOObjective()
        objective.beta = settings.beta
        _ = try run.dpo(objective, train: try Self.rows(pairs, file: "\(name)/pairs.jsonl"))
      }
      let trainSeconds = Date().timeIntervalSince(started)
      // Held-out greedy answers with the trained adapters on, then back to the base model.
      let greedy = try ScoredCandidates.generate(
        lm.generator(), heldOutPrompts, .greedy(maxTokens: settings.sampling.maxTokens),
        label: "\(name): held-out", progress: progress)
      lm.decoder.removeLoRA()
      try writeHeldOut(greedy.map(\.text), to: armDirectory)
      arms.append(
        Arm(
          name: name, examples: examples, rightWay: rightWay, wrongWay: wrongWay,
          heldOutCorrect: heldOutCorrect(greedy.map(\.text)), heldOutTotal: heldOut.count,
          trainSeconds: trainSeconds))
      timings.append(("train + held-out: \(name)", Date().timeIntervalSince(started)))
    }
    var distillation: Distillation? = nil
    if settings.distil, let heldOutCandidates, let heldOutWeaver {
      let started = Date()
      distillation = try await distil(
        lm, trainRows: rows, heldOut: heldOutCandidates, weaver: heldOutWeaver)
      distillation?.seconds = Date().timeIntervalSince(started)
      timings.append(("distil Weaver into one scorer", Date().timeIntervalSince(started)))
    }
    return Outcome(
      baseCorrect: heldOutCorrect(baseGreedy), heldOutTotal: heldOut.count,
      trainCandidates: rows.count,
      trainCorrectShare: Double(candidates.correct.filter { $0 }.count)
        / Double(max(candidates.correct.count, 1)), arms: arms, distillation: distillation,
      timings: timings)
  }

  /// Trains a scorer on the training candidates' P(correct) (conversational rows, so it reads
  /// the candidates as they were sampled), scores the held-out candidates with it, and compares
  /// its best-of-N choice with the full Weaver pipeline's.
  func distil(
    _ lm: LanguageModel, trainRows: [[String: JSONValue]], heldOut: ScoredCandidates,
    weaver: WeaverPipeline.Result
  ) async throws -> Distillation {
    let directory = self.directory.appendingPathComponent("distilled-scorer")
    let data = trainRows.map { row -> [String: JSONValue] in
      [
        "prompt": .array([.object(["role": .string("user"), "content": row["prompt"] ?? .null])]),
        "completion": .array([
          .object(["role": .string("assistant"), "content": row["completion"] ?? .null])
        ]),
        "p_correct": row["p_correct"] ?? .null,
      ]
    }
    var run = OfflineRun(model: lm, directory: directory)
    run.lora = settings.lora
    run.progress = { self.progress("distil: \($0)") }
    run.configuration.learningRate = settings.learningRate
    run.configuration.batchSize = 8
    run.configuration.epochs = settings.epochs
    run.configuration.seed = settings.sampling.seed
    _ = try run.pointwiseScorer(
      PointwiseScoreObjective(.crossEntropy), train: try Self.rows(data, file: "distil.jsonl"),
      scoreColumn: "p_correct")
    let head = try ScalarHead(
      contentsOf: directory.appendingPathComponent(OfflineRun.headFile),
      hiddenSize: lm.decoder.config.hiddenSize)
    let source = RewardModelSource(model: lm, head: head, chat: true, name: "distilled")
    let items = heldOut.outputs.indices.map {
      ScoringItem(
        prompt: heldOut.tasks[heldOut.taskOf[$0]].prompt, completion: heldOut.outputs[$0].text)
    }
    let scores = try await ScoredCandidates.score(
      source, items, label: "distilled scorer", progress: progress)
    lm.decoder.removeLoRA()
    let picks = try CandidateSelection.bestOfN(scores: scores, groups: heldOut.groups)
    let pairs = CandidatePairs(correct: heldOut.correct, groups: heldOut.groups)
    return Distillation(
      trainRows: data.count,
      scorerAccuracy: try CandidateSelection.accuracy(selected: picks, correct: heldOut.correct),
      weaverAccuracy: try CandidateSelection.accuracy(
        selected: weaver.selected, correct: heldOut.correct),
      scorerPairAccuracy: (try? pairs.pairAccuracy(scores)) ?? nil,
      weaverPairAccuracy: (try? pairs.pairAccuracy(weaver.scores.map { Optional($0) })) ?? nil,
      seconds: 0)
  }

  /// RAFT's data: each question's highest-P(correct) answer as a conversational SFT row.
  static func raftRows(_ rows: [[String: JSONValue]]) -> [[String: JSONValue]] {
    var best: [String: [String: JSONValue]] = [:]
    var order: [String] = []
    for row in rows {
      let key = row["query"]?.jsonText() ?? ""
      let p = row["p_correct"]?.numberValue ?? 0
      if let current = best[key] {
        if p > current["p_correct"]?.numberValue ?? 0 { best[key] = row }
      } else {
        best[key] = row
        order.append(key)
      }
    }
    return order.compactMap { best[$0] }.map { row in
      func message(_ role: String, _ text: JSONValue?) -> JSONValue {
        .array([.object(["role": .string(role), "content": text ?? .string("")])])
      }
      return [
        "prompt": message("user", row["prompt"]),
        "completion": message("assistant", row["completion"]),
        "query": row["query"] ?? .null,
      ]
    }
  }

  static func completion(_ value: JSONValue?) -> String {
    value?.arrayValue?.first?.objectValue?["content"]?.stringValue ?? value?.stringValue ?? ""
  }

  /// JSON objects as training rows.
  static func rows(_ objects: [[String: JSONValue]], file: String) throws -> OfflineRun.Rows {
    OfflineRun.Rows(
      file: file,
      rows: try objects.enumerated().map { i, object in
        (i + 1, try DatasetRow(object: object, file: file, line: i + 1))
      })
  }
}

public enum WeakSupervisionError: Error, CustomStringConvertible {
  case overlap(String)
  case unknownArm(String)

  public var description: String {
    switch self {
    case .overlap(let reason): return reason
    case .unknownArm(let name):
      return "unknown arm '\(name)' (arms: weaver, majority, oracle, random, raft)"
    }
  }
}
