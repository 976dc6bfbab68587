import WhetTensor

/// A token embedding table `[V, C]`.
public final class Embedding: Module {
  public let weight: Variable

  /// The table `prefix.weight` `[V, C]` from `source`.
  public init(_ prefix: String, vocabularySize: Int, dimension: Int, source: ParameterSource)
    rethrows
  {
    weight = Variable(
      try source(joined(prefix, "weight"), [vocabularySize, dimension], .embedding))
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

  /// The scale `prefix.weight` `[C]` from `source`.
  public init(_ prefix: String, dimension: Int, epsilon: Float = 1e-5, source: ParameterSource)
    rethrows
  {
    weight = Variable(try source(joined(prefix, "weight"), [dimension], .normScale))
    self.epsilon = epsilon
  }

  /// A scale of ones.
  public init(dimension: Int, epsilon: Float = 1e-5) {
    weight = Variable(.ones([dimension]))
    self.epsilon = epsilon
  }

  public func callAsFunction(_ x: Variable) -> Variable {
    rmsNorm(x, weight: weight, epsilon: epsilon)
  }

  public var namedParameters: [(name: String, variable: Variable)] { [("weight", weight)] }
}
