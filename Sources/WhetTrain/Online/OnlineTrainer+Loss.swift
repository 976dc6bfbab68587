import Foundation
import WhetData
import WhetLM
import WhetNN
import WhetRewards
import WhetTensor

extension OnlineTrainer {
  /// One optimizer step on `batch`: the algorithm's loss over micro-batches of `batch_size`.
  func optimize(_ batch: [ScoredRollout], learningRate: Float, step: Int) throws -> (
    TrainingStepReport, [String: Float], Int
  ) {
    let units = try lossUnits(batch)
    var metrics: [[String: Float]] = []
    var objectiveError: (any Error)? = nil
    let tokens = units.reduce(0) { $0 + $1.tokens }
    guard !units.isEmpty else {
      // Nothing to learn from this round (RAFT or online DPO found no usable completion).
      return (TrainingStepReport(loss: 0, gradientNorm: 0, learningRate: learningRate), [:], 0)
    }
    do {
      let report = try trainingStep(
        parameters: parameters.map(\.variable), optimizer: optimizer, learningRate: learningRate,
        maxGradientNorm: configuration.maxGradNorm,
        microBatches: units.map { unit in
          {
            do {
              let (loss, m) = try unit.loss()
              metrics.append(m)
              return loss
            } catch {
              objectiveError = error
              return Variable(Tensor(shape: [], repeating: .nan))
            }
          }
        })
      return (report, Trainer<Int>.mean(metrics), tokens)
    } catch TrainingError.nonFinite(_, let loss, let norm) {
      if let objectiveError { throw objectiveError }
      throw TrainerError.nonFinite(
        step: step + 1, loss: loss, gradientNorm: norm, lastCheckpoint: nil)
    }
  }

  struct LossUnit {
    var tokens: Int
    var loss: () throws -> (Variable, [String: Float])
  }

  /// The micro-batches of this step's loss.
  func lossUnits(_ batch: [ScoredRollout]) throws -> [LossUnit] {
    let size = max(configuration.batchSize, 1)
    func chunks<T>(_ items: [T]) -> [[T]] {
      stride(from: 0, to: items.count, by: size).map {
        Array(items[$0..<min($0 + size, items.count)])
      }
    }
    let policy = self.policy
    let temperature = online.temperature
    switch algorithm {
    case .grpo, .rloo, .reinforcePlusPlus:
      var objective = PolicyGradientObjective()
      objective.epsilonLow = online.epsilon
      objective.epsilonHigh = online.epsilonHigh
      objective.beta = algorithm == .grpo ? online.beta : 0
      objective.importanceSampling = online.importanceSamplingLevel
      objective.aggregation = online.lossType
      objective.maxCompletionLength = online.maxCompletionLength
      let parts = chunks(batch)
      let active = batch.reduce(Float(0)) { $0 + $1.mask.reduce(0, +) }
      let normalizer = active / Float(parts.count)
      return parts.map { part in
        LossUnit(tokens: part.reduce(0) { $0 + $1.sequence.tokens.count }) {
          let (logProbs, _) = PolicyLogProbs.tokens(
            policy, part.map(\.sequence), temperature: temperature)
          let width = logProbs.value.count / part.count
          let (loss, m) = try objective.loss(
            PolicyGradientBatch(
              logProbs: logProbs,
              oldLogProbs: part.allSatisfy { $0.old != nil }
                ? Tensor(
                  shape: [part.count * width], scalars: Self.padded(part.map { $0.old! }, width))
                : nil,
              referenceLogProbs: objective.beta > 0
                ? Tensor(
                  shape: [part.count * width],
                  scalars: Self.padded(part.map { $0.reference ?? [] }, width))
                : nil,
              advantages: part.map(\.advantage),
              mask: Tensor(
                shape: [part.count * width], scalars: Self.padded(part.map(\.mask), width)),
              tokenNormalizer: normalizer))
          var metrics = m
          if part.contains(where: { $0.old == nil }),
            let mismatch = Self.logProbMismatch(
              part, training: logProbs.value.scalars, width: width)
          {
            // On policy the training forward is π_old: its gap to what the sampler reported.
            metrics["sampling/logprob_mismatch"] = Float(mismatch)
          }
          return (loss, metrics)
        }
      }
    case .topr:
      var objective = TOPRObjective()
      objective.baseline = online.toprBaseline
      return chunks(batch).map { part in
        LossUnit(tokens: part.reduce(0) { $0 + $1.sequence.tokens.count }) {
          let (logProbs, _) = PolicyLogProbs.tokens(
            policy, part.map(\.sequence), temperature: temperature)
          let width = logProbs.value.count / part.count
          return try objective.loss(
            logProbs: logProbs,
            behaviourLogProbs: Tensor(
              shape: [part.count * width],
              scalars: Self.padded(part.map { $0.old ?? $0.behaviour }, width)),
            rewards: part.map { Float($0.reward ?? 0) },
            mask: Tensor(shape: [part.count * width], scalars: Self.padded(part.map(\.mask), width))
          )
        }
      }
    case .raft:
      let selected = raftSelection(batch)
      let objective = SFTObjective()
      return chunks(selected).map { part in
        LossUnit(tokens: part.reduce(0) { $0 + $1.sequence.tokens.count }) {
          let (logProbs, mask) = PolicyLogProbs.tokens(policy, part.map(\.sequence))
          return (
            try objective.loss(tokenLogProbs: logProbs, mask: mask),
            ["raft/selected": Float(selected.count)]
          )
        }
      }
    case .onlineDPO:
      var objective = DPOObjective()
      objective.beta = online.beta > 0 ? online.beta : 0.1
      objective.lossTypes = [online.onlineDPOLoss]
      let pairs = dpoPairs(batch)
      return chunks(pairs).map { part in
        LossUnit(
          tokens: part.reduce(0) { $0 + $1.0.sequence.tokens.count + $1.1.sequence.tokens.count }
        ) {
          let n = part.count
          let sums = PolicyLogProbs.sums(policy, part.map(\.0.sequence) + part.map(\.1.sequence))
          let (loss, m) = try objective.loss(
            PreferenceLogProbs(
              chosen: slice(sums, alongAxis: 0, 0..<n),
              rejected: slice(sums, alongAxis: 0, n..<(2 * n)),
              referenceChosen: Tensor(
                shape: [n], scalars: part.map { Self.sum($0.0.reference, $0.0.mask) }),
              referenceRejected: Tensor(
                shape: [n], scalars: part.map { Self.sum($0.1.reference, $0.1.mask) }),
              chosenTokens: part.map(\.0.sequence.trainedTokens),
              rejectedTokens: part.map(\.1.sequence.trainedTokens)))
          var metrics = Dictionary(uniqueKeysWithValues: m.named)
          metrics["online_dpo/pairs"] = Float(pairs.count)
          return (loss, metrics)
        }
      }
    }
  }

