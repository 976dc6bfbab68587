/// A node of the autodiff graph: a value, and the gradient of the loss with respect to it.
///
/// A variable is *tracked* while it belongs to a ``Tape``: ops whose inputs include a
/// tracked variable record their backward on that tape. Untracked variables (inference,
/// frozen weights, data) cost nothing beyond the forward computation.
public final class Variable {
  public var value: Tensor
  /// The accumulated gradient, once a backward pass has reached this variable.
  public var grad: Tensor?
  @usableFromInline var tape: Tape?

  public init(_ value: Tensor) { self.value = value }

  @inlinable public var shape: [Int] { value.shape }
  /// True when this variable takes part in the current backward pass.
  @inlinable public var isTracked: Bool { tape != nil }

  /// Adds `g` into ``grad`` (gradients accumulate with `+=`, as in llm.c).
  @inlinable public func accumulateGradient(_ g: Tensor) {
    precondition(g.count == value.count, "gradient \(g.shape) does not match value \(value.shape)")
    if grad == nil {
      grad = g.shape == value.shape ? g : g.reshaped(value.shape)
    } else {
      grad!.add(g)
    }
  }

  /// The output of an op: records `backward` on the tape of the first tracked input.
  ///
  /// `backward` receives the gradient of the output and must call ``accumulateGradient(_:)``
  /// on each tracked input. The output's gradient is released once it has been used.
  @inlinable public static func result(
    _ value: Tensor, inputs: [Variable], backward: @escaping (Tensor) -> Void
  ) -> Variable {
    let out = Variable(value)
    guard let tape = inputs.first(where: { $0.tape != nil })?.tape, tape.pauses == 0 else {
      return out
    }
    out.tape = tape
    tape.record {
      guard let g = out.grad else { return }
      out.grad = nil
      backward(g)
    }
    return out
  }
}

/// The record of backward closures of one differentiation, replayed in reverse.
public final class Tape {
  @usableFromInline var entries: [() -> Void] = []
  /// While positive, ops record nothing and return untracked results
  /// (``gradientCheckpoint(_:tracking:_:)`` runs its segment's first forward pass so).
  @usableFromInline var pauses = 0

  @usableFromInline init() {}

  @usableFromInline func record(_ backward: @escaping () -> Void) { entries.append(backward) }
}

/// The value of a scalar loss and its gradients with respect to `parameters`.
///
/// Only `parameters` are tracked, so gradients are computed for exactly those (LoRA trains
/// adapters while the base weights stay untracked and cost no gradient memory).
/// - Returns: the loss, and one gradient per parameter in order (zeros where unreached).
public func valueAndGradient(
  of loss: () throws -> Variable, wrt parameters: [Variable]
) rethrows -> (value: Float, gradients: [Tensor]) {
  let tape = Tape()
  for p in parameters {
    precondition(p.tape == nil, "a parameter is already tracked by another differentiation")
    p.tape = tape
    p.grad = nil
  }
  defer {
    for p in parameters {
      p.tape = nil
      p.grad = nil
    }
    tape.entries.removeAll()
  }
  let out = try loss()
  precondition(out.value.count == 1, "valueAndGradient needs a scalar loss, got \(out.shape)")
  let value = out.value.item
  if out.isTracked {
    out.grad = Tensor(shape: out.shape, repeating: 1)
    while let entry = tape.entries.popLast() { entry() }
  }
  let gradients = parameters.map { $0.grad ?? Tensor.zeros($0.shape) }
  return (value, gradients)
}
