import ArgumentParser
import Foundation
import WhetData
import WhetEval
import WhetLM
import WhetNN
import WhetRewards
import WhetStudies

/// `whet demo`, the main job: Weaver-style best-of-N on a held-out arithmetic suite, then
/// weak supervision from a separate training suite turned into a better model (``WeakSupervisionStudy``).
///
/// The model answers every question greedily and N times by sampling; answer-blind weak
/// verifiers score each sample; the Weaver pipeline combines them without labels; and every
/// way of choosing one answer is checked against the hidden ground truth. The local judge's
/// robustness to "master key" replies is probed too. Writes JSONL and an HTML report.
struct Demo: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract:
      "Best-of-N with weak verifiers and the Weaver label model on a held-out arithmetic suite, then DPO on weak supervision from a training suite (arms: Weaver, majority vote, oracle, random, RAFT); writes an HTML report."
  )

  @Option(help: "A .gguf file or a Hugging Face model directory (default: the default model).")
  var model: String?
  @Option(help: "Questions in the held-out arithmetic suite.") var questions = 48
  @Option(help: "Difficulty level of the questions (1–4 steps; 0 cycles through all levels).")
  var difficulty = 1
  @Option(help: "Samples per question (N).") var samples = 8
  @Option(help: "New tokens per answer at most.") var maxTokens = 128
  @Option(help: "Sampling temperature.") var temperature: Float = 0.7
  @Option(help: "Seed of the task suite (held out: no other command defaults to it).")
  var taskSeed: UInt64 = 2026
  @Option(help: "Seed of the sampler.") var seed: UInt64 = 1
  @OptionGroup var weaver: WeaverOptions
  @Option(help: "Questions paired with each master key in the judge robustness probe.")
  var probeQuestions = 24
  @Option(help: "Directory for the report and its data.") var output = "demo-output"
  @Flag(
    inversion: .prefixedNo,
    help: "Also train on weak supervision from a separate training suite and measure each arm.")
  var train = true
  @Option(help: "Questions in the training suite (disjoint from the held-out one).")
  var trainQuestions = 48
  @Option(help: "Seed of the training suite.") var trainSeed: UInt64 = 31
  @Option(help: "Samples per training question.") var trainSamples = 4
  @Option(help: "DPO learning rate (LoRA; chosen on the development suite, seed 12).")
  var trainLearningRate: Float = 1e-4
  @Option(help: "Comma-separated arms: weaver, majority, oracle, random, raft.")
  var arms = "weaver,majority,oracle,random,raft"
  @Flag(
    inversion: .prefixedNo,
    help: "Distil Weaver's P(correct) into one scorer and compare it with the full pipeline.")
  var distil = true
  @Option(
    help: "Steps of each short online GRPO run (math, weaver and majority rewards); 0 skips them.")
  var onlineSteps = 6

  func validate() throws {
    guard questions > 0, samples > 1, maxTokens > 0, probeQuestions >= 0 else {
      throw ValidationError(
        "--questions and --max-tokens must be positive, --samples at least 2, --probe-questions ≥ 0"
      )
    }
  }

  func run() async throws {
    let started = Date()
    var timings: [(String, Double)] = []
    func timed<T>(_ phase: String, _ body: () async throws -> T) async rethrows -> T {
      let t0 = Date()
      let value = try await body()
      timings.append((phase, Date().timeIntervalSince(t0)))
      return value
    }
    let outputURL = URL(fileURLWithPath: output)
    try FileManager.default.createDirectory(at: outputURL, withIntermediateDirectories: true)
    let lm = try LanguageModel.load(model ?? LanguageModel.defaultPath)
    let pipeline = try weaver.pipeline()

    // 1. The held-out suite; its answers are kept aside for scoring the choices.
    let tasks = TaskSuite.arithmetic.generate(
      n: questions, seed: taskSeed, difficulty: difficulty > 0 ? difficulty : nil)
    try JSONLWriter.write(
      tasks.map(\.jsonObject), to: outputURL.appendingPathComponent("tasks.jsonl"))
    let truth = MathVerifier()
    func isCorrect(_ task: TaskRow, _ completion: String) -> Bool {
      truth.verify(task.scoringItem(completion: completion)).value == 1
    }
    log(
      "Held-out suite: \(questions) arithmetic questions (seed \(taskSeed), level \(difficulty > 0 ? String(difficulty) : "1–4")), \(samples) samples each, model \(URL(fileURLWithPath: lm.path).lastPathComponent)"
    )

    // 2. Greedy answers, then N samples per question, scored by the answer-blind verifiers.
    let prompts = try tasks.map { try lm.encode($0.prompt, chat: true) }
    let greedy = try await timed("greedy decoding") {
      try ScoredCandidates.generate(
        lm.generator(), prompts, .greedy(maxTokens: maxTokens), label: "greedy", progress: progress)
    }
    endProgress()
    let sampling = SamplingParameters(temperature: temperature, maxTokens: maxTokens, seed: seed)
    let judge = CorrectnessJudge(
      name: "self-judge", backend: LocalJudgeBackend(model: lm),
      prompt: try JudgePrompt.bundled("correctness_yes_no"))
    let (scored, sampleTimings) = try await ScoredCandidates.sample(
      tasks, samples: samples, with: lm, sampling: sampling, judge: judge, progress: progress)
    endProgress()
    timings += sampleTimings
    let correct = scored.correct
    let completions = scored.completions
    let groups = scored.groups
    let answers = scored.answers
    let matrix = scored.matrix

    // 3. The candidates with every score, saved before anything can fail.
    var rows = scored.rows()
    let candidatesURL = outputURL.appendingPathComponent("candidates.jsonl")
    try JSONLWriter.write(rows, to: candidatesURL)

    // 4. Every selection method against the hidden truth.
    let study: SelectionStudy
    do {
      study = try SelectionStudy(
        correct: correct, groups: groups, scores: matrix, answers: answers,
        greedyCorrect: tasks.indices.map { isCorrect(tasks[$0], greedy[$0].text) },
        pipeline: pipeline)
    } catch {
      throw ValidationError(
        "\(error)\nThe scored candidates are in \(candidatesURL.path); try other settings with `whet select --data \(candidatesURL.path)` (see `whet select --help`)."
      )
    }
    for i in rows.indices { rows[i]["p_correct"] = .number(study.weaver.scores[i]) }
    try JSONLWriter.write(rows, to: candidatesURL)

    // 5. Master keys against the same judge, and against the model alone (no content check).
    let probePrompts = tasks.prefix(probeQuestions).map(\.prompt)
    let probe = try await timed("master-key probe") {
      try await MasterKeyProbe().run(judge: judge, prompts: probePrompts)
    }
    var modelOnly = judge
    modelOnly.checksContent = false
    let probeWithoutCheck = try await timed("master-key probe, model alone") {
      try await MasterKeyProbe().run(judge: modelOnly, prompts: probePrompts)
    }
    let flagged = completions.indices.filter { ContentCheck.isContentless(completions[$0]) }

    // 6. Weak supervision → training → held-out accuracy, per arm.
    var training: WeakSupervisionStudy.Outcome? = nil
    if train {
      var settings = WeakSupervisionStudy.Settings()
      settings.trainQuestions = trainQuestions
      settings.trainSeed = trainSeed
      settings.samples = trainSamples
      settings.difficulty = difficulty > 0 ? difficulty : nil
      settings.sampling = SamplingParameters(
        temperature: temperature, maxTokens: maxTokens, seed: seed &+ 1)
      settings.learningRate = trainLearningRate
      settings.arms = arms.split(separator: ",").map(String.init)
      settings.distil = distil
      let trainingStudy = WeakSupervisionStudy(
        settings: settings, directory: outputURL.appendingPathComponent("training"),
        progress: progress)
      let outcome = try await trainingStudy.run(
        lm, heldOut: tasks, baseGreedy: greedy.map(\.text), judge: judge, pipeline: pipeline,
        heldOutCandidates: scored, heldOutWeaver: study.weaver)
      endProgress()
      timings += outcome.timings
      training = outcome
    }

    // 7. Online RL: short GRPO runs with the math reward and the label-free weaver and majority.
    var online: [OnlineRLStudy.Arm] = []
    if onlineSteps > 0 {
      var settings = OnlineRLStudy.Settings()
      settings.steps = onlineSteps
      settings.trainQuestions = trainQuestions
      settings.trainSeed = trainSeed
      settings.difficulty = difficulty > 0 ? difficulty : nil
      settings.maxCompletionLength = min(maxTokens, 64)
      let onlineStudy = OnlineRLStudy(
        settings: settings, directory: outputURL.appendingPathComponent("online"),
        progress: progress)
      online = try await timed("online RL (GRPO, math, weaver and majority)") {
        try await onlineStudy.run(lm, heldOut: tasks, pipeline: pipeline)
      }
      endProgress()
    }

    // 8. The report.
    let total = Date().timeIntervalSince(started)
    let report = DemoReport(
      model: lm.path, questions: questions, samples: samples, sampling: sampling,
      taskSeed: taskSeed, difficulty: difficulty, weaverSettings: weaver.summary, study: study,
      probe: probe, probeWithoutCheck: probeWithoutCheck,
      contentCheckRejected: (flagged.count, flagged.filter { correct[$0] }.count),
      timings: timings, totalSeconds: total,
      tasks: tasks, greedy: greedy.map(\.text), candidates: rows, training: training,
      online: online)
    let reportURL = outputURL.appendingPathComponent("report.html")
    try AtomicFile.write(Data(report.html().utf8), to: reportURL)
    try AtomicFile.write(
      try JSONSerialization.data(
        withJSONObject: report.summary(), options: [.sortedKeys, .prettyPrinted]),
      to: outputURL.appendingPathComponent("summary.json"))
    print(report.text())
    print("Report: \(reportURL.path)  (data: tasks.jsonl, candidates.jsonl, summary.json)")
  }
}
