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
  if layers.contains(where: { $0.adapter != nil }) { y = y + loraDeltas(x, layers) }
  return y
}

/// The adapters' updates `scale·dropout(x)·Aᵀ·Bᵀ` of `layers` side by side, `[N, Σ out]` (zeros
/// where a layer has none), as one op: only each adapter's `[N, r]` down-projection is kept
/// for backward, and dropout masks are drawn again there (``LoRAAdapter/mask(_:redraw:)``),
/// so no `[N, out]` or `[N, in]` intermediate outlives the forward pass. The arithmetic is
/// that of the separate ops.
func loraDeltas(_ x: Variable, _ layers: [Linear]) -> Variable {
  let xv = x.value
  let rows = xv.rowCount
  var parts: [Tensor] = []
  var saved: [(u: Tensor, generator: SeededGenerator?)?] = []
  for layer in layers {
    guard let adapter = layer.adapter else {
      parts.append(.zeros([rows, layer.outputSize]))
      saved.append(nil)
      continue
    }
    let (input, generator) = adapter.droppedInput(xv)
    let u = Tensor.matmul(input, adapter.a.value, transposeB: true)
    var delta = Tensor.matmul(u, adapter.b.value, transposeB: true)
    delta.scale(by: adapter.scale)
    parts.append(delta)
    saved.append((u, generator))
  }
  let out = parts.count == 1 ? parts[0] : Tensor.concatenate(parts, alongAxis: -1)
  let adapters = layers.map(\.adapter)
  let widths = layers.map(\.outputSize)
  let inputs = [x] + adapters.compactMap { $0 }.flatMap { [$0.a, $0.b] }
  return Variable.result(out, inputs: inputs) { g in
    var column = 0
    var dx: Tensor? = nil
    for (k, adapter) in adapters.enumerated() {
      defer { column += widths[k] }
      guard let adapter, let (u, generator) = saved[k] else { continue }
      var gk = layers.count == 1 ? g : g.slice(alongAxis: 1, column..<(column + widths[k]))
      gk.scale(by: adapter.scale)
      if adapter.b.isTracked {
        adapter.b.accumulateGradient(Tensor.matmul(gk, u, transposeA: true))
      }
      guard adapter.a.isTracked || x.isTracked else { continue }
      let gu = Tensor.matmul(gk, adapter.b.value)
      let mask = generator.map { adapter.mask(xv.shape, redraw: $0) }
      if adapter.a.isTracked {
        let input = mask.map { xv.zipMap($0, *) } ?? xv
        adapter.a.accumulateGradient(Tensor.matmul(gu, input, transposeA: true))
      }
      if x.isTracked {
        var part = Tensor.matmul(gu, adapter.a.value)
        if let mask { part = part.zipMap(mask, *) }
        if dx == nil { dx = part } else { dx!.add(part) }
      }
    }
    if let dx { x.accumulateGradient(dx) }
  }
}
