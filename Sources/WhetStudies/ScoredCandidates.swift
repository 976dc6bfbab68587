import Foundation
import WhetData
import WhetEval
import WhetLM
import WhetRewards

/// N sampled answers per question, scored by the answer-blind weak verifiers: the model judging
/// itself (P(yes) to "is the proposed answer correct?"), its self-certainty and mean token
/// log-prob while sampling, agreement with the other samples' answers, and whether the reply
/// states a final number plainly. The ground truth is checked separately (`correct`) and is
/// never shown to a verifier. What `whet demo` scores on the held-out suite and the training
/// study scores on its training suite.
public struct ScoredCandidates {
  public var tasks: [TaskRow]
  public var samples: Int
  public var outputs: [Generation]
  /// The question of each candidate.
  public var taskOf: [Int]
  public var groups: QueryGroups
  /// Whether each candidate is right, by the math verifier against the hidden answer.
  public var correct: [Bool]
  /// The final-answer key of each candidate (for majority vote).
  public var answers: [String?]
  public var matrix: ScoreMatrix

  public var completions: [String] { outputs.map(\.text) }

  /// Samples `samples` answers per task and scores them with `judge` and the other sources.
  public static func sample(
    _ tasks: [TaskRow], samples: Int, with lm: LanguageModel, sampling: SamplingParameters,
    judge: CorrectnessJudge, progress: @escaping (String) -> Void
  ) async throws -> (candidates: ScoredCandidates, timings: [(String, Double)]) {
    var timings: [(String, Double)] = []
    let prompts = try tasks.map { try lm.encode($0.prompt, chat: true) }
    let repeated = prompts.flatMap { [[Int]](repeating: $0, count: samples) }
    let t0 = Date()
    let outputs = try generate(
      lm.generator(), repeated, sampling, label: "samples", progress: progress)
    timings.append(("sampling", Date().timeIntervalSince(t0)))
    let taskOf = (0..<outputs.count).map { $0 / samples }
    let completions = outputs.map(\.text)
    let truth = MathVerifier()
    let correct = outputs.indices.map {
      truth.verify(tasks[taskOf[$0]].scoringItem(completion: completions[$0])).value == 1
    }
    // The items carry no `answer` column.
    let blind = outputs.indices.map {
      ScoringItem(prompt: tasks[taskOf[$0]].prompt, completion: completions[$0])
    }
    try LabelFreeCheck.check([judge, AnswerFormatVerifier()], method: "weaver")
    let t1 = Date()
    let judged = try await score(judge, blind, label: judge.name, progress: progress)
    timings.append((judge.name, Date().timeIntervalSince(t1)))
    let groups = QueryGroups(queryOfItem: taskOf)
    let answers = completions.map(FinalAnswer.key(of:))
    let columns: [(String, [Double?])] = [
      (judge.name, judged),
      ("self-certainty", outputs.map(\.meanSelfCertainty)),
      ("mean-logprob", outputs.map(\.meanLogProb)),
      (AnswerAgreement.name, try AnswerAgreement.scores(answers: answers, groups: groups)),
      ("format:final-answer", completions.map { AnswerFormatVerifier.grade($0) }),
    ]
    let matrix = ScoreMatrix(
      sources: columns.map(\.0), values: outputs.indices.map { i in columns.map { $0.1[i] } })
    return (
      ScoredCandidates(
        tasks: tasks, samples: samples, outputs: outputs, taskOf: taskOf, groups: groups,
        correct: correct, answers: answers, matrix: matrix), timings
    )
  }

  /// One JSONL row per candidate: the task's columns, `query`, `candidate`, `completion`,
  /// `finish_reason`, every score, `correct`, and `p_correct` when given.
  public func rows(pCorrect: [Double]? = nil) -> [[String: JSONValue]] {
    outputs.indices.map { i in
      var row = tasks[taskOf[i]].jsonObject
      row["query"] = .number(Double(taskOf[i]))
      row["candidate"] = .number(Double(i % samples))
      row["completion"] = .string(outputs[i].text)
      row["finish_reason"] = .string(outputs[i].finishReason.rawValue)
      var scores: [String: JSONValue] = [:]
      for (s, name) in matrix.sources.enumerated() {
        scores[name] = matrix.values[i][s].map(JSONValue.number) ?? .null
      }
      row["scores"] = .object(scores)
      row["correct"] = .bool(correct[i])
      if let pCorrect { row["p_correct"] = .number(pCorrect[i]) }
      return row
    }
  }

  /// Generates in batches of at most 32 rows, reporting progress.
  public static func generate(
    _ generator: Generator, _ prompts: [[Int]], _ parameters: SamplingParameters, label: String,
    progress: (String) -> Void
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
    return out
  }

  /// Scores with `source` in chunks of 64 items (the local judge sorts each chunk by length to
  /// limit padding), reporting progress.
  public static func score(
    _ source: any RewardSource, _ items: [ScoringItem], label: String,
    progress: (String) -> Void
  ) async throws -> [Double?] {
    var out: [Double?] = []
    let start = Date()
    for lo in stride(from: 0, to: items.count, by: 64) {
      out += try await source.score(Array(items[lo..<min(items.count, lo + 64)])).map(\.value)
      progress(
        String(
          format: "%@: %d/%d (%.1f items/s)", label, out.count, items.count,
          Double(out.count) / max(Date().timeIntervalSince(start), 1e-9)))
    }
    return out
  }
}
