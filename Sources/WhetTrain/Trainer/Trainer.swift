import Foundation
import WhetData
import WhetLM
import WhetNN
import WhetTensor

/// What one micro-batch contributes: its loss (to differentiate), the objective's metrics and
/// how many tokens it holds.
public struct MicroBatchResult {
  public var loss: Variable
  public var metrics: [String: Float]
  public var tokens: Int

  public init(loss: Variable, metrics: [String: Float], tokens: Int) {
    self.loss = loss
    self.metrics = metrics
    self.tokens = tokens
  }
}

/// How a run ended.
public struct TrainingSummary: Sendable, Equatable {
  public var steps: Int
  public var finalLoss: Float?
  public var evaluation: [String: Float]
  public var checkpoint: String?
}

/// The one training loop every objective runs through: seeded data order, micro-batches with
/// gradient accumulation, global-norm clipping, AdamW (no decay on norms and biases), the
/// learning-rate schedule with warm-up, metrics JSONL with TRL's names, evaluation on a
/// held-out split, atomic checkpoints and exact resume, and a stop at the first non-finite
/// loss or gradient.
///
/// The run directory holds `metrics.jsonl` and `checkpoints/step-N.safetensors`. A resumed run
/// loads the newest checkpoint (weights, optimizer moments, data position, every RNG through
/// ``saveRandomState``) and drops metric lines written after it, so its metrics continue as an
/// uninterrupted run's would.
public final class Trainer<Example> {
  public let configuration: TrainingConfiguration
  public let parameters: [(name: String, variable: Variable)]
  public let train: [Example]
  public let evaluation: [Example]
  public let directory: URL
  let microBatch: ([Example]) throws -> MicroBatchResult
  /// RNG state beyond the data order (such as LoRA dropout), saved in checkpoints.
  public var saveRandomState: () -> [String: String] = { [:] }
  public var restoreRandomState: ([String: String]) throws -> Void = { _ in }
  /// Receives the progress line (step, loss, learning rate, tokens/s, ETA).
  public var progress: (String) -> Void = { line in
    FileHandle.standardError.write(Data((line + "\n").utf8))
  }
  /// Each example's length in tokens, for ``TrainingConfiguration/groupByLength``.
  public var lengthOf: ((Example) -> Int)? = nil
  /// Checkpoints kept on disk (the newest ones).
  public var checkpointsKept = 2
  let optimizer: AdamW
  /// The order of the epoch last asked for, so each epoch is shuffled once.
  private var cachedOrder: (epoch: Int, order: [Int])? = nil

  public init(
    configuration: TrainingConfiguration, parameters: [(name: String, variable: Variable)],
    train: [Example], evaluation: [Example] = [], directory: URL,
    microBatch: @escaping ([Example]) throws -> MicroBatchResult
  ) throws(TrainerError) {
    try configuration.validate()
    guard !train.isEmpty else { throw .noData("the training split is empty") }
    guard !parameters.isEmpty else { throw .configuration("nothing to train") }
    self.configuration = configuration
    self.parameters = parameters
    self.train = train
    self.evaluation = evaluation
    self.directory = directory
    self.microBatch = microBatch
    optimizer = AdamW(weightDecay: configuration.weightDecay)
    optimizer.decayExcluded = parameters.map { Self.excludedFromDecay($0.name) }
  }

  /// Norm weights and biases get no weight decay (transformers' `Trainer` rule).
  static func excludedFromDecay(_ name: String) -> Bool {
    name.hasSuffix(".bias") || name.contains("norm")
  }

  var examplesPerStep: Int { configuration.batchSize * configuration.gradientAccumulationSteps }
  public var stepsPerEpoch: Int { (train.count + examplesPerStep - 1) / examplesPerStep }
  public var totalSteps: Int { configuration.maxSteps ?? configuration.epochs * stepsPerEpoch }

