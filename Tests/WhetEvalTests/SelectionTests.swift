import Testing
import WhetEval
import WhetRewards
import WhetTensor

@Suite struct SelectionTests {
  let groups = QueryGroups(queryOfItem: [0, 0, 0, 1, 1, 1])

  @Test func bestOfNBySourceColumn() throws {
    let matrix = ScoreMatrix(
      sources: ["rm", "judge"],
      values: [[0.1, 5], [0.7, 1], [0.7, 2], [nil, 3], [0.2, nil], [0.9, 3]])
    // Ties go to the lowest index; nil scores are skipped.
    #expect(try CandidateSelection.bestOfN(source: "rm", in: matrix, groups: groups) == [1, 5])
    #expect(try CandidateSelection.bestOfN(source: "judge", in: matrix, groups: groups) == [0, 3])
    #expect(throws: SelectionError.unknownSource("nope")) {
      try CandidateSelection.bestOfN(source: "nope", in: matrix, groups: groups)
    }
    #expect(throws: SelectionError.self) {
      try CandidateSelection.bestOfN(scores: [1, 2], groups: groups)
    }
  }

  @Test func majorityAndWeightedVote() throws {
    let answers: [String?] = ["4", "5", "5", "7", nil, "8"]
    // Group 0: "5" twice wins, first given by item 1; group 1: 1–1 tie → first seen "7".
    #expect(try CandidateSelection.majorityVote(answers: answers, groups: groups) == [1, 3])
    // Weights: "4" gets 3.0 against 0.5 + 0.5 for "5"; "8" gets 2 against 1 for "7".
    let weights = [3.0, 0.5, 0.5, 1, 9, 2]
    #expect(
      try CandidateSelection.weightedVote(answers: answers, weights: weights, groups: groups)
        == [0, 5])
    let none: [String?] = [nil, nil, nil, "1", "1", "2"]
    #expect(try CandidateSelection.majorityVote(answers: none, groups: groups) == [nil, 3])
    #expect(throws: SelectionError.invalidWeight(index: 1)) {
      try CandidateSelection.weightedVote(
        answers: answers, weights: [1, .nan, 1, 1, 1, 1], groups: groups)
    }
  }

  @Test func selectionAccuracy() throws {
    let correct = [false, true, false, true, false, false]
    #expect(try CandidateSelection.accuracy(selected: [1, 4], correct: correct) == 0.5)
    #expect(try CandidateSelection.accuracy(selected: [nil, 3], correct: correct) == 0.5)
  }

  /// Weaver selection (Dawid–Skene label model) against the plain majority of the same
  /// binarised verifiers, on 500 queries × 8 candidates with 3 good and 7 poor verifiers
  /// (verifier w scores N(d_w·correct, 1)).
  @Test func weaverBeatsMajorityVote() throws {
    var rng = SeededGenerator(seed: 21)
    let separations: [Double] = [2.5, 2.2, 1.8, 0.4, 0.35, 0.3, 0.3, 0.25, 0.2, 0.2]
    let queries = 500
    let candidates = 8
    var correct: [Bool] = []
    var rows: [[Double?]] = []
    for _ in 0..<(queries * candidates) {
      let c = rng.nextUniformDouble() < 0.3
      correct.append(c)
      rows.append(separations.map { d in (c ? d : 0) + Double(rng.nextNormal()) })
    }
    let scores = ScoreMatrix(sources: separations.indices.map { "v\($0)" }, values: rows)
    let groups = try QueryGroups(itemCount: queries * candidates, candidatesPerQuery: candidates)

    let weaver = try CandidateSelection.weaver(
      scores: scores, groups: groups,
      pipeline: WeaverPipeline(labelModel: DawidSkeneModel(), binarisation: .positiveRate(0.3)))
    let majority = try CandidateSelection.weaver(
      scores: scores, groups: groups,
      pipeline: WeaverPipeline(labelModel: MajorityVoteModel(), binarisation: .positiveRate(0.3)))
    let weaverAccuracy = try CandidateSelection.accuracy(
      selected: weaver.selected, correct: correct)
    let majorityAccuracy = try CandidateSelection.accuracy(
      selected: majority.selected, correct: correct)
    #expect(weaverAccuracy > majorityAccuracy + 0.08, "\(weaverAccuracy) vs \(majorityAccuracy)")
    // Best-of-N by the single best verifier is a strong baseline too; Weaver should be close.
    let single = try CandidateSelection.bestOfN(source: "v0", in: scores, groups: groups)
    let singleAccuracy = try CandidateSelection.accuracy(selected: single, correct: correct)
    #expect(weaverAccuracy >= singleAccuracy - 0.02, "\(weaverAccuracy) vs \(singleAccuracy)")
  }
}
