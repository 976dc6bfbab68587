import Foundation
import WhetTensor

/// The global L2 norm of all gradients, accumulated in Double.
public func globalNorm(_ gradients: [Tensor]) -> Float {
  var total = 0.0
  for g in gradients {
    g.withUnsafeBufferPointer { p in for x in p { total += Double(x) * Double(x) } }
  }
  return Float(total.squareRoot())
}

/// Scales `gradients` so their global norm is at most `maxNorm`, as
/// `torch.nn.utils.clip_grad_norm_` does (`coef = maxNorm / (norm + 1e-6)`, capped at 1).
/// - Returns: the norm before clipping.
@discardableResult
public func clipGlobalNorm(_ gradients: inout [Tensor], maxNorm: Float) -> Float {
  let norm = globalNorm(gradients)
  let coef = maxNorm / (norm + 1e-6)
  if coef < 1 {
    for i in gradients.indices { gradients[i].scale(by: coef) }
  }
  return norm
}

/// Sums gradients over micro-batches and hands back their mean, so `k` micro-batches of
/// size `b` step like one batch of `k·b`.
public struct GradientAccumulator {
  public private(set) var count = 0
  var sums: [Tensor] = []

  public init() {}

  public mutating func add(_ gradients: [Tensor]) {
    if sums.isEmpty {
      sums = gradients
    } else {
      precondition(sums.count == gradients.count, "accumulate: gradient count changed")
      for i in sums.indices { sums[i].add(gradients[i]) }
    }
    count += 1
  }

  /// The mean gradient so far, and a reset.
  public mutating func takeMean() -> [Tensor] {
    precondition(count > 0, "no gradients accumulated")
    var out = sums
    for i in out.indices { out[i].scale(by: 1 / Float(count)) }
    sums = []
    count = 0
    return out
  }
}