  /// The order of epoch `epoch`: a Fisher–Yates shuffle from a generator seeded by the run's
  /// seed and the epoch, so any position can be recomputed on resume.
  func order(epoch: Int) -> [Int] {
    let order = DataOrder.shuffled(count: train.count, seed: configuration.seed, epoch: epoch)
    guard configuration.groupByLength, let lengthOf else { return order }
    let mega = 50 * configuration.batchSize
    return stride(from: 0, to: order.count, by: mega).flatMap { start in
      order[start..<min(start + mega, order.count)].sorted {
        let (a, b) = (lengthOf(train[$0]), lengthOf(train[$1]))
        return a > b || (a == b && $0 < $1)
      }
    }
  }

  /// The run's files.
  public var files: RunDirectory { RunDirectory(directory) }

  /// Trains to the end (or from the newest checkpoint when `resume`), with matrix products in
  /// the configuration's precision and its gradient checkpointing.
  public func run(resume: Bool = false) throws -> TrainingSummary {
    try configuration.scoped { try runSteps(resume: resume) }
  }

  func runSteps(resume: Bool) throws -> TrainingSummary {
    var files = self.files
    files.kept = checkpointsKept
    var step = 0
    var position = 0
    var lastCheckpoint: String? = nil
    // `--resume` with no checkpoint yet starts the run afresh.
    let resumed = resume ? try files.resume(parameters: parameters, optimizer: optimizer) : nil
    try files.start(fresh: resumed == nil)
    if let (state, path) = resumed {
      try restoreRandomState(state.extra)
      step = state.step
      position = state.dataPosition
      lastCheckpoint = path
    }
    let schedule = configuration.schedule(totalSteps: totalSteps)
    let writer = try JSONLWriter(url: files.metrics, append: true)
    defer { try? writer.close() }
    let start = Date()
    let startStep = step
    var lastLoss: Float? = nil
    var evaluation: [String: Float] = [:]
    var tokensSinceLog = 0
    // The held-out split before any update, so the report can show before and after.
    if step == 0, !self.evaluation.isEmpty {
      try writer.write(RunDirectory.line(step: 0, try evaluate()))
    }
    var logStart = Date()
    while step < totalSteps {
      let (batch, next) = examples(from: position)
      var results: [MicroBatchResult] = []
      let chunks = stride(from: 0, to: batch.count, by: configuration.batchSize).map {
        Array(batch[$0..<min($0 + configuration.batchSize, batch.count)])
      }
      let learningRate = schedule.learningRate(base: configuration.learningRate, atStep: step)
      let report: TrainingStepReport
      var objectiveError: (any Error)? = nil
      do {
        report = try trainingStep(
          parameters: parameters.map(\.variable), optimizer: optimizer, learningRate: learningRate,
          maxGradientNorm: configuration.maxGradNorm,
          microBatches: chunks.map { chunk in
            { [self] in
              do {
                let result = try microBatch(chunk)
                results.append(result)
                return result.loss
              } catch {
                // Reported below; the NaN stops the step before anything changes.
                objectiveError = error
                return Variable(Tensor(shape: [], repeating: .nan))
              }
            }
          })
      } catch TrainingError.nonFinite(_, let loss, let norm) {
        if let objectiveError { throw objectiveError }
        throw TrainerError.nonFinite(
          step: step + 1, loss: loss, gradientNorm: norm, lastCheckpoint: lastCheckpoint)
      }
      step += 1
      position = next
      lastLoss = report.loss
      tokensSinceLog += results.reduce(0) { $0 + $1.tokens }
      if step % configuration.logEvery == 0 || step == totalSteps {
        let seconds = max(Date().timeIntervalSince(logStart), 1e-9)
        var line: [String: JSONValue] = [
          "step": .number(Double(step)), "loss": .number(Double(report.loss)),
          "grad_norm": .number(Double(report.gradientNorm)),
          "learning_rate": .number(Double(learningRate)),
          "epoch": .number(Double(position) / Double(train.count)),
          "tokens_per_second": .number(Double(tokensSinceLog) / seconds),
        ]
        for (name, value) in Self.mean(results.map(\.metrics)) {
          line[name] = .number(Double(value))
        }
        try writer.write(line)
        let elapsed = Date().timeIntervalSince(start)
        let eta = elapsed / Double(step - startStep) * Double(totalSteps - step)
        progress(
          String(
            format: "step %d/%d  loss %.4f  lr %.2e  %.0f tok/s  ETA %@", step, totalSteps,
            report.loss, learningRate, Double(tokensSinceLog) / seconds, Self.duration(eta)))
        tokensSinceLog = 0
        logStart = Date()
      }
      if let every = configuration.evalEvery, step % every == 0, step < totalSteps,
        !self.evaluation.isEmpty
      {
        evaluation = try evaluate()
        try writer.write(RunDirectory.line(step: step, evaluation))
      }
      if let every = configuration.saveEvery, step % every == 0, step < totalSteps {
        lastCheckpoint = try save(files, step: step, position: position)
      }
    }
    if !self.evaluation.isEmpty {
      evaluation = try evaluate()
      try writer.write(RunDirectory.line(step: step, evaluation))
    }
    lastCheckpoint = try save(files, step: step, position: position)
    return TrainingSummary(
      steps: step, finalLoss: lastLoss, evaluation: evaluation, checkpoint: lastCheckpoint)
  }

