import WhetTensor

/// `y = x·Wᵀ + b` with `W` `[out, in]` (PyTorch's layout) and an optional bias `[out]`.
public final class Linear: Module {
  public let weight: Variable
  public let bias: Variable?

  /// Parameters `prefix.weight` `[out, in]` and, with `bias`, `prefix.bias` `[out]` from `source`.
  public init(
    _ prefix: String, inputSize: Int, outputSize: Int, bias: Bool = false,
    source: ParameterSource
  ) rethrows {
    weight = Variable(
      try source(
        joined(prefix, "weight"), [outputSize, inputSize], .linearWeight(inputSize: inputSize)))
    self.bias =
      bias
      ? Variable(
        try source(joined(prefix, "bias"), [outputSize], .linearBias(inputSize: inputSize)))
      : nil
  }

  /// PyTorch's default init: `W`, `b ~ U(−1/√in, 1/√in)`.
  public convenience init(
    inputSize: Int, outputSize: Int, bias: Bool = false, rng: inout SeededGenerator
  ) {
    self.init("", inputSize: inputSize, outputSize: outputSize, bias: bias) {
      randomParameter(shape: $1, role: $2, using: &rng)
    }
  }

  public init(weight: Tensor, bias: Tensor? = nil) {
    precondition(weight.rank == 2, "Linear weight must be [out, in], got \(weight.shape)")
    self.weight = Variable(weight)
    self.bias = bias.map { Variable($0) }
  }

  public var inputSize: Int { weight.shape[1] }
  public var outputSize: Int { weight.shape[0] }

  /// `x` `[..., in]` → `[..., out]`.
  public func callAsFunction(_ x: Variable) -> Variable {
    let y = matmul(x, weight, transposeB: true)
    return bias.map { y + $0 } ?? y
  }

  public var namedParameters: [(name: String, variable: Variable)] {
    [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
  }
}

/// Several linear maps of the same input computed as one GEMM over their stacked weights
/// (Q/K/V, or gate/up), then split. Parameters keep their separate names.
public func fusedLinear(_ x: Variable, _ layers: [Linear]) -> [Variable] {
  let weight = concatenate(layers.map(\.weight), alongAxis: 0)
  var y = matmul(x, weight, transposeB: true)
  let biases = layers.compactMap(\.bias)
  if !biases.isEmpty {
    precondition(biases.count == layers.count, "fusedLinear: all or none must have a bias")
    y = y + concatenate(biases, alongAxis: 0)
  }
  return split(y, sizes: layers.map(\.outputSize), alongAxis: -1)
}
