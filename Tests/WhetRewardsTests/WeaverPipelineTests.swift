import Foundation
import Testing
import WhetRewards

@Suite struct WeaverPipelineTests {
  /// 500 queries × 8 candidates, 3 good and 7 poor verifiers: Weaver with a fitted label
  /// model weights the good verifiers up and must beat the unweighted verifier majority.
  @Test func weaverBeatsVerifierMajorityVote() throws {
    let data = SyntheticBestOfN()
    let majority = try WeaverPipeline(
      labelModel: MajorityVoteModel(), binarisation: .positiveRate(0.3)
    ).run(data.scores, groups: data.groups)
    let majorityAccuracy = data.accuracy(majority.selected)
    for model in [DawidSkeneModel(), MatrixCompletionModel()] as [any LabelModel] {
      let weaver = try WeaverPipeline(labelModel: model, binarisation: .positiveRate(0.3))
        .run(data.scores, groups: data.groups)
      let accuracy = data.accuracy(weaver.selected)
      // Observed: 0.922 (Dawid–Skene, MeTaL) against 0.780 for majority vote.
      #expect(
        accuracy > majorityAccuracy + 0.08, "\(model.name): \(accuracy) vs \(majorityAccuracy)")
      // The label model ranks the three good verifiers above every poor one.
      let accuracies = weaver.fitted.accuracies
      #expect(accuracies[0..<3].min()! > accuracies[3...].max()!, "\(model.name)")
    }
  }

  @Test func dropsNearConstantSources() throws {
    // Source "flat" is constant, "rare" is positive on 1 of 20 items; both must go.
    var rows: [[Double?]] = []
    for i in 0..<20 {
      rows.append([Double(i % 2), Double(i % 3 == 0 ? 1 : 0), 0.3, i == 7 ? 1 : 0, Double(i % 2)])
    }
    let scores = ScoreMatrix(sources: ["a", "b", "flat", "rare", "c"], values: rows)
    let groups = try QueryGroups(itemCount: 20, candidatesPerQuery: 4)
    let result = try WeaverPipeline(labelModel: DawidSkeneModel()).run(scores, groups: groups)
    #expect(result.dropped.map(\.name) == ["flat", "rare"])
    // A constant column carries no information: it abstains everywhere, so it casts no vote.
    #expect(result.dropped[0].positiveRate == nil)
    #expect(result.dropped[1].positiveRate == 0.05)
    #expect(result.votes.sources == ["a", "b", "c"])
    #expect(result.selected.count == 5)
    #expect(result.scores.count == 20)
  }

  @Test func failsWhenEverySourceIsDropped() throws {
    let scores = ScoreMatrix(sources: ["flat"], values: [[1], [1], [1], [1]])
    let groups = try QueryGroups(itemCount: 4, candidatesPerQuery: 2)
    #expect(throws: WeaverError.noSourcesLeft(dropped: ["flat"])) {
      try WeaverPipeline().run(scores, groups: groups)
    }
  }

  @Test func addsTheMajorityVoteAsASource() throws {
    let data = SyntheticBestOfN(queries: 50)
    let result = try WeaverPipeline(binarisation: .positiveRate(0.3), addMajorityVoteSource: true)
      .run(data.scores, groups: data.groups)
    #expect(result.votes.sources.last == "majority_vote")
    #expect(result.votes.sourceCount == 11)
  }

  @Test func minMaxAndQuantileNormalisation() throws {
    let minMax = ScoreNormaliser.minMax([2, 4, nil, 6, .nan])
    #expect(minMax[0] == 0)
    #expect(minMax[1] == 0.5)
    #expect(minMax[2] == nil)
    #expect(minMax[3] == 1)
    #expect(minMax[4]!.isNaN)
    #expect(ScoreNormaliser.minMax([3, 3, nil]) == [nil, nil, nil])
    // Mid-ranks 0, 1.5, 1.5, 3 over 3.
    #expect(ScoreNormaliser.quantile([10, 20, 20, 30]) == [0, 0.5, 0.5, 1])
    #expect(ScoreNormaliser.quantile([30, nil, 10]) == [1, nil, 0])
  }

  /// A query whose scores are all equal is an abstention under every normalisation: before,
  /// quantile gave every candidate rank 0.5 (so threshold 0.5 voted them all correct) and
  /// min-max gave 0.
  @Test(arguments: [
    ScoreNormalisation.none, .minMax, .quantile, .winsorisedMinMax(lower: 0.05, upper: 0.95),
  ])
  func tiedQueriesAbstainUnderEveryNormalisation(_ method: ScoreNormalisation) throws {
    // Query 0: a verifier rejecting all three candidates; query 1: 0, 1, 1; query 2: one value.
    let column: [Double?] = [0, 0, 0, 0, 1, 1, 0.7, nil]
    let groups = QueryGroups(queryOfItem: [0, 0, 0, 1, 1, 1, 2, 2])
    let out = try ScoreNormaliser.normalise(
      column, method: method, scope: .perQuery, groups: groups)
    #expect(Array(out[0..<3]) == [nil, nil, nil])
    #expect(Array(out[6..<8]) == [nil, nil])
    // Query 1 is informative: min-max, winsorised and quantile all map 0 → 0 and 1 → 1
    // (quantile: mid-ranks 0, 1.5, 1.5 over 2 → 0, 0.75, 0.75).
    let expected: [Double?] = method == .quantile ? [0, 0.75, 0.75] : [0, 1, 1]
    #expect(Array(out[3..<6]) == expected)
    // Binarised at 0.5, query 0 casts no vote at all (abstentions), never three positives.
    let pipeline = WeaverPipeline(normalisation: method, scope: .perQuery)
    let normalised = try pipeline.normalise(
      ScoreMatrix(sources: ["v"], values: column.map { [$0] }), groups: groups)
    let votes = try VoteMatrix(binarising: normalised, thresholds: [0.5])
    #expect(Array(votes.codes[0..<3]) == [2, 2, 2])
    // The same all-equal column over all items (global scope) abstains too.
    #expect(try ScoreNormaliser.normalise([4, 4, 4], method: method) == [nil, nil, nil])
  }

  @Test func winsorisedMinMax() throws {
    // 0…100: the 5% / 95% quantiles are 5 and 95, so x ↦ (clip(x, 5, 95) − 5) / 90.
    let values = (0...100).map { Optional(Double($0)) }
    let out = try ScoreNormaliser.winsorisedMinMax(values)
    #expect(out[0] == 0)
    #expect(out[3] == 0)
    #expect(abs(out[14]! - 0.1) < 1e-12)
    #expect(abs(out[50]! - 0.5) < 1e-12)
    #expect(out[100] == 1)
    #expect(throws: WeaverError.self) {
      try ScoreNormaliser.winsorisedMinMax(values, lower: 0.9, upper: 0.1)
    }
    #expect(ScoreNormaliser.percentile(sorted: [1, 2, 3, 4], 0.5) == 2.5)
  }

  @Test func perQueryNormalisation() throws {
    let groups = QueryGroups(queryOfItem: [7, 7, 3, 3, 7])
    #expect(groups.ids == [7, 3])
    #expect(groups.members == [[0, 1, 4], [2, 3]])
    let out = try ScoreNormaliser.normalise(
      [1, 3, 10, 30, 2], method: .minMax, scope: .perQuery, groups: groups)
    #expect(out == [0, 1, 0, 1, 0.5])
    #expect(throws: WeaverError.self) {
      try ScoreNormaliser.normalise([1], method: .minMax, scope: .perQuery, groups: nil)
    }
  }

  @Test func positiveRateBinarisationAndMissingScores() throws {
    // One source, scores 0, 1/9, …, 1: the 0.7 quantile is 0.7, so 7/9, 8/9 and 1 vote 1.
    let values = (0..<10).map { [Optional(Double($0) / 9)] }
    let scores = ScoreMatrix(sources: ["s"], values: values)
    let pipeline = WeaverPipeline(normalisation: .none, binarisation: .positiveRate(0.3))
    let thresholds = try pipeline.thresholds(scores)
    #expect(abs(thresholds[0] - 0.7) < 1e-12)
    let votes = try VoteMatrix(binarising: scores, thresholds: thresholds)
    #expect(votes.codes == [0, 0, 0, 0, 0, 0, 0, 1, 1, 1])

    // NaN → 0 by default (Weaver), abstentions stay abstentions.
    let missing = ScoreMatrix(sources: ["s"], values: [[.nan], [nil], [4], [2]])
    let filled = try WeaverPipeline().normalise(missing, groups: nil)
    #expect(filled.values.map { $0[0] } == [0, nil, 1, 0])
    let abstaining = try WeaverPipeline(nanScores: .abstain).normalise(missing, groups: nil)
    #expect(abstaining.values.map { $0[0] } == [nil, nil, 1, 0])
    let zeroed = try WeaverPipeline(abstentions: .fill(3)).normalise(missing, groups: nil)
    #expect(zeroed.values.map { $0[0] } == [0, 0.5, 1, 0])
  }

  @Test func groupArgmaxTiesAndMissingScores() throws {
    let groups = QueryGroups(queryOfItem: [0, 0, 0, 1, 1])
    #expect(try groups.argmax([0.2, 0.9, 0.9, nil, .nan]) == [1, nil])
    #expect(throws: WeaverError.self) { try groups.argmax([1]) }
    #expect(throws: WeaverError.self) { try QueryGroups(itemCount: 5, candidatesPerQuery: 2) }
  }

  @Test func rewardTransform() throws {
    // log σ(1) = −log(1 + e^{−1}) = −0.31326168751822286.
    #expect(abs(RewardTransforms.logSigmoid(2, reference: 1) - (-0.31326168751822286)) < 1e-15)
    // log σ(0) = −log 2.
    #expect(abs(RewardTransforms.logSigmoid(5, reference: 5) + log(2)) < 1e-15)
    // Stable in both tails: log σ(−800) = −800 − log(1 + e^{−800}) ≈ −800; log σ(800) ≈ 0.
    #expect(RewardTransforms.logSigmoid(-800, reference: 0) == -800)
    #expect(RewardTransforms.logSigmoid(800, reference: 0) == 0)
    // Sum over properties: log σ(1) + log σ(0) = −0.31326168751822286 − 0.6931471805599453.
    let combined = try RewardTransforms.combined([2, 0], references: [1, 0])
    #expect(abs(combined - (-1.0064088680781682)) < 1e-14)
    #expect(throws: WeaverError.self) { try RewardTransforms.combined([1], references: []) }
  }

  @Test func noisyVerifierCorrection() throws {
    // ρ0 = 0.1, ρ1 = 0.2: r̂(1) = 0.9 / 0.7 = 1.2857142857…, r̂(0) = −0.1 / 0.7 = −0.142857…
    let one = try RewardTransforms.correctNoisyVerifier(
      1, falsePositiveRate: 0.1, falseNegativeRate: 0.2)
    let zero = try RewardTransforms.correctNoisyVerifier(
      0, falsePositiveRate: 0.1, falseNegativeRate: 0.2)
    #expect(abs(one - 9.0 / 7.0) < 1e-15)
    #expect(abs(zero + 1.0 / 7.0) < 1e-15)
    // Unbiased: E[r̂ | y = 1] = 0.8·r̂(1) + 0.2·r̂(0) = 1 and E[r̂ | y = 0] = 0.1·r̂(1) + 0.9·r̂(0) = 0.
    #expect(abs(0.8 * one + 0.2 * zero - 1) < 1e-15)
    #expect(abs(0.1 * one + 0.9 * zero) < 1e-15)
    #expect(throws: WeaverError.self) {
      try RewardTransforms.correctNoisyVerifier(1, falsePositiveRate: 0.6, falseNegativeRate: 0.4)
    }
    let estimate = SourceEstimate(
      accuracy: 0.85, truePositiveRate: 0.8, trueNegativeRate: 0.9, abstainRate: 0)
    #expect(abs(try RewardTransforms.correctNoisyVerifier(1, estimate: estimate) - one) < 1e-12)
  }

  @Test func standardisedRewards() {
    #expect(RewardTransforms.standardised([1, 3]) == [-1, 1])
    #expect(RewardTransforms.standardised([2, 2]) == [0, 0])
  }
}
