import Foundation
import WhetNN
import WhetTensor

/// A scored sequence for the reward head: a preference pair (with an optional margin) or one
/// completion with its target score.
struct HeadExample {
  var sequences: [TokenizedSequence]
  /// The pair's `margin` column, or the completion's target.
  var value: Float?
}

extension OfflineRun {
  /// The head's file in a run directory, what `whet score --source rm:DIR` reads.
  public static let headFile = "score.safetensors"

  /// A Bradley–Terry reward model (``RewardModelObjective``) on preference rows: a scalar
  /// head on the last token's hidden state, trained with the backbone (LoRA or full). The
  /// `margin` column, if `marginColumn` names one, is subtracted inside the sigmoid. The head
  /// is written to `OUT/score.safetensors`.
  public func rewardModel(
    _ objective: RewardModelObjective, train: Rows, evaluation: Rows? = nil,
    marginColumn: String? = nil, resume: Bool = false
  ) throws -> TrainingSummary {
    let b = builder
    func examples(_ rows: Rows) throws -> [HeadExample] {
      try self.examples(rows) { entry in
        let pair = try b.preference(entry.row, file: rows.file, line: entry.line)
        let margin = try marginColumn.map {
          try ExampleBuilder.number(entry.row, column: $0, file: rows.file, line: entry.line)
        }
        return HeadExample(sequences: [pair.chosen, pair.rejected], value: margin)
      }
    }
    return try trainHead(try examples(train), try evaluation.map(examples) ?? [], resume: resume) {
      batch, scores in
      let p = batch.count
      let margins =
        marginColumn == nil
        ? nil : Tensor(shape: [p], scalars: batch.map { $0.value ?? 0 })
      let (loss, metrics) = objective.loss(
        chosen: slice(scores, alongAxis: 0, 0..<p),
        rejected: slice(scores, alongAxis: 0, p..<(2 * p)), margins: margins)
      return (loss, metrics)
    }
  }

  /// A pointwise scorer (``PointwiseScoreObjective``) on `prompt`/`completion` rows with a
  /// numeric `scoreColumn` (a dotted path such as `scores.weaver` works), or
  /// `prompt`/`completion`/`label` rows with `scoreColumn` `label`. Same head, same file.
  public func pointwiseScorer(
    _ objective: PointwiseScoreObjective, train: Rows, evaluation: Rows? = nil,
    scoreColumn: String, resume: Bool = false
  ) throws -> TrainingSummary {
    let b = builder
    func examples(_ rows: Rows) throws -> [HeadExample] {
      try self.examples(rows) { entry in
        let fail = { (reason: String) in
          ExampleError(file: rows.file, line: entry.line, reason: reason)
        }
        let sequence: TokenizedSequence
        switch entry.row.content {
        case .promptCompletion(let prompt, let completion),
          .unpairedPreference(let prompt, let completion, _):
          let (p, c) = try b.split(prompt: prompt, completion: completion, fail)
          sequence = try b.truncated(prompt: p, completion: c, fail)
        default:
          throw fail("a scorer needs `prompt`/`completion` rows, not \(entry.row.format)")
        }
        let target = try ExampleBuilder.number(
          entry.row, column: scoreColumn, file: rows.file, line: entry.line)
        return HeadExample(sequences: [sequence], value: target)
      }
    }
    return try trainHead(try examples(train), try evaluation.map(examples) ?? [], resume: resume) {
      batch, scores in
      try objective.loss(
        scores: scores, targets: Tensor(shape: [batch.count], scalars: batch.map { $0.value ?? 0 }))
    }
  }

  /// The shared loop for a head: a fresh head (seeded), every example's sequences scored in
  /// one forward (all first sequences, then all second ones), the head saved at the end.
  func trainHead(
    _ train: [HeadExample], _ evaluation: [HeadExample], resume: Bool,
    loss: @escaping ([HeadExample], Variable) throws -> (loss: Variable, metrics: [String: Float])
  ) throws -> TrainingSummary {
    let decoder = model.decoder
    var rng = SeededGenerator(seed: configuration.seed &+ 29)
    let head = ScalarHead(hiddenSize: decoder.config.hiddenSize, rng: &rng)
    let summary = try run(train, evaluation, resume: resume, extra: head.namedParameters) { batch in
      let width = batch.first?.sequences.count ?? 0
      let sequences = (0..<width).flatMap { k in batch.map { $0.sequences[k] } }
      let (tokens, _, length) = PolicyLogProbs.padded(sequences)
      let hidden = decoder.hiddenStates(tokens: tokens, batch: sequences.count)
      let scores = head(hidden, width: length, positions: sequences.map { $0.tokens.count - 1 })
      let (value, metrics) = try loss(batch, scores)
      return MicroBatchResult(
        loss: value, metrics: metrics, tokens: sequences.reduce(0) { $0 + $1.tokens.count })
    }
    try head.save(to: directory.appendingPathComponent(Self.headFile))
    return summary
  }
}

extension HeadExample: TrainingExample {
  var tokenCount: Int { sequences.reduce(0) { $0 + $1.tokens.count } }
}
