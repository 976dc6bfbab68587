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

  /// Sequences concatenated and cut into rows of `length` tokens (TRL's `wrapped` packing
  /// for SFT): no padding, at the price of attention across example boundaries within a row.
  /// What each sequence trains on is kept; the position before a row's end predicts nothing,
  /// and neither does a sequence's last position (so no example is trained to predict the
  /// next one's first token). Rows that train on nothing are dropped.
  public static func packed(_ sequences: [TokenizedSequence], length: Int) -> [TokenizedSequence] {
    precondition(length > 1, "packing needs rows of at least two tokens")
    let tokens = sequences.flatMap(\.tokens)
    let targets = sequences.flatMap(\.targets)
    var rows: [TokenizedSequence] = []
    for start in stride(from: 0, to: tokens.count, by: length) {
      let end = min(start + length, tokens.count)
      var row = TokenizedSequence(prompt: Array(tokens[start..<end]), completion: [])
      row.targets = Array(targets[start..<end])
      row.targets[row.targets.count - 1] = -1
      if row.trainedTokens > 0 { rows.append(row) }
    }
    return rows
  }

  /// The number of trained tokens, `|y|`.
  public var trainedTokens: Int { targets.reduce(0) { $0 + ($1 >= 0 ? 1 : 0) } }
}

/// An example the shared loop can batch by length.
public protocol TrainingExample {
  /// Tokens in all of the example's sequences.
  var tokenCount: Int { get }
}

extension TokenizedSequence: TrainingExample {
  public var tokenCount: Int { tokens.count }
}
