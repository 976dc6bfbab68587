import WhetNN
import WhetTensor

/// The settings of the shared training loop, with transformers' `TrainingArguments` names in
/// YAML and on the CLI (snake case).
public struct TrainingConfiguration: Codable, Sendable, Equatable {
  /// Seeds data order, adapter initialisation and dropout.
  public var seed: UInt64 = 42
  /// Examples per micro-batch (`per_device_train_batch_size`).
  public var batchSize = 4
  /// Micro-batches per optimizer step.
  public var gradientAccumulationSteps = 1
  /// Peak learning rate.
  public var learningRate: Float = 1e-5
  /// `constant`, `linear` or `cosine` (`lr_scheduler_type`).
  public var learningRateSchedule: ScheduleKind = .linear
  /// Warm-up steps; when 0, `warmupRatio` of the total.
  public var warmupSteps = 0
  public var warmupRatio: Float = 0
  /// AdamW's decoupled weight decay; norms and biases are excluded.
  public var weightDecay: Float = 0
  /// Global-norm gradient clipping (`max_grad_norm`); nil for none.
  public var maxGradNorm: Float? = 1
  /// Passes over the data, unless `maxSteps` ends the run first.
  public var epochs = 1
  public var maxSteps: Int? = nil
  /// Optimizer steps between metric lines.
  public var logEvery = 1
  /// Optimizer steps between checkpoints; nil saves only at the end.
  public var saveEvery: Int? = nil
  /// Optimizer steps between evaluations on the held-out split; nil evaluates at the end. The
  /// split is also evaluated once before the first step.
  public var evalEvery: Int? = nil
  /// Batch examples of similar length (transformers' `group_by_length`): the shuffled order
  /// is cut into mega-batches of 50 micro-batches, each sorted longest first, so the
  /// sequences of a micro-batch pad to nearly the same width.
  public var groupByLength = false
  /// bf16 mixed precision (transformers' `bf16`): matrix products take bf16 operands and
  /// accumulate in fp32; weights, optimizer state and every other op stay fp32
  /// (``MatMulPrecision/bf16``). It covers the training steps, evaluation and rollouts.
  public var bf16 = false
  /// Gradient checkpointing (transformers' `gradient_checkpointing`): each decoder block's
  /// activations are formed again in the backward pass instead of kept, for less memory and
  /// one more forward pass of the blocks per step (``GradientCheckpointing``).
  public var gradientCheckpointing = false

  /// The matrix-product precision `bf16` asks for.
  public var matmulPrecision: MatMulPrecision { bf16 ? .bf16 : .fp32 }

  public enum ScheduleKind: String, Codable, Sendable, CaseIterable {
    case constant, linear, cosine
  }

  enum CodingKeys: String, CodingKey, CaseIterable {
    case seed
    case batchSize = "batch_size"
    case gradientAccumulationSteps = "gradient_accumulation_steps"
    case learningRate = "learning_rate"
    case learningRateSchedule = "lr_scheduler_type"
    case warmupSteps = "warmup_steps"
    case warmupRatio = "warmup_ratio"
    case weightDecay = "weight_decay"
    case maxGradNorm = "max_grad_norm"
    case epochs = "num_train_epochs"
    case maxSteps = "max_steps"
    case logEvery = "logging_steps"
    case saveEvery = "save_steps"
    case evalEvery = "eval_steps"
    case groupByLength = "group_by_length"
    case bf16
    case gradientCheckpointing = "gradient_checkpointing"
  }

  public init() {}

  /// Why these settings cannot train, if they cannot.
  public func validate() throws(TrainerError) {
    func bad(_ reason: String) -> TrainerError { .configuration(reason) }
    guard batchSize > 0 else { throw bad("batch_size must be positive") }
    guard gradientAccumulationSteps > 0 else {
      throw bad("gradient_accumulation_steps must be positive")
    }
    guard learningRate > 0, learningRate.isFinite else {
      throw bad("learning_rate must be positive")
    }
    guard epochs > 0 || (maxSteps ?? 0) > 0 else {
      throw bad("num_train_epochs or max_steps must be positive")
    }
    guard warmupSteps >= 0, (0...1).contains(warmupRatio) else { throw bad("bad warm-up settings") }
    guard logEvery > 0 else { throw bad("logging_steps must be positive") }
    if let saveEvery, saveEvery <= 0 { throw bad("save_steps must be positive") }
    if let evalEvery, evalEvery <= 0 { throw bad("eval_steps must be positive") }
    if let maxGradNorm, !(maxGradNorm > 0) { throw bad("max_grad_norm must be positive") }
    guard weightDecay >= 0 else { throw bad("weight_decay must not be negative") }
  }

  /// Runs `body` with this configuration's matrix-product precision and checkpointing.
  public func scoped<R>(_ body: () throws -> R) rethrows -> R {
    try MixedPrecision.with(matmulPrecision) {
      try GradientCheckpointing.with(gradientCheckpointing, body)
    }
  }

  /// The same for async work.
  public func scoped<R>(_ body: () async throws -> R) async rethrows -> R {
    try await MixedPrecision.$matmul.withValue(matmulPrecision) {
      try await GradientCheckpointing.$enabled.withValue(gradientCheckpointing, operation: body)
    }
  }

  /// The schedule for a run of `totalSteps`.
  public func schedule(totalSteps: Int) -> LearningRateSchedule {
    let warmup = warmupSteps > 0 ? warmupSteps : Int((warmupRatio * Float(totalSteps)).rounded(.up))
    switch learningRateSchedule {
    case .constant: return .constant
    case .linear: return .linear(warmupSteps: warmup, totalSteps: totalSteps)
    case .cosine: return .cosine(warmupSteps: warmup, totalSteps: totalSteps)
    }
  }
}

/// Why a run stopped or could not start.
public enum TrainerError: Error, Equatable, CustomStringConvertible {
  case configuration(String)
  /// The loss or gradient became NaN or infinite at `step`; the last good checkpoint is kept.
  case nonFinite(step: Int, loss: Float, gradientNorm: Float, lastCheckpoint: String?)
  case noData(String)
  case resume(String)

  public var description: String {
    switch self {
    case .configuration(let reason): return "training configuration: \(reason)"
    case .nonFinite(let step, let loss, let norm, let last):
      return
        "step \(step): loss \(loss), gradient norm \(norm) is not finite; the run stopped there, parameters unchanged"
        + (last.map { "; the last good checkpoint is \($0)" } ?? "; no checkpoint was written yet")
    case .noData(let reason): return "no training data: \(reason)"
    case .resume(let reason): return "cannot resume: \(reason)"
    }
  }
}
