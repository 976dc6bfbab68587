import WhetRewards

/// Best-of-N selection methods compared against a hidden ground truth, the experiment of
/// Weaver (Saad-Falcon et al. 2025, "Shrinking the generation-verification gap with weak
/// verifiers", ALGORITHMS.md §2): how much of the gap between one sample and pass@N each way
/// of choosing closes, and how well the label model's verifier accuracies, learned without
/// labels, match the true ones.
///
/// The ground truth is used only to score the choices; every method, the Weaver pipeline
/// included, sees nothing but the score matrix and the answers.
public struct SelectionStudy: Sendable {
  /// What a row of the comparison is.
  public enum MethodKind: String, Sendable, Equatable {
    /// One sample: greedy decoding, or a random one of the N.
    case baseline
    /// Best-of-N by a single verifier's score.
    case verifier
    /// Majority vote over the candidates' answers.
    case vote
    /// Weaver: the label model's `P(correct | votes)`.
    case weaver
    /// pass@N: some candidate is correct (an oracle's choice).
    case ceiling
  }

  /// One method and its accuracy over the queries.
  public struct Method: Sendable, Equatable {
    public var name: String
    public var kind: MethodKind
    public var accuracy: Double
  }

  /// One verifier after binarisation: its true accuracy and the label model's estimate.
  public struct Verifier: Sendable, Equatable {
    public var name: String
    /// Whether the positive-rate filter kept it for the label model.
    public var kept: Bool
    /// Share of its non-abstaining votes that are positive.
    public var positiveRate: Double?
    /// The label model's estimate of its accuracy (`nil` when it was dropped).
    public var estimatedAccuracy: Double?
    /// Share of its non-abstaining votes that agree with the ground truth.
    public var trueAccuracy: Double?
    /// Area under the ROC curve of its raw scores against the ground truth (threshold-free;
    /// 0.5 is chance, below 0.5 the score points the wrong way).
    public var auroc: Double?
  }

  public var methods: [Method]
  public var verifiers: [Verifier]
  /// The Weaver pipeline's full result (thresholds, votes, fitted label model, selections).
  public var weaver: WeaverPipeline.Result
  /// Share of candidates that are correct (the class balance the label model estimates).
  public var correctShare: Double

  /// Runs every method.
  ///
  /// - Parameters:
  ///   - correct: `[items]` ground truth of each candidate.
  ///   - groups: candidates grouped by query.
  ///   - scores: `[items, sources]` answer-blind verifier scores.
  ///   - answers: `[items]` answer key of each candidate for the majority vote (`nil`: none).
  ///   - greedyCorrect: `[queries]` (aligned with `groups.ids`) whether greedy decoding was
  ///     right, if it was run.
  ///   - pipeline: the Weaver pipeline (label model, normalisation, binarisation).
  public init(
    correct: [Bool], groups: QueryGroups, scores: ScoreMatrix, answers: [String?],
    greedyCorrect: [Bool]? = nil, pipeline: WeaverPipeline = WeaverPipeline()
  ) throws(SelectionError) {
    try CandidateSelection.check(correct.count, groups, "correctness flags")
    if let greedyCorrect, greedyCorrect.count != groups.count {
      throw .lengthMismatch(
        what: "greedy results", expected: groups.count, got: greedyCorrect.count)
    }
    var methods: [Method] = []
    func add(_ name: String, _ kind: MethodKind, _ selected: [Int?]) throws(SelectionError) {
      methods.append(
        Method(
          name: name, kind: kind,
          accuracy: try CandidateSelection.accuracy(selected: selected, correct: correct)))
    }
    if let greedyCorrect {
      methods.append(
        Method(
          name: "greedy", kind: .baseline,
          accuracy: Double(greedyCorrect.filter { $0 }.count) / Double(max(1, groups.count))))
    }
    // A random candidate is right with probability c / n in each query: its expectation is
    // the mean pass@1, computed exactly rather than drawn.
    let perQuery = groups.members.map { m in (n: m.count, c: m.filter { correct[$0] }.count) }
    methods.append(
      Method(
        name: "random of N (expected)", kind: .baseline,
        accuracy: perQuery.reduce(0.0) { $0 + Double($1.c) / Double(max(1, $1.n)) }
          / Double(max(1, groups.count))))
    for source in scores.sources {
      try add(
        "best of N by \(source)", .verifier,
        CandidateSelection.bestOfN(source: source, in: scores, groups: groups))
    }
    try add(
      "majority vote", .vote, CandidateSelection.majorityVote(answers: answers, groups: groups))
    let (selected, result) = try CandidateSelection.weaver(
      scores: scores, groups: groups, pipeline: pipeline)
    try add("Weaver (\(result.fitted.method))", .weaver, selected)
    methods.append(
      Method(
        name: "pass@N (oracle)", kind: .ceiling,
        accuracy: Double(perQuery.filter { $0.c > 0 }.count) / Double(max(1, groups.count))))
    self.methods = methods
    self.weaver = result
    self.correctShare = Double(correct.filter { $0 }.count) / Double(max(1, correct.count))
    self.verifiers = try Self.verifierAccuracies(result, scores: scores, correct: correct)
  }

  /// Each input source's votes (as the pipeline binarised them) checked against `correct`.
  static func verifierAccuracies(
    _ result: WeaverPipeline.Result, scores: ScoreMatrix, correct: [Bool]
  ) throws(SelectionError) -> [Verifier] {
    let votes = result.allVotes
    let fitted = result.fitted
    return try votes.sources.enumerated().map { (j, name) throws(SelectionError) in
      var agree = 0
      var cast = 0
      for i in 0..<votes.itemCount {
        let v = votes[i, j]
        guard v != .abstain else { continue }
        cast += 1
        if (v == .positive) == correct[i] { agree += 1 }
      }
      let estimate = fitted.sources.firstIndex(of: name).map {
        fitted.sourceEstimates[$0].accuracy
      }
      let scored = (0..<scores.itemCount).compactMap { i in
        scores.values[i][j].flatMap { $0.isNaN ? nil : ($0, correct[i]) }
      }
      let auroc: Double?
      do throws(MetricError) {
        auroc =
          scored.isEmpty
          ? nil : try EvalMetrics.auroc(scores: scored.map(\.0), labels: scored.map(\.1))
      } catch {
        throw .metric(error)
      }
      return Verifier(
        name: name, kept: estimate != nil, positiveRate: votes.positiveRate(source: j),
        estimatedAccuracy: estimate, trueAccuracy: cast > 0 ? Double(agree) / Double(cast) : nil,
        auroc: auroc)
    }
  }

  /// The accuracy of the method called `name`.
  public func accuracy(of name: String) -> Double? {
    methods.first { $0.name == name }?.accuracy
  }
}
