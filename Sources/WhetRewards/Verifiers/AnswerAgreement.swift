/// Answer agreement: self-consistency (Wang et al. 2023, "Self-consistency improves chain of
/// thought reasoning") turned into a score for each candidate, so that a label model can
/// weigh it against other verifiers. It never sees a reference answer.
///
/// A candidate's score is the share of the *other* candidates of its query whose final
/// answer (``FinalAnswer/key(of:)``) equals its own: 1 when all agree with it, 0 when none do
/// or when it states no answer. A query with a single candidate abstains (`nil`).
public enum AnswerAgreement {
  /// The source's name on the command line and in reports.
  public static let name = "agreement"

  /// `[items]` scores from the answer key of each item (`nil`: no answer), grouped by query.
  public static func scores(answers: [String?], groups: QueryGroups) throws(WeaverError)
    -> [Double?]
  {
    guard answers.count == groups.itemCount else {
      throw .shapeMismatch(what: "answers", expected: groups.itemCount, got: answers.count)
    }
    var out = [Double?](repeating: nil, count: answers.count)
    for members in groups.members where members.count > 1 {
      var counts: [String: Int] = [:]
      for i in members { if let a = answers[i] { counts[a, default: 0] += 1 } }
      for i in members {
        let same = answers[i].map { counts[$0, default: 1] - 1 } ?? 0
        out[i] = Double(same) / Double(members.count - 1)
      }
    }
    return out
  }

  /// Scores of completions, their answers read by ``FinalAnswer/key(of:)``.
  public static func scores(completions: [String], groups: QueryGroups) throws(WeaverError)
    -> [Double?]
  {
    try scores(answers: completions.map(FinalAnswer.key(of:)), groups: groups)
  }
}
