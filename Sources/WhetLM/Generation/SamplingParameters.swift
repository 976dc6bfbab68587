/// How to pick each next token, and when to stop.
public struct SamplingParameters: Sendable, Equatable, Codable {
  /// 0 means greedy (argmax); otherwise logits are divided by it before sampling.
  public var temperature: Float = 1
  /// Keep only the `topK` most likely tokens (0: no limit).
  public var topK: Int = 0
  /// Nucleus sampling: keep the smallest set of tokens whose probability reaches `topP`.
  public var topP: Float = 1
  /// Drop tokens less likely than `minP` times the most likely one (0: off).
  public var minP: Float = 0
  /// CTRL-style repetition penalty (Keskar et al. 2019) on tokens already in the row: a
  /// positive logit is divided by it, a negative one multiplied (1: off).
  public var repetitionPenalty: Float = 1
  /// New tokens per row at most.
  public var maxTokens: Int = 256
  /// Text that ends a row; it is cut from the returned text.
  public var stopStrings: [String] = []
  /// Seeds row `i`'s generator with `seed + i`, so a prompt samples the same alone or batched.
  public var seed: UInt64 = 0

  public init(
    temperature: Float = 1, topK: Int = 0, topP: Float = 1, minP: Float = 0,
    repetitionPenalty: Float = 1, maxTokens: Int = 256, stopStrings: [String] = [], seed: UInt64 = 0
  ) {
    self.temperature = temperature
    self.topK = topK
    self.topP = topP
    self.minP = minP
    self.repetitionPenalty = repetitionPenalty
    self.maxTokens = maxTokens
    self.stopStrings = stopStrings
    self.seed = seed
  }

  /// Greedy decoding.
  public static func greedy(maxTokens: Int = 256) -> SamplingParameters {
    SamplingParameters(temperature: 0, maxTokens: maxTokens)
  }
}
