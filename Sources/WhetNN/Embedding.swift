import WhetTensor

/// A token embedding table `[V, C]`.
public final class Embedding: Module {
  public let weight: Variable

  /// `N(0, 0.02²)` init, as Llama's `initializer_range`.
  public init(vocabularySize: Int, dimension: Int, rng: inout SeededGenerator) {
    weight = Variable(.randomNormal([vocabularySize, dimension], std: 0.02, using: &rng))
  }

  public init(weight: Tensor) { self.weight = Variable(weight) }

  public var vocabularySize: Int { weight.shape[0] }
  public var dimension: Int { weight.shape[1] }

  /// `ids` `[N]` → `[N, C]`.
  public func callAsFunction(_ ids: [Int]) -> Variable { embedding(weight, ids: ids) }

  public var namedParameters: [(name: String, variable: Variable)] { [("weight", weight)] }
}

/// RMSNorm with a learned scale `[C]`, initialised to ones.
public final class RMSNorm: Module {
  public let weight: Variable
  public let epsilon: Float

  public init(dimension: Int, epsilon: Float = 1e-5) {
    weight = Variable(.ones([dimension]))
    self.epsilon = epsilon
  }

  public func callAsFunction(_ x: Variable) -> Variable {
    rmsNorm(x, weight: weight, epsilon: epsilon)
  }

  public var namedParameters: [(name: String, variable: Variable)] { [("weight", weight)] }
}
