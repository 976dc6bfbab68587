import Foundation
import WhetTensor

/// A first-order optimizer over a fixed list of parameters.
///
/// Its state is one tensor per parameter for each of ``stateKinds`` (Adam's `exp_avg` and
/// `exp_avg_sq`, SGD's `momentum_buffer`), aligned with the parameter list given to
/// ``step(_:gradients:learningRate:)``; checkpoints store them under the parameter's name
/// (``Checkpoint``), so a resumed run finds each moment by name and shape, never by position.
public protocol Optimizer: AnyObject {
  /// Applies one update given one gradient per parameter, at `learningRate`.
  func step(_ parameters: [Variable], gradients: [Tensor], learningRate: Float)
  /// The number of updates taken so far.
  var stepCount: Int { get set }
  /// The names of the per-parameter state tensors, as PyTorch names them.
  var stateKinds: [String] { get }
  /// `state[k][i]`: kind `stateKinds[k]` of parameter `i`; empty before the first step.
  var parameterState: [[Tensor]] { get }
  /// Replaces the state; the caller (``Checkpoint/load(from:into:optimizer:)``) has checked
  /// that there is one tensor per kind and parameter, each of the parameter's shape.
  func restore(_ state: [[Tensor]])
}

/// AdamW (Loshchilov & Hutter 2019) with PyTorch's semantics (`torch.optim.AdamW`):
///
///     θ ← θ − lr·λ·θ                       (decoupled weight decay)
///     m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²
///     θ ← θ − lr · (m / (1−β₁ᵗ)) / (√(v / (1−β₂ᵗ)) + ε)
public final class AdamW: Optimizer {
  public var beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float
  public var stepCount = 0
  /// Per parameter (in the order `step` receives them), whether weight decay is skipped: the
  /// trainers exclude norms and biases, as transformers' `Trainer` does. Empty decays all.
  public var decayExcluded: [Bool] = []
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
    let (b1, b2, eps) = (beta1, beta2, epsilon)
    for i in parameters.indices {
      let excluded = i < decayExcluded.count && decayExcluded[i]
      let decay = excluded ? 1 : 1 - lr * weightDecay
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

  public var stateKinds: [String] { ["exp_avg", "exp_avg_sq"] }
  public var parameterState: [[Tensor]] { m.isEmpty ? [] : [m, v] }
  public func restore(_ state: [[Tensor]]) {
    m = state.first ?? []
    v = state.count > 1 ? state[1] : []
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

  public var stateKinds: [String] { ["momentum_buffer"] }
  public var parameterState: [[Tensor]] { buffers.isEmpty ? [] : [buffers] }
  public func restore(_ state: [[Tensor]]) { buffers = state.first ?? [] }
}
