import WhetNN
import WhetTensor

/// One KTO example: a completion with its label, the mismatched sequence for the KL estimate,
/// and both reference log-probs, computed once.
public struct KTOExample: Sendable, Equatable, Codable {
  public var sequence: TokenizedSequence
  /// This example's prompt followed by another example's completion.
  public var mismatched: TokenizedSequence
  public var desirable: Bool
  public var reference: Float
  public var referenceMismatched: Float
}

extension OfflineRun {
  /// KTO (``KTOObjective``) on `prompt`/`completion`/`label` rows, or preference rows unpaired.
  ///
  /// The KL estimate pairs each example's prompt with the previous example's completion (in
  /// file order, the first with the last), TRL's rotation by one; its policy log-probs are
  /// computed in each step without gradient, its reference log-probs once, with the others.
  public func kto(
    _ objective: KTOObjective, train: Rows, evaluation: Rows? = nil, resume: Bool = false
  ) throws -> TrainingSummary {
    let trainExamples = try ktoExamples(train)
    let evalExamples = try evaluation.map(ktoExamples) ?? []
    let decoder = model.decoder
    return try run(trainExamples, evalExamples, resume: resume) { batch in
      let n = batch.count
      let logProbs = PolicyLogProbs.sums(decoder, batch.map(\.sequence))
      let mismatched = PolicyLogProbs.sums(decoder, batch.map(\.mismatched)).value
      let (loss, metrics) = try objective.loss(
        KTOObjective.Batch(
          logProbs: logProbs,
          referenceLogProbs: Tensor(shape: [n], scalars: batch.map(\.reference)),
          labels: batch.map(\.desirable), mismatchedLogProbs: mismatched,
          referenceMismatchedLogProbs: Tensor(
            shape: [n], scalars: batch.map(\.referenceMismatched))))
      let tokens = batch.reduce(0) { $0 + $1.sequence.tokens.count + $1.mismatched.tokens.count }
      return MicroBatchResult(loss: loss, metrics: metrics, tokens: tokens)
    }
  }

  /// Every row's labelled examples with their mismatched sequences and reference log-probs.
  func ktoExamples(_ rows: Rows) throws -> [KTOExample] {
    let b = builder
    var parts: [(prompt: [Int], completion: [Int], desirable: Bool, line: Int)] = []
    let labelled = try examples(rows) { entry in
      (entry.line, try b.unpaired(entry.row, file: rows.file, line: entry.line))
    }
    for (line, list) in labelled {
      for e in list { parts.append((e.prompt, e.completion, e.desirable, line)) }
    }
    guard parts.count > 1 || parts.isEmpty else {
      throw ExampleError(
        file: rows.file, line: parts[0].line,
        reason: "KTO's KL estimate needs at least two examples")
    }
    var sequences: [TokenizedSequence] = []
    for (i, part) in parts.enumerated() {
      let other = parts[(i + parts.count - 1) % parts.count].completion
      sequences.append(
        try b.sequence(
          prompt: part.prompt, completion: part.completion, file: rows.file, line: part.line))
      sequences.append(
        try b.sequence(prompt: part.prompt, completion: other, file: rows.file, line: part.line))
    }
    let references = try referenceSums(sequences)
    return parts.indices.map { i in
      KTOExample(
        sequence: sequences[2 * i], mismatched: sequences[2 * i + 1], desirable: parts[i].desirable,
        reference: references[2 * i], referenceMismatched: references[2 * i + 1])
    }
  }
}

extension KTOExample: TrainingExample {
  public var tokenCount: Int { sequence.tokens.count + mismatched.tokens.count }
}
