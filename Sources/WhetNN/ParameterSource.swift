import WhetTensor

/// What a parameter is for, so a source can initialise it (or check what it loads).
public enum ParameterRole: Sendable, Equatable {
  /// A `[out, in]` linear weight.
  case linearWeight(inputSize: Int)
  /// A linear bias `[out]`.
  case linearBias(inputSize: Int)
  /// An embedding table `[V, C]`.
  case embedding
  /// A norm's scale `[C]`.
  case normScale
}

/// Where a module's parameters come from: `(full name, shape, role) → tensor`.
///
/// One construction path serves random initialisation and loading from a file; the
/// loader maps names in one place and checks shapes.
public typealias ParameterSource = (_ name: String, _ shape: [Int], _ role: ParameterRole) throws ->
  Tensor

/// PyTorch-style random initialisation: linear weights and biases `U(−1/√in, 1/√in)`,
/// embeddings `N(0, 0.02²)` (Llama's `initializer_range`), norm scales 1.
public func randomParameter(
  shape: [Int], role: ParameterRole, using rng: inout SeededGenerator
) -> Tensor {
  switch role {
  case .linearWeight(let fanIn), .linearBias(let fanIn):
    let bound = 1 / Float(fanIn).squareRoot()
    return .randomUniform(shape, low: -bound, high: bound, using: &rng)
  case .embedding:
    return .randomNormal(shape, std: 0.02, using: &rng)
  case .normScale:
    return .ones(shape)
  }
}

/// `name` under `prefix` (`prefix.name`, or `name` when the prefix is empty).
func joined(_ prefix: String, _ name: String) -> String {
  prefix.isEmpty ? name : "\(prefix).\(name)"
}
