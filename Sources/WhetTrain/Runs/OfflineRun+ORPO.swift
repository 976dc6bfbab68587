import WhetNN
import WhetTensor

/// A preference pair for ORPO: the chosen sequence with its prompt tokens trained too (ORPO's
/// NLL covers them, as TRL's `ORPOTrainer` does for decoder-only models), and the mask of its
/// completion tokens.
struct ORPOExample {
  var chosen: TokenizedSequence
  var rejected: TokenizedSequence
  /// `chosen` with every token after the first trained.
  var chosenWhole: TokenizedSequence
}

extension OfflineRun {
  /// ORPO (``ORPOObjective``): reference-free, the odds-ratio term plus the NLL.
  public func orpo(
    _ objective: ORPOObjective, train: Rows, evaluation: Rows? = nil, resume: Bool = false
  ) throws -> TrainingSummary {
    func examples(_ rows: Rows) throws -> [ORPOExample] {
      try tokenizedPairs(rows).map { c, r in
        ORPOExample(
          chosen: c, rejected: r,
          chosenWhole: TokenizedSequence(tokens: c.tokens, trained: c.tokens.map { _ in true }))
      }
    }
    let decoder = model.decoder
    return try run(try examples(train), try evaluation.map(examples) ?? [], resume: resume) {
      batch in
      let p = batch.count
      // One forward over the whole chosen rows; completion and prompt sums by mask.
      let (logProbs, _) = PolicyLogProbs.tokens(decoder, batch.map(\.chosenWhole))
      let width = logProbs.value.count / p
      var completionMask = [Float](repeating: 0, count: p * width)
      var promptMask = [Float](repeating: 0, count: p * width)
      for (b, e) in batch.enumerated() {
        for t in 0..<(e.chosen.tokens.count - 1) {
          if e.chosen.targets[t] >= 0 {
            completionMask[b * width + t] = 1
          } else {
            promptMask[b * width + t] = 1
          }
        }
      }
      func sums(_ mask: [Float]) -> Variable {
        sum(
          reshape(logProbs * Variable(Tensor(shape: [p * width], scalars: mask)), [p, width]),
          alongAxis: 1)
      }
      let pairs = PreferenceLogProbs(
        chosen: sums(completionMask), rejected: PolicyLogProbs.sums(decoder, batch.map(\.rejected)),
        referenceChosen: .zeros([p]), referenceRejected: .zeros([p]),
        chosenTokens: batch.map(\.chosen.trainedTokens),
        rejectedTokens: batch.map(\.rejected.trainedTokens))
      let (loss, metrics, logOdds) = try objective.loss(
        pairs, promptLogProbs: sums(promptMask),
        promptTokens: batch.map { $0.chosen.tokens.count - 1 - $0.chosen.trainedTokens })
      var named = Dictionary(uniqueKeysWithValues: metrics.named)
      named["log_odds_ratio"] = logOdds
      let tokens = batch.reduce(0) { $0 + $1.chosen.tokens.count + $1.rejected.tokens.count }
      return MicroBatchResult(loss: loss, metrics: named, tokens: tokens)
    }
  }
}

extension ORPOExample: TrainingExample {
  var tokenCount: Int { chosen.tokens.count + rejected.tokens.count }
}