  /// The examples of the step starting at data `position`, and the position after them. A
  /// step never spans two epochs.
  func examples(from position: Int) -> ([Example], Int) {
    let epoch = position / train.count
    let offset = position % train.count
    if cachedOrder?.epoch != epoch { cachedOrder = (epoch, order(epoch: epoch)) }
    let order = cachedOrder?.order ?? []
    let end = min(offset + examplesPerStep, train.count)
    return (order[offset..<end].map { train[$0] }, epoch * train.count + end)
  }

  /// The loss and metrics on the held-out split, averaged per example, `eval_`-prefixed,
  /// without gradients.
  public func evaluate() throws -> [String: Float] {
    var metrics: [[String: Float]] = []
    var sizes: [Int] = []
    for start in stride(from: 0, to: evaluation.count, by: configuration.batchSize) {
      let chunk = Array(evaluation[start..<min(start + configuration.batchSize, evaluation.count)])
      let result = try microBatch(chunk)
      var m = result.metrics
      m["loss"] = result.loss.value.item
      metrics.append(m)
      sizes.append(chunk.count)
    }
    // Per-example means: a short last chunk counts for its size.
    return Dictionary(
      uniqueKeysWithValues: Self.mean(metrics, weights: sizes).map { ("eval_" + $0.key, $0.value) })
  }

  func save(_ files: RunDirectory, step: Int, position: Int) throws -> String {
    try files.save(
      step: step, parameters: parameters, optimizer: optimizer,
      state: TrainingState(
        step: step, dataPosition: position, generator: SeededGenerator(seed: configuration.seed),
        extra: saveRandomState()))
  }

  /// Each metric's mean over the micro-batches that report it, weighted by `weights` (the
  /// examples in each; equal weights when nil).
  static func mean(_ all: [[String: Float]], weights: [Int]? = nil) -> [String: Float] {
    var sums: [String: (Float, Float)] = [:]
    for (k, metrics) in all.enumerated() {
      let w = Float(weights?[k] ?? 1)
      for (name, value) in metrics {
        let (s, n) = sums[name] ?? (0, 0)
        sums[name] = (s + w * value, n + w)
      }
    }
    return sums.mapValues { $0.0 / $0.1 }
  }

  /// `s`, `MmSs` or `HhMm`, for progress lines.
  public static func duration(_ seconds: Double) -> String {
    guard seconds.isFinite else { return "?" }
    let s = Int(seconds.rounded())
    return s >= 3600 ? "\(s / 3600)h\(s % 3600 / 60)m" : s >= 60 ? "\(s / 60)m\(s % 60)s" : "\(s)s"
  }
}
