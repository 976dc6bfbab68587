import ArgumentParser
import Foundation
import WhetData
import WhetEval
import WhetLM
import WhetNN
import WhetRewards

/// `whet demo`, the main job: Weaver-style best-of-N on a held-out arithmetic suite.
///
/// The model answers every question greedily and N times by sampling; answer-blind weak
/// verifiers score each sample; the Weaver pipeline combines them without labels; and every
/// way of choosing one answer is checked against the hidden ground truth. The local judge's
/// robustness to "master key" replies is probed too. Writes JSONL and an HTML report.
struct Demo: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract:
      "Best-of-N with weak verifiers and the Weaver label model on a held-out arithmetic suite; writes an HTML report."
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

    // 2. Greedy answers, then N samples per question.
    let prompts = try tasks.map { try lm.encode($0.prompt, chat: true) }
    let generator = lm.generator()
    let greedy = try await timed("greedy decoding") {
      try generate(generator, prompts, .greedy(maxTokens: maxTokens), label: "greedy")
    }
    let sampling = SamplingParameters(temperature: temperature, maxTokens: maxTokens, seed: seed)
    let repeated = prompts.flatMap { [[Int]](repeating: $0, count: samples) }
    let outputs = try await timed("sampling") {
      try generate(generator, repeated, sampling, label: "samples")
    }
    let taskOf = (0..<outputs.count).map { $0 / samples }
    let completions = outputs.map(\.text)
    let groups = QueryGroups(queryOfItem: taskOf)
    let correct = outputs.indices.map { isCorrect(tasks[taskOf[$0]], completions[$0]) }

    // 3. Answer-blind verifiers. The items carry no `answer` column.
    let blind = outputs.indices.map {
      ScoringItem(prompt: tasks[taskOf[$0]].prompt, completion: completions[$0])
    }
    let judge = CorrectnessJudge(
      name: "self-judge", backend: LocalJudgeBackend(model: lm),
      prompt: try JudgePrompt.bundled("correctness_yes_no"))
    try LabelFreeCheck.check([judge, AnswerFormatVerifier()], method: "weaver")
    let judged = try await timed("self-judge") {
      try await scoreInBatches(judge, blind, label: "self-judge")
    }
    let answers = completions.map(FinalAnswer.key(of:))
    let columns: [(String, [Double?])] = [
      ("self-judge", judged),
      ("self-certainty", outputs.map { mean($0.selfCertainty) }),
      ("mean-logprob", outputs.map { mean($0.logProbs) }),
      (AnswerAgreement.name, try AnswerAgreement.scores(answers: answers, groups: groups)),
      ("format:final-answer", completions.map { AnswerFormatVerifier.grade($0) }),
    ]
    let matrix = ScoreMatrix(
      sources: columns.map(\.0),
      values: outputs.indices.map { i in columns.map { $0.1[i] } })

    // 4. The candidates with every score, saved before anything can fail.
    var rows: [[String: JSONValue]] = outputs.indices.map { i in
      var row = tasks[taskOf[i]].jsonObject
      row["query"] = .number(Double(taskOf[i]))
      row["candidate"] = .number(Double(i % samples))
      row["completion"] = .string(completions[i])
      row["finish_reason"] = .string(outputs[i].finishReason.rawValue)
      row["scores"] = .object(
        Dictionary(
          uniqueKeysWithValues: columns.map { ($0.0, $0.1[i].map(JSONValue.number) ?? .null) }))
      row["correct"] = .bool(correct[i])
      return row
    }
    let candidatesURL = outputURL.appendingPathComponent("candidates.jsonl")
    try JSONLWriter.write(rows, to: candidatesURL)

    // 5. Every selection method against the hidden truth.
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

    // 6. Master keys against the same judge, and against the model alone (no content check).
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

    // 7. The report.
    let total = Date().timeIntervalSince(started)
    let report = DemoReport(
      model: lm.path, questions: questions, samples: samples, sampling: sampling,
      taskSeed: taskSeed, difficulty: difficulty, weaverSettings: weaver.summary, study: study,
      probe: probe, probeWithoutCheck: probeWithoutCheck,
      contentCheckRejected: (flagged.count, flagged.filter { correct[$0] }.count),
      timings: timings, totalSeconds: total,
      tasks: tasks, greedy: greedy.map(\.text), candidates: rows)
    let reportURL = outputURL.appendingPathComponent("report.html")
    try AtomicFile.write(Data(report.html().utf8), to: reportURL)
    try AtomicFile.write(
      try JSONSerialization.data(
        withJSONObject: report.summary(), options: [.sortedKeys, .prettyPrinted]),
      to: outputURL.appendingPathComponent("summary.json"))
    print(report.text())
    print("Report: \(reportURL.path)  (data: tasks.jsonl, candidates.jsonl, summary.json)")
  }

  /// Generates in batches of at most 32 rows, reporting progress.
  func generate(
    _ generator: Generator, _ prompts: [[Int]], _ parameters: SamplingParameters, label: String
  ) throws -> [Generation] {
    var out: [Generation] = []
    let start = Date()
    try generator.generate(prompts: prompts, parameters: parameters, rowsPerBatch: 32) {
      _, outputs in
      out += outputs
      let tokens = out.reduce(0) { $0 + $1.tokens.count }
      progress(
        String(
          format: "%@: %d/%d (%.0f tokens/s)", label, out.count, prompts.count,
          Double(tokens) / max(Date().timeIntervalSince(start), 1e-9)))
    }
    endProgress()
    return out
  }

  /// Scores with `source` in chunks of 64 items (the local judge sorts each chunk by length to limit padding), reporting progress.
  func scoreInBatches(_ source: any RewardSource, _ items: [ScoringItem], label: String)
    async throws -> [Double?]
  {
    var out: [Double?] = []
    let start = Date()
    for lo in stride(from: 0, to: items.count, by: 64) {
      out += try await source.score(Array(items[lo..<min(items.count, lo + 64)])).map(\.value)
      progress(
        String(
          format: "%@: %d/%d (%.1f items/s)", label, out.count, items.count,
          Double(out.count) / max(Date().timeIntervalSince(start), 1e-9)))
    }
    endProgress()
    return out
  }
}

/// The mean of `values`, or `nil` when empty.
func mean(_ values: [Float]) -> Double? {
  values.isEmpty ? nil : values.reduce(0.0) { $0 + Double($1) } / Double(values.count)
}
