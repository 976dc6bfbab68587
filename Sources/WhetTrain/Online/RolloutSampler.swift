import WhetLM
import WhetTensor

/// Samples `G` completions of every prompt from the policy as it is now.
///
/// The generator must read the current weights: for full fine-tuning the Float32 decoder
/// with no packed copies (packed quantized weights are of the model as loaded); for LoRA the
/// packed base weights are exact (the base never changes) and the adapters are applied on the
/// fly. Row `k` of round `r` is seeded from the run's seed, `r` and `k` alone, so a resumed
/// run samples exactly what an uninterrupted one would.
public struct RolloutSampler {
  public var generator: Generator
  public var parameters: SamplingParameters
  public var groupSize: Int
  /// Rows decoded together (the KV cache holds this many sequences).
  public var rowsPerBatch = 64

  public init(generator: Generator, parameters: SamplingParameters, groupSize: Int) {
    self.generator = generator
    self.parameters = parameters
    self.groupSize = groupSize
  }

  /// The seed of round `round` of a run seeded `seed`.
  public static func seed(run seed: UInt64, round: Int) -> UInt64 {
    var rng = SeededGenerator(seed: seed &+ 0x5851_F42D_4C95_7F2D &* UInt64(round + 1))
    return rng.next()
  }

  /// `G` rollouts of each prompt, grouped by prompt in order; `tokens` counts what was generated.
  public func sample(_ prompts: [OnlinePrompt], seed: UInt64) throws -> [Rollout] {
    let repeated = prompts.flatMap { [[Int]](repeating: $0.tokens, count: groupSize) }
    var p = parameters
    p.seed = seed
    var out: [Rollout] = []
    out.reserveCapacity(repeated.count)
    try generator.generate(prompts: repeated, parameters: p, rowsPerBatch: rowsPerBatch) {
      first, outputs in
      for (k, g) in outputs.enumerated() {
        out.append(Rollout(prompt: (first + k) / groupSize, generation: g))
      }
    }
    return out
  }
}
