import Foundation

/// Learning rate as a function of the optimizer step, as the `transformers` schedulers
/// (`get_constant_schedule`, `get_linear_schedule_with_warmup`,
/// `get_cosine_schedule_with_warmup`) define it.
public enum LearningRateSchedule: Codable, Sendable, Equatable {
  case constant
  /// Linear warm-up from 0 over `warmupSteps`, then linear decay to 0 at `totalSteps`.
  case linear(warmupSteps: Int, totalSteps: Int)
  /// Linear warm-up, then half a cosine period down to 0 at `totalSteps`.
  case cosine(warmupSteps: Int, totalSteps: Int)

  /// The multiplier of the base learning rate at `step` (0-based, before the update).
  public func factor(atStep step: Int) -> Float {
    switch self {
    case .constant:
      return 1
    case .linear(let warmup, let total):
      if step < warmup { return Float(step) / Float(max(1, warmup)) }
      return max(0, Float(total - step) / Float(max(1, total - warmup)))
    case .cosine(let warmup, let total):
      if step < warmup { return Float(step) / Float(max(1, warmup)) }
      let progress = Double(step - warmup) / Double(max(1, total - warmup))
      return Float(max(0, 0.5 * (1 + cos(Double.pi * progress))))
    }
  }

  public func learningRate(base: Float, atStep step: Int) -> Float { base * factor(atStep: step) }
}
