/// One training sequence: its token ids and, per position, the next token to predict there or
/// −1 where nothing is trained (prompt, padding, the last position).
public struct TokenizedSequence: Sendable, Equatable, Codable {
  /// `[T]` token ids.
  public var tokens: [Int]
  /// `[T]`: `targets[t] = tokens[t + 1]` where token `t + 1` is trained on, else −1.
  public var targets: [Int]

  /// A prompt followed by a completion; only the completion's tokens are trained on.
  public init(prompt: [Int], completion: [Int]) {
    tokens = prompt + completion
    targets = Array(repeating: -1, count: tokens.count)
    for t in 0..<max(tokens.count - 1, 0) where t + 1 >= prompt.count {
      targets[t] = tokens[t + 1]
    }
  }

  /// `tokens` with `trained[t]` saying whether token `t` is trained on (its own position
  /// predicts nothing; position `t − 1` predicts it).
  public init(tokens: [Int], trained: [Bool]) {
    self.tokens = tokens
    targets = Array(repeating: -1, count: tokens.count)
    for t in 0..<max(tokens.count - 1, 0) where trained[t + 1] { targets[t] = tokens[t + 1] }
  }

  /// The number of trained tokens, `|y|`.
  public var trainedTokens: Int { targets.reduce(0) { $0 + ($1 >= 0 ? 1 : 0) } }
}
