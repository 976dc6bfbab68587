import WhetNN
import WhetTensor

/// The one differentiable map every objective needs: a model's log-probs of the trained tokens
/// of a batch of sequences, never forming `[B, T, V]` logits (`targetLogProbs` works over
/// vocabulary chunks).
///
/// Sequences are right-padded to the longest with token 0 and target −1; the attention is
/// causal, so padding after a sequence cannot change its positions.
public enum PolicyLogProbs {
  /// Tokens and targets `[B·T]`, right-padded.
  static func padded(_ sequences: [TokenizedSequence]) -> (
    tokens: [Int], targets: [Int], width: Int
  ) {
    let width = sequences.map(\.tokens.count).max() ?? 0
    var tokens: [Int] = []
    var targets: [Int] = []
    tokens.reserveCapacity(width * sequences.count)
    targets.reserveCapacity(width * sequences.count)
    for s in sequences {
      tokens += s.tokens + Array(repeating: 0, count: width - s.tokens.count)
      targets += s.targets + Array(repeating: -1, count: width - s.targets.count)
    }
    return (tokens, targets, width)
  }

  /// `[B·T]` per-token log-probs (0 where nothing is trained) and the `[B·T]` mask of trained
  /// positions; the logits divided by `temperature` (RL's policy is the distribution sampled).
  public static func tokens(
    _ model: TransformerDecoder, _ sequences: [TokenizedSequence], temperature: Float = 1
  ) -> (logProbs: Variable, mask: Tensor) {
    let (logProbs, targets, _) = forward(model, sequences, temperature: temperature)
    return (logProbs, Tensor(shape: [targets.count], scalars: targets.map { $0 >= 0 ? 1 : 0 }))
  }

  /// Each sequence's per-token log-probs `[T_i]` (aligned with its targets, 0 where nothing is
  /// trained), without gradients, `chunk` sequences per forward pass; logits divided by
  /// `temperature`.
  public static func perSequence(
    _ model: TransformerDecoder, _ sequences: [TokenizedSequence], temperature: Float = 1,
    chunk: Int
  ) -> [[Float]] {
    var out: [[Float]] = []
    out.reserveCapacity(sequences.count)
    let size = max(chunk, 1)
    for start in stride(from: 0, to: sequences.count, by: size) {
      let part = Array(sequences[start..<min(start + size, sequences.count)])
      let width = part.map(\.tokens.count).max() ?? 0
      let values = tokens(model, part, temperature: temperature).logProbs.value.scalars
      for (k, s) in part.enumerated() {
        out.append(Array(values[(k * width)..<(k * width + s.tokens.count)]))
      }
    }
    return out
  }

  /// `[B]`: each sequence's summed log-prob of its trained tokens, `Σ_t log π(y_t | …)`.
  public static func sums(_ model: TransformerDecoder, _ sequences: [TokenizedSequence])
    -> Variable
  {
    let (logProbs, _, width) = forward(model, sequences)
    return sum(reshape(logProbs, [sequences.count, width]), alongAxis: 1)
  }

  static func forward(
    _ model: TransformerDecoder, _ sequences: [TokenizedSequence], temperature: Float = 1
  ) -> (logProbs: Variable, targets: [Int], width: Int) {
    let (tokens, targets, width) = padded(sequences)
    let logProbs = model.targetLogProbs(
      tokens: tokens, targets: targets, batch: sequences.count, temperature: temperature)
    return (logProbs, targets, width)
  }
}
