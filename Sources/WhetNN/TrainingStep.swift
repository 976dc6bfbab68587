import WhetTensor

/// Training stopped before an update could do harm.
public enum TrainingError: Error, CustomStringConvertible, Equatable {
  /// The loss or the gradient norm was NaN or infinite; the parameters were left unchanged.
  case nonFinite(step: Int, loss: Float, gradientNorm: Float)

  public var description: String {
    switch self {
    case .nonFinite(let step, let loss, let norm):
      return
        "step \(step): loss \(loss), gradient norm \(norm) is not finite; parameters left unchanged"
    }
  }
}

/// What one optimizer update did.
public struct TrainingStepReport: Sendable, Equatable {
  public var loss: Float
  /// Global gradient norm before clipping.
  public var gradientNorm: Float
  public var learningRate: Float

  public init(loss: Float, gradientNorm: Float, learningRate: Float) {
    self.loss = loss
    self.gradientNorm = gradientNorm
    self.learningRate = learningRate
  }
}

/// One update: the loss and its gradients (averaged over `microBatches`), global-norm clipping,
/// and an optimizer step. A non-finite loss or gradient throws before anything changes.
///
/// - Parameters:
///   - microBatches: one loss closure per micro-batch; their gradients are averaged.
///   - maxGradientNorm: clip threshold, or `nil` for none.
public func trainingStep(
  parameters: [Variable], optimizer: Optimizer, learningRate: Float, maxGradientNorm: Float?,
  microBatches: [() -> Variable]
) throws -> TrainingStepReport {
  precondition(!microBatches.isEmpty, "trainingStep needs at least one micro-batch")
  var accumulator = GradientAccumulator()
  var lossSum: Float = 0
  for loss in microBatches {
    let (value, gradients) = valueAndGradient(of: loss, wrt: parameters)
    lossSum += value
    accumulator.add(gradients)
  }
  let loss = lossSum / Float(microBatches.count)
  var gradients = accumulator.takeMean()
  let norm =
    maxGradientNorm.map { clipGlobalNorm(&gradients, maxNorm: $0) } ?? globalNorm(gradients)
  guard loss.isFinite, norm.isFinite else {
    throw TrainingError.nonFinite(step: optimizer.stepCount + 1, loss: loss, gradientNorm: norm)
  }
  optimizer.step(parameters, gradients: gradients, learningRate: learningRate)
  return TrainingStepReport(loss: loss, gradientNorm: norm, learningRate: learningRate)
}
