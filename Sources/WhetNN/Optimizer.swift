import Foundation
import WhetTensor

/// A first-order optimizer over a fixed list of parameters.
///
/// State tensors are exposed by name so checkpoints can save and restore them exactly.
public protocol Optimizer: AnyObject {
  /// Applies one update given one gradient per parameter, at `learningRate`.
  func step(_ parameters: [Variable], gradients: [Tensor], learningRate: Float)
  /// The number of updates taken so far.
  var stepCount: Int { get set }
  /// Every state tensor, keyed by `"<kind>.<parameter index>"`.
  var state: [String: Tensor] { get set }
}

/// AdamW (Loshchilov & Hutter 2019) with PyTorch's semantics (`torch.optim.AdamW`):
///
///     θ ← θ − lr·λ·θ                       (decoupled weight decay)
///     m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²
///     θ ← θ − lr · (m / (1−β₁ᵗ)) / (√(v / (1−β₂ᵗ)) + ε)
public final class AdamW: Optimizer {
  public var beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float
  public var stepCount = 0
  var m: [Tensor] = []
  var v: [Tensor] = []

  /// PyTorch's defaults: β = (0.9, 0.999), ε = 1e-8, weight decay 0.01.
  public init(
    beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0.01
  ) {
    self.beta1 = beta1
    self.beta2 = beta2
    self.epsilon = epsilon
    self.weightDecay = weightDecay
  }

  public func step(_ parameters: [Variable], gradients: [Tensor], learningRate lr: Float) {
    precondition(parameters.count == gradients.count, "AdamW: one gradient per parameter")
    if m.isEmpty {
      m = parameters.map { .zeros($0.shape) }
      v = m
    }
    precondition(m.count == parameters.count, "AdamW: parameter list changed between steps")
    stepCount += 1
    let t = Float(stepCount)
    // Bias corrections as PyTorch computes them: step size lr/bc1, denominator √v/√bc2 + ε.
    let bc1 = 1 - pow(beta1, t), bc2Sqrt = (1 - pow(beta2, t)).squareRoot()
    let stepSize = lr / bc1
    let (b1, b2, eps, decay) = (beta1, beta2, epsilon, 1 - lr * weightDecay)
    for i in parameters.indices {
      let g = gradients[i]
      precondition(g.count == parameters[i].value.count, "AdamW: gradient \(i) has wrong size")
      g.withUnsafeBufferPointer { pg in
        m[i].withUnsafeMutableBufferPointer { pm in
          v[i].withUnsafeMutableBufferPointer { pv in
            parameters[i].value.withUnsafeMutableBufferPointer { pp in
              parallelFor(pp.count, minimumPerTask: 32768) { r in
                for j in r {
                  let gj = pg[j]
                  pp[j] *= decay
                  pm[j] = b1 * pm[j] + (1 - b1) * gj
                  pv[j] = b2 * pv[j] + (1 - b2) * gj * gj
                  pp[j] -= stepSize * pm[j] / (pv[j].squareRoot() / bc2Sqrt + eps)
                }
              }
            }
          }
        }
      }
    }
  }

  public var state: [String: Tensor] {
    get {
      var s: [String: Tensor] = [:]
      for i in m.indices {
        s["exp_avg.\(i)"] = m[i]
        s["exp_avg_sq.\(i)"] = v[i]
      }
      return s
    }
    set {
      let n = newValue.count / 2
      m = (0..<n).map { newValue["exp_avg.\($0)"]! }
      v = (0..<n).map { newValue["exp_avg_sq.\($0)"]! }
    }
  }
}

/// SGD with momentum and L2 weight decay, as `torch.optim.SGD`:
/// `g ← g + λθ; b ← μb + (1−dampening)g` (`b = g` on the first step);
/// `θ ← θ − lr·(nesterov ? g + μb : b)`.
public final class SGD: Optimizer {
  public var momentum: Float, dampening: Float, weightDecay: Float, nesterov: Bool
  public var stepCount = 0
  var buffers: [Tensor] = []

  public init(
    momentum: Float = 0, dampening: Float = 0, weightDecay: Float = 0, nesterov: Bool = false
  ) {
    self.momentum = momentum
    self.dampening = dampening
    self.weightDecay = weightDecay
    self.nesterov = nesterov
  }

  public func step(_ parameters: [Variable], gradients: [Tensor], learningRate lr: Float) {
    precondition(parameters.count == gradients.count, "SGD: one gradient per parameter")
    let first = buffers.isEmpty
    if first { buffers = parameters.map { .zeros($0.shape) } }
    stepCount += 1
    let (mu, damp, wd, nest) = (momentum, dampening, weightDecay, nesterov)
    for i in parameters.indices {
      gradients[i].withUnsafeBufferPointer { pg in
        buffers[i].withUnsafeMutableBufferPointer { pb in
          parameters[i].value.withUnsafeMutableBufferPointer { pp in
            for j in 0..<pp.count {
              var g = pg[j] + wd * pp[j]
              if mu != 0 {
                pb[j] = first ? g : mu * pb[j] + (1 - damp) * g
                g = nest ? g + mu * pb[j] : pb[j]
              }
              pp[j] -= lr * g
            }
          }
        }
      }
    }
  }

  public var state: [String: Tensor] {
    get {
      Dictionary(
        uniqueKeysWithValues: buffers.enumerated().map {
          ("momentum_buffer.\($0.offset)", $0.element)
        })
    }
    set { buffers = (0..<newValue.count).map { newValue["momentum_buffer.\($0)"]! } }
  }
}
