import WhetRewards

/// How one candidate per query is chosen, by the name `whet select --method` and configs use.
public enum SelectionMethod: Sendable, Equatable {
  /// The Weaver pipeline's P(correct), label-free.
  case weaver
  /// The most common extracted final answer.
  case majority
  /// The highest score of one source.
  case best(source: String)

  public static let validNames = ["weaver", "majority", "best:SOURCE"]

  /// Parses `weaver`, `majority` or `best:SOURCE`.
  public init(_ name: String) throws(SelectionMethodError) {
    switch name {
    case "weaver": self = .weaver
    case "majority": self = .majority
    case let n where n.hasPrefix("best:") && n.count > 5:
      self = .best(source: String(n.dropFirst(5)))
    default: throw .unknown(name, valid: Self.validNames)
    }
  }

  /// The chosen item of every query, and Weaver's result when the method is Weaver.
  public func select(
    scores: ScoreMatrix, groups: QueryGroups, answers: [String?], pipeline: WeaverPipeline
  ) throws(SelectionError) -> (selected: [Int?], weaver: WeaverPipeline.Result?) {
    switch self {
    case .weaver:
      let (picks, result) = try CandidateSelection.weaver(
        scores: scores, groups: groups, pipeline: pipeline)
      return (picks, result)
    case .majority:
      return (try CandidateSelection.majorityVote(answers: answers, groups: groups), nil)
    case .best(let source):
      return (try CandidateSelection.bestOfN(source: source, in: scores, groups: groups), nil)
    }
  }
}

public enum SelectionMethodError: Error, CustomStringConvertible, Equatable {
  case unknown(String, valid: [String])

  public var description: String {
    switch self {
    case .unknown(let name, let valid):
      return "unknown selection method '\(name)'; valid: \(valid.joined(separator: ", "))"
    }
  }
}
