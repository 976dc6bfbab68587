import WhetTensor

/// Which linear layers get low-rank adapters, and their shape.
public struct LoRAConfiguration: Codable, Sendable, Equatable {
  public var rank: Int
  public var alpha: Float
  public var dropout: Float
  /// Projection names to adapt, as PEFT's `target_modules` (`q_proj`, `v_proj`, …).
  public var targets: Set<String>

  public init(
    rank: Int = 8, alpha: Float = 16, dropout: Float = 0,
    targets: Set<String> = ["q_proj", "v_proj"]
  ) {
    self.rank = rank
    self.alpha = alpha
    self.dropout = dropout
    self.targets = targets
  }

  /// The factor on the adapter's output, `alpha / rank` (PEFT's default scaling).
  public var scale: Float { alpha / Float(rank) }
}

/// A low-rank update `ΔW = scale · B·A` of a frozen `[out, in]` weight (Hu et al. 2021,
/// "LoRA"): `A` `[r, in]` starts random, `B` `[out, r]` starts at zero, so training starts
/// from the base model exactly. Tensor names and layouts are PEFT's (`lora_A.weight`,
/// `lora_B.weight`).
public final class LoRAAdapter {
  public let a: Variable
  public let b: Variable
  public let scale: Float
  public let dropout: Float
  /// Draws dropout masks while training.
  public var generator: SeededGenerator

  /// PEFT's default init: `A` Kaiming-uniform (`U(−1/√in, 1/√in)`), `B = 0`.
  public init(
    inputSize: Int, outputSize: Int, configuration c: LoRAConfiguration, rng: inout SeededGenerator
  ) {
    precondition(c.rank > 0, "LoRA rank must be positive")
    a = Variable(
      randomParameter(
        shape: [c.rank, inputSize], role: .linearWeight(inputSize: inputSize), using: &rng))
    b = Variable(.zeros([outputSize, c.rank]))
    scale = c.scale
    dropout = c.dropout
    generator = SeededGenerator(seed: rng.next())
  }

  /// `scale · dropout(x)·Aᵀ·Bᵀ` for `x` `[N, in]` → `[N, out]`. Dropout applies only while
  /// differentiating (when the adapter's weights are tracked).
  public func callAsFunction(_ x: Variable) -> Variable {
    var input = x
    if dropsOut {
      input = WhetTensor.dropout(
        x, mask: .dropoutMask(x.shape, probability: dropout, using: &generator))
    }
    return matmul(matmul(input, a, transposeB: true), b, transposeB: true) * scale
  }

  /// Whether dropout applies now: only while differentiating (the adapter's weights tracked).
  var dropsOut: Bool { dropout > 0 && (a.isTracked || b.isTracked) }

  /// `x` with dropout applied (while differentiating), and the generator state its mask was
  /// drawn from, so backward can draw it again (nil when no dropout applies). Draws what
  /// ``callAsFunction(_:)`` draws.
  func droppedInput(_ x: Tensor) -> (Tensor, SeededGenerator?) {
    guard dropsOut else { return (x, nil) }
    let start = generator
    let mask = Tensor.dropoutMask(x.shape, probability: dropout, using: &generator)
    return (x.zipMap(mask, *), start)
  }

  /// The mask ``droppedInput(_:)`` drew from `state`, drawn again.
  func mask(_ shape: [Int], redraw state: SeededGenerator) -> Tensor {
    var rng = state
    return .dropoutMask(shape, probability: dropout, using: &rng)
  }

  /// The same on plain tensors, for inference.
  public func apply(_ x: Tensor) -> Tensor {
    var y = Tensor.matmul(Tensor.matmul(x, a.value, transposeB: true), b.value, transposeB: true)
    y.scale(by: scale)
    return y
  }

  public var namedParameters: [(name: String, variable: Variable)] {
    [("lora_A.weight", a), ("lora_B.weight", b)]
  }
}
