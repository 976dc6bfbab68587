import WhetLM
import WhetRewards

/// One prompt of an online run: its tokens, the text reward functions see, and the row's
/// other columns (`answer`, `tests`, …), which go to the rewards as TRL passes them.
public struct OnlinePrompt: Sendable, Equatable {
  /// Where the row came from, for errors and logs.
  public var file: String
  public var line: Int
  public var tokens: [Int]
  /// The prompt as reward functions read it (the last user message for conversational rows).
  public var text: String
  public var columns: [String: String]

  public init(file: String, line: Int, tokens: [Int], text: String, columns: [String: String]) {
    self.file = file
    self.line = line
    self.tokens = tokens
    self.text = text
    self.columns = columns
  }
}

/// One sampled completion of a prompt, as the policy produced it.
public struct Rollout: Sendable, Equatable {
  /// Index of its prompt in the step's batch of prompts.
  public var prompt: Int
  /// The completion's tokens, ending with the end-of-sequence or end-of-turn token that
  /// stopped it (which is trained on like any other token).
  public var tokens: [Int]
  /// `log q(token)` of each token under the distribution sampled (after temperature and
  /// truncation; ``SampledToken/sampledLogProb``), `[tokens.count]`.
  public var behaviourLogProbs: [Float]
  /// The entropy of each step's sampled distribution, `[tokens.count]`.
  public var entropies: [Float]
  /// The text reward functions score (cut before a stop string when one ended it).
  public var text: String
  /// Cut by the length limit, not ended by the model.
  public var truncated: Bool
  /// The mean self-certainty and log-prob under the model while sampling (label-free
  /// signals for the `weaver` reward).
  public var meanSelfCertainty: Double?
  public var meanLogProb: Double?

  /// The rollout of a generated row: the stopping token appended to the completion.
  public init(prompt: Int, generation g: Generation) {
    self.prompt = prompt
    tokens = g.tokens + (g.stop.map { [$0.token] } ?? [])
    behaviourLogProbs = g.sampledLogProbs + (g.stop.map { [$0.sampledLogProb] } ?? [])
    entropies = g.entropies + (g.stop.map { [$0.entropy] } ?? [])
    text = g.text
    truncated = g.finishReason == .length
    meanSelfCertainty = g.meanSelfCertainty
    meanLogProb = g.meanLogProb
  }
}
