import Foundation
import WhetTensor

/// A pointwise scorer on the reward model's scalar head: each completion's head output `r` is
/// fitted to a target score `y` from a column, by regression or by cross-entropy. Trained on a
/// label model's P(correct), this distils Weaver (Saad-Falcon et al. 2025, arXiv 2506.18203,
/// "distilled verifiers") into one cheap verifier.
///
/// - `regression`: `L = mean (r − y)²`.
/// - `crossEntropy`: `y ∈ [0, 1]`, `L = mean −[y log σ(r) + (1 − y) log σ(−r)]`; the score
///   is then `σ(r)`.
public struct PointwiseScoreObjective: Sendable, Codable, Equatable {
  public enum Loss: String, Sendable, Codable, CaseIterable {
    case regression
    case crossEntropy = "cross_entropy"
  }

  public var lossKind: Loss = .crossEntropy

  public init(_ lossKind: Loss = .crossEntropy) { self.lossKind = lossKind }

  /// - Parameters: `scores` `[N]` head outputs; `targets` `[N]`.
  /// - Returns: the loss, and `mse` (of `σ(r)` for cross-entropy) and, for cross-entropy,
  ///   `accuracy` (`σ(r) > ½` agreeing with `y > ½`).
  public func loss(scores: Variable, targets: Tensor) throws(ObjectiveError) -> (
    loss: Variable, metrics: [String: Float]
  ) {
    let n = scores.value.count
    guard n > 0, targets.count == n else {
      throw .invalid("a pointwise batch needs one target per score")
    }
    guard targets.scalars.allSatisfy(\.isFinite) else { throw .invalid("a target is not finite") }
    let y = Variable(targets)
    var metrics: [String: Float] = [:]
    switch lossKind {
    case .regression:
      let total = mean(square(scores - y))
      metrics["mse"] = total.value.item
      return (total, metrics)
    case .crossEntropy:
      guard targets.scalars.allSatisfy({ $0 >= 0 && $0 <= 1 }) else {
        throw .invalid("cross-entropy targets must lie in [0, 1]")
      }
      let oneMinusY = Variable(targets.map { 1 - $0 })
      let total = -mean(logSigmoid(scores) * y + logSigmoid(-scores) * oneMinusY)
      var squared: Float = 0
      var agree: Float = 0
      for i in 0..<n {
        let p = 1 / (1 + exp(-scores.value[flat: i]))
        let t = targets[flat: i]
        squared += (p - t) * (p - t)
        if (p > 0.5) == (t > 0.5) { agree += 1 }
      }
      metrics["mse"] = squared / Float(n)
      metrics["accuracy"] = agree / Float(n)
      return (total, metrics)
    }
  }
}
