import Testing
import WhetRewards

@Suite struct LabelModelBehaviourTests {
  @Test func voteMatrixValidatesItsInput() {
    #expect(throws: LabelModelError.shapeMismatch(expected: 4, got: 3)) {
      try VoteMatrix(sources: ["a", "b"], itemCount: 2, codes: [0, 1, 2])
    }
    #expect(throws: LabelModelError.invalidVote(code: 7, item: 1, source: 0)) {
      try VoteMatrix(sources: ["a", "b"], itemCount: 2, codes: [0, 1, 7, 2])
    }
    #expect(throws: LabelModelError.shapeMismatch(expected: 2, got: 1)) {
      try VoteMatrix(sources: ["a", "b"], rows: [[.positive]])
    }
  }

  @Test func voteMatrixAccessors() throws {
    let votes = try VoteMatrix(
      sources: ["a", "b"],
      rows: [[.positive, .abstain], [.negative, .positive], [.positive, .positive]])
    #expect(votes[1, 0] == .negative)
    #expect(votes.column(1) == [.abstain, .positive, .positive])
    #expect(votes.positiveRate(source: 0) == 2.0 / 3.0)
    #expect(votes.abstainRate(source: 1) == 1.0 / 3.0)
    let b = try votes.selectingSources([1])
    #expect(b.sources == ["b"])
    #expect(b.codes == [2, 1, 1])
    let c = try votes.appendingSource(named: "c", votes: [.negative, .negative, .abstain])
    #expect(c[2, 2] == .abstain)
    #expect(c[0, 0] == .positive)
    #expect(throws: LabelModelError.self) { try votes.selectingSources([2]) }
  }

  @Test func binarisesScoreMatrices() throws {
    let scores = ScoreMatrix(
      sources: ["x", "y"], values: [[0.7, nil], [0.5, 0.2], [.nan, 0.9], [0.1, 0.4]])
    let votes = try VoteMatrix(binarising: scores, threshold: 0.5)
    // ≥ τ positive; nil and NaN abstain.
    #expect(votes.codes == [1, 2, 1, 0, 2, 1, 0, 0])
    let perSource = try VoteMatrix(binarising: scores, thresholds: [0.8, 0.3])
    #expect(perSource.codes == [0, 2, 0, 0, 2, 1, 0, 1])
    #expect(throws: LabelModelError.shapeMismatch(expected: 2, got: 1)) {
      try VoteMatrix(binarising: scores, thresholds: [0.5])
    }
  }

  @Test func majorityVoteTiesAndAbstains() throws {
    let votes = try VoteMatrix(
      sources: ["a", "b", "c"],
      rows: [
        [.positive, .positive, .negative],  // 2–1 → 1
        [.positive, .negative, .abstain],  // tie → 0.5
        [.abstain, .abstain, .abstain],  // no votes → 0.5
        [.negative, .abstain, .abstain],  // 0–1 → 0
      ])
    let fitted = try MajorityVoteModel().fit(votes)
    #expect(fitted.posteriors == [1, 0.5, 0.5, 0])
    #expect(fitted.classBalance == 0.5)
    // Source a: agrees on item 0 (1), half on the tie (0.5), agrees on item 3 (1) → 2.5 / 3.
    #expect(abs(fitted.accuracies[0] - 2.5 / 3) < 1e-12)
    // Source c: disagrees on item 0 → 0.
    #expect(fitted.accuracies[2] == 0)
    #expect(fitted.labels == [1, nil, nil, 0])
  }

  @Test func modelsRejectUnusableInput() throws {
    let two = try VoteMatrix(sources: ["a", "b"], rows: [[.positive, .negative]])
    #expect(throws: LabelModelError.tooFewSources(needed: 3, got: 2)) {
      try TripletModel().fit(two)
    }
    #expect(throws: LabelModelError.tooFewSources(needed: 3, got: 2)) {
      try MatrixCompletionModel().fit(two)
    }
    let empty = try VoteMatrix(sources: ["a"], itemCount: 0, codes: [])
    #expect(throws: LabelModelError.empty) { try DawidSkeneModel().fit(empty) }
    let silent = try VoteMatrix(sources: ["a", "b", "c"], itemCount: 2, codes: [2, 2, 2, 2, 2, 2])
    #expect(throws: LabelModelError.self) { try DawidSkeneModel().fit(silent) }
    #expect(throws: LabelModelError.self) { try TripletModel().fit(silent) }
    #expect(throws: LabelModelError.invalidParameter("classBalance must be in (0, 1)")) {
      try MatrixCompletionModel(classBalance: 1.5).fit(SyntheticVotes.standard.votes)
    }
  }

  @Test func newVotesMustComeFromTheSameSources() throws {
    let fitted = try DawidSkeneModel().fit(SyntheticVotes.standard.votes)
    let other = try VoteMatrix(sources: ["z"], rows: [[.positive]])
    #expect(throws: LabelModelError.self) { try fitted.posteriors(for: other) }
  }

  /// One source worse than chance: the triplet method's signs and Dawid–Skene's confusion
  /// matrices must both find it (accuracy < 0.5) rather than assume every source is good.
  @Test func detectsAnAdversarialSource() throws {
    let data = SyntheticVotes(
      items: 20_000, accuracies: [0.8, 0.75, 0.85, 0.7, 0.2], abstain: 0.1, classBalance: 0.4,
      seed: 3)
    for model in [DawidSkeneModel(), TripletModel(), MatrixCompletionModel()] as [any LabelModel] {
      let fitted = try model.fit(data.votes)
      #expect(fitted.accuracies[4] < 0.3, "\(model.name)")
      #expect(data.accuracyError(fitted) < 0.03, "\(model.name)")
    }
  }

  /// Dawid–Skene on a tiny matrix, checked against one EM step done by hand: two sources
  /// that always agree and a third that always disagrees converge to a sharp posterior.
  @Test func dawidSkeneSharpensUnanimousVotes() throws {
    var rows: [[Vote]] = []
    for i in 0..<40 {
      let y: Vote = i % 4 == 0 ? .positive : .negative
      let flipped: Vote = y == .positive ? .negative : .positive
      rows.append([y, y, i % 5 == 0 ? flipped : y])
    }
    let votes = try VoteMatrix(sources: ["a", "b", "c"], rows: rows)
    let fitted = try DawidSkeneModel().fit(votes)
    for (i, p) in fitted.posteriors.enumerated() {
      #expect(abs(p - (i % 4 == 0 ? 1 : 0)) < 1e-3)
    }
    #expect(abs(fitted.classBalance - 0.25) < 1e-3)
    #expect(abs(fitted.accuracies[2] - 0.8) < 1e-3)
  }
}
