/// A tokenized preference pair with the reference model's summed log-probs, computed once.
public struct PreferenceExample: Sendable, Equatable, Codable {
  public var chosen: TokenizedSequence
  public var rejected: TokenizedSequence
  public var referenceChosen: Float
  public var referenceRejected: Float
}

extension PreferenceExample: TrainingExample {
  public var tokenCount: Int { chosen.tokens.count + rejected.tokens.count }
}
