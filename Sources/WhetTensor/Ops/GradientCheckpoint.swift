/// Gradient checkpointing (Chen et al. 2016, "Training Deep Nets with Sublinear Memory
/// Cost"; transformers' `gradient_checkpointing`): a segment's activations are not kept for
/// the backward pass, which runs the segment's forward pass again to get them.

/// Whether model code checkpoints its segments (decoder blocks) in the current task, set for
/// a scope the way ``MixedPrecision`` is.
public enum GradientCheckpointing {
  @TaskLocal public static var enabled = false

  /// Runs `body` with checkpointing on or off.
  public static func with<R>(_ on: Bool, _ body: () throws -> R) rethrows -> R {
    try $enabled.withValue(on, operation: body)
  }
}

/// `segment(x)`, differentiated by recomputation.
///
/// The forward pass runs `segment` with nothing recorded, so only `x` and the result are kept.
/// When the backward pass reaches the result, `segment` runs again on `x` with recording on,
/// and its backward pass runs at once; gradients reach `x` and every tracked parameter the
/// segment uses. Peak memory drops from every segment's activations to one segment's, for
/// one more forward pass of each segment.
///
/// `segment` must compute the same values both times: it is called once in the forward pass
/// and once more in the backward pass, so randomness (dropout) must be drawn again from the
/// same state (``DecoderBlock`` restores its adapters' generators).
/// - Parameters:
///   - x: the segment's input, `[N, C]` or any shape `segment` takes.
///   - parameters: the segment's parameters; when `x` is untracked (LoRA's frozen embedding)
///     the tape is found through them. Without a tracked `x` or parameter, `segment(x)` runs
///     plainly.
public func gradientCheckpoint(
  _ x: Variable, tracking parameters: [Variable], _ segment: @escaping (Variable) -> Variable
) -> Variable {
  guard let tape = x.tape ?? parameters.first(where: { $0.isTracked })?.tape, tape.pauses == 0
  else { return segment(x) }
  tape.pauses += 1
  let value = segment(Variable(x.value)).value
  tape.pauses -= 1
  let out = Variable(value)
  out.tape = tape
  tape.record {
    guard let g = out.grad else { return }
    out.grad = nil
    let input = Variable(x.value)
    input.tape = x.tape
    // The segment's entries land above `mark`; they are replayed here, newest first.
    let mark = tape.entries.count
    let again = segment(input)
    if again.isTracked {
      again.accumulateGradient(g)
      while tape.entries.count > mark { tape.entries.removeLast()() }
    }
    if let dx = input.grad { x.accumulateGradient(dx) }
  }
  return out
}
