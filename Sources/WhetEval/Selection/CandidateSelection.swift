import WhetRewards

/// Why a selection could not be made.
public enum SelectionError: Error, Sendable, Equatable, CustomStringConvertible {
  /// Per-item inputs do not have one entry per grouped item.
  case lengthMismatch(what: String, expected: Int, got: Int)
  /// The score matrix has no column of that name.
  case unknownSource(String)
  /// A weight is NaN or infinite.
  case invalidWeight(index: Int)
  /// The Weaver pipeline failed.
  case weaver(WeaverError)
  /// A metric could not be computed.
  case metric(MetricError)

  public var description: String {
    switch self {
    case .lengthMismatch(let w, let e, let g): return "\(w): expected \(e) entries, got \(g)"
    case .unknownSource(let s): return "no score column named \(s)"
    case .invalidWeight(let i): return "weight at index \(i) is not finite"
    case .weaver(let e): return "Weaver: \(e)"
    case .metric(let e): return "\(e)"
    }
  }
}

/// Test-time selection of one candidate per query (ALGORITHMS.md §6): best-of-N by any score,
/// majority vote over extracted answers (self-consistency, Wang et al. 2023), weighted vote,
/// and Weaver selection. Every function returns one chosen item index per group, aligned with
/// `QueryGroups.ids`, or `nil` for a group with nothing to choose.
public enum CandidateSelection {
  /// Best-of-N: the candidate with the highest score (ties → lowest item index; `nil` and
  /// NaN scores are skipped).
  public static func bestOfN(scores: [Double?], groups: QueryGroups) throws(SelectionError)
    -> [Int?]
  {
    try check(scores.count, groups, "scores")
    do throws(WeaverError) {
      return try groups.argmax(scores)
    } catch {
      throw .weaver(error)
    }
  }

  /// Best-of-N by one column of a score matrix.
  public static func bestOfN(source: String, in matrix: ScoreMatrix, groups: QueryGroups)
    throws(SelectionError) -> [Int?]
  {
    guard let column = matrix.column(source) else { throw .unknownSource(source) }
    return try bestOfN(scores: column, groups: groups)
  }

  /// Majority vote over extracted answers (self-consistency): the most frequent non-`nil`
  /// answer of each query wins; ties go to the answer seen first; the chosen item is the
  /// first candidate giving that answer.
  public static func majorityVote(answers: [String?], groups: QueryGroups)
    throws(SelectionError) -> [Int?]
  {
    try weightedVote(
      answers: answers, weights: [Double](repeating: 1, count: answers.count), groups: groups)
  }

  /// Weighted vote: each candidate adds its weight (e.g. a reward or `P(correct)`) to its
  /// answer; the answer with the largest total wins (ties → answer seen first); the chosen
  /// item is the first candidate giving that answer.
  public static func weightedVote(answers: [String?], weights: [Double], groups: QueryGroups)
    throws(SelectionError) -> [Int?]
  {
    try check(answers.count, groups, "answers")
    try check(weights.count, groups, "weights")
    if let bad = weights.firstIndex(where: { !$0.isFinite }) { throw .invalidWeight(index: bad) }
    return groups.members.map { items in
      var order: [String] = []
      var total: [String: Double] = [:]
      var first: [String: Int] = [:]
      for i in items {
        guard let answer = answers[i] else { continue }
        if total[answer] == nil {
          order.append(answer)
          first[answer] = i
        }
        total[answer, default: 0] += weights[i]
      }
      var best: String? = nil
      for answer in order where best == nil || total[answer]! > total[best!]! { best = answer }
      return best.flatMap { first[$0] }
    }
  }

  /// Weaver selection: run the pipeline on the score matrix and pick, per query, the
  /// candidate with the largest `P(correct | votes)`. Returns the selections and the
  /// pipeline's full result.
  public static func weaver(
    scores: ScoreMatrix, groups: QueryGroups, pipeline: WeaverPipeline = WeaverPipeline()
  ) throws(SelectionError) -> (selected: [Int?], result: WeaverPipeline.Result) {
    try check(scores.itemCount, groups, "score rows")
    do throws(WeaverError) {
      let result = try pipeline.run(scores, groups: groups)
      return (result.selected, result)
    } catch {
      throw .weaver(error)
    }
  }

  /// Share of queries whose chosen item is correct (`nil` selections count as wrong).
  public static func accuracy(selected: [Int?], correct: [Bool]) throws(SelectionError) -> Double {
    guard !selected.isEmpty else { return 0 }
    var hits = 0
    for s in selected {
      guard let s else { continue }
      guard correct.indices.contains(s) else {
        throw .lengthMismatch(what: "correctness flags", expected: s + 1, got: correct.count)
      }
      if correct[s] { hits += 1 }
    }
    return Double(hits) / Double(selected.count)
  }

  static func check(_ count: Int, _ groups: QueryGroups, _ what: String) throws(SelectionError) {
    guard count == groups.itemCount else {
      throw .lengthMismatch(what: what, expected: groups.itemCount, got: count)
    }
  }
}