  /// RAFT's training set: per group, the completions with the highest rewards (top-k or a
  /// top fraction, above ``OnlineConfiguration/raftMinReward`` when set); ties by order.
  func raftSelection(_ batch: [ScoredRollout]) -> [ScoredRollout] {
    let groups = Dictionary(grouping: batch.indices, by: { batch[$0].group })
    var out: [ScoredRollout] = []
    for key in groups.keys.sorted() {
      let members = groups[key]!.filter { batch[$0].reward != nil && !batch[$0].masked }
      let ranked = members.sorted {
        batch[$0].reward! > batch[$1].reward! || (batch[$0].reward! == batch[$1].reward! && $0 < $1)
      }
      let k =
        online.raftTopFraction.map { max(1, Int((Double(members.count) * $0).rounded(.down))) }
        ?? online.raftTopK
      for i in ranked.prefix(k) where online.raftMinReward.map({ batch[i].reward! > $0 }) ?? true {
        out.append(batch[i])
      }
    }
    return out
  }

  /// Online DPO's pairs: per group, the highest-reward completion against the lowest, when
  /// their rewards differ.
  func dpoPairs(_ batch: [ScoredRollout]) -> [(ScoredRollout, ScoredRollout)] {
    let groups = Dictionary(grouping: batch.indices, by: { batch[$0].group })
    var out: [(ScoredRollout, ScoredRollout)] = []
    for key in groups.keys.sorted() {
      let members = groups[key]!.filter { batch[$0].reward != nil && !batch[$0].masked }
      guard
        let best = members.max(by: {
          batch[$0].reward! < batch[$1].reward!
            || (batch[$0].reward! == batch[$1].reward! && $0 > $1)
        }),
        let worst = members.min(by: {
          batch[$0].reward! < batch[$1].reward!
            || (batch[$0].reward! == batch[$1].reward! && $0 < $1)
        }),
        batch[best].reward! > batch[worst].reward!
      else { continue }
      out.append((batch[best], batch[worst]))
    }
    return out
  }

  static func padded(_ rows: [[Float]], _ width: Int) -> [Float] {
    rows.flatMap { $0 + [Float](repeating: 0, count: width - $0.count) }
  }

  static func sum(_ values: [Float]?, _ mask: [Float]) -> Float {
    guard let values else { return 0 }
    return zip(values, mask).reduce(0) { $0 + $1.0 * $1.1 }
  }

  static func mean(_ values: [Double]) -> Double {
    values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count)
  }

  /// Pearson correlation of reward function `k` with the sum of the others, over the
  /// completions where all are present; nil when either side is constant.
  static func agreement(_ rows: [[Double?]], function k: Int) -> Double? {
    var xs: [Double] = []
    var ys: [Double] = []
    for row in rows {
      guard row.allSatisfy({ $0 != nil }) else { continue }
      xs.append(row[k]!)
      ys.append(row.indices.filter { $0 != k }.reduce(0) { $0 + row[$1]! })
    }
    guard xs.count > 1 else { return nil }
    let (mx, my) = (mean(xs), mean(ys))
    var (sxy, sxx, syy) = (0.0, 0.0, 0.0)
    for (x, y) in zip(xs, ys) {
      sxy += (x - mx) * (y - my)
      sxx += (x - mx) * (x - mx)
      syy += (y - my) * (y - my)
    }
    guard sxx > 0, syy > 0 else { return nil }
    return sxy / (sxx * syy).squareRoot()
  }

  /// Mean |log q − logπ_old| over trained tokens, where the old log-probs were computed.
  static func logProbMismatch(_ batch: [ScoredRollout]) -> Double? {
    guard batch.allSatisfy({ $0.old != nil }) else { return nil }
    return mismatch(batch) { k, t in batch[k].old![t] }
  }

  /// The same against the training forward's log-probs `[B·width]` of `batch`.
  static func logProbMismatch(_ batch: [ScoredRollout], training values: [Float], width: Int)
    -> Double?
  {
    mismatch(batch) { k, t in values[k * width + t] }
  }

  /// Mean |log q − `policy(k, t)`| over the trained tokens of `batch`.
  static func mismatch(_ batch: [ScoredRollout], policy: (Int, Int) -> Float) -> Double? {
    var (total, count) = (0.0, 0.0)
    for (k, r) in batch.enumerated() {
      for (t, m) in r.mask.enumerated() where m != 0 {
        total += Double(abs(policy(k, t) - r.behaviour[t]))
        count += 1
      }
    }
    return count > 0 ? total / count : nil
  }
}
