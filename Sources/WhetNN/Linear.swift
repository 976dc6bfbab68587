import WhetTensor

/// `y = x·Wᵀ + b` with `W` `[out, in]` (PyTorch's layout) and an optional bias `[out]`.
public final class Linear: Module {
  public let weight: Variable
  public let bias: Variable?
  /// A low-rank adapter added to the output, if one is attached.
  public var adapter: LoRAAdapter?

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

  /// `x` `[N, in]` → `[N, out]`.
  public func callAsFunction(_ x: Variable) -> Variable { fusedLinear(x, [self]) }

  /// Weight, bias, then the adapter's `lora_A.weight` and `lora_B.weight`.
  public var namedParameters: [(name: String, variable: Variable)] {
    [("weight", weight)] + (bias.map { [("bias", $0)] } ?? []) + (adapter?.namedParameters ?? [])
  }
}

/// Several linear maps of the same input `x` `[N, in]` computed as one GEMM over their stacked
/// weights (Q/K/V, or gate/up), giving their outputs side by side, `[N, Σ out]`. Biases and
/// adapters are added in the same layout. Parameters keep their separate names.
public func fusedLinear(_ x: Variable, _ layers: [Linear]) -> Variable {
  let weight =
    layers.count == 1 ? layers[0].weight : concatenate(layers.map(\.weight), alongAxis: 0)
  var y = matmul(x, weight, transposeB: true)
  let biases = layers.compactMap(\.bias)
  if !biases.isEmpty {
    precondition(biases.count == layers.count, "fusedLinear: all or none must have a bias")
    y = y + (biases.count == 1 ? biases[0] : concatenate(biases, alongAxis: 0))
  }
  if layers.contains(where: { $0.adapter != nil }) {
    let rows = x.value.rowCount
    let deltas = layers.map { layer in
      layer.adapter.map { $0(x) } ?? Variable(.zeros([rows, layer.outputSize]))
    }
    y = y + (deltas.count == 1 ? deltas[0] : concatenate(deltas, alongAxis: -1))
  }
  return y
}
