import Testing
import WhetEval
import WhetRewards

@Suite struct MetricTests {
  @Test func passAtKByHand() throws {
    // n = 5, c = 2, k = 2: 1 − C(3, 2)/C(5, 2) = 1 − 3/10 = 0.7.
    #expect(abs(try EvalMetrics.passAtK(n: 5, c: 2, k: 2) - 0.7) < 1e-15)
    // k = 1 is the share of correct samples: 3/10.
    #expect(abs(try EvalMetrics.passAtK(n: 10, c: 3, k: 1) - 0.3) < 1e-15)
    // n = 10, c = 5, k = 3: 1 − C(5, 3)/C(10, 3) = 1 − 10/120 = 0.91666….
    #expect(abs(try EvalMetrics.passAtK(n: 10, c: 5, k: 3) - 11.0 / 12.0) < 1e-15)
    // n − c < k: every 4-subset of 4 samples contains the correct one.
    #expect(try EvalMetrics.passAtK(n: 4, c: 1, k: 4) == 1)
    #expect(try EvalMetrics.passAtK(n: 8, c: 0, k: 3) == 0)
    #expect(try EvalMetrics.passAtK(n: 3, c: 3, k: 1) == 1)
  }

  @Test func passAtKIsStableForLargeN() throws {
    // C(200, 100) ≈ 9e58 and C(1000, 50) ≈ 1e85; the product form needs neither.
    // Exact values from rational arithmetic: 1 − C(190, 100)/C(200, 100) and
    // 1 − C(993, 50)/C(1000, 50).
    #expect(abs(try EvalMetrics.passAtK(n: 200, c: 10, k: 100) - 0.9992289739372822) < 1e-13)
    #expect(abs(try EvalMetrics.passAtK(n: 1000, c: 7, k: 50) - 0.3024375700358424) < 1e-13)
  }

  @Test func passAtKRejectsBadCounts() throws {
    #expect(throws: MetricError.self) { try EvalMetrics.passAtK(n: 5, c: 6, k: 1) }
    #expect(throws: MetricError.self) { try EvalMetrics.passAtK(n: 5, c: 2, k: 0) }
    #expect(throws: MetricError.self) { try EvalMetrics.passAtK(n: 5, c: 2, k: 6) }
    #expect(throws: MetricError.self) { try EvalMetrics.passAtK(n: 0, c: 0, k: 1) }
    // Mean over problems: (0.7 + 1) / 2.
    #expect(abs(try EvalMetrics.meanPassAtK([(5, 2), (2, 2)], k: 2) - 0.85) < 1e-15)
  }

  @Test func pairAccuracyCountsTiesAsWrong() throws {
    // 1 > 0 ✓, 2 = 2 tie ✗, 3 < 4 ✗, 0.5 > 0.4 ✓ → 2/4.
    let accuracy = try EvalMetrics.pairAccuracy(chosen: [1, 2, 3, 0.5], rejected: [0, 2, 4, 0.4])
    #expect(accuracy == 0.5)
    #expect(throws: MetricError.lengthMismatch(expected: 2, got: 1)) {
      try EvalMetrics.pairAccuracy(chosen: [1, 2], rejected: [0])
    }
    #expect(throws: MetricError.notANumber(index: 0)) {
      try EvalMetrics.pairAccuracy(chosen: [.nan], rejected: [0])
    }
    #expect(
      try EvalMetrics.rankingAccuracy(chosenLogProbs: [-1, -5], rejectedLogProbs: [-2, -3]) == 0.5)
  }

  @Test func bestOfFourWithTies() throws {
    // Clear win 1; tied with one rejected at the max 1/2; four-way tie 1/4; below the max 0.
    // Mean (1 + 0.5 + 0.25 + 0) / 4 = 0.4375.
    let accuracy = try EvalMetrics.bestOfFourAccuracy(
      chosen: [0.9, 0.5, 0.7, 0.2],
      rejected: [[0.1, 0.2, 0.3], [0.5, 0.1, 0.2], [0.7, 0.7, 0.7], [0.9, 0.1, 0.1]])
    #expect(accuracy == 0.4375)
    #expect(throws: MetricError.self) {
      try EvalMetrics.bestOfFourAccuracy(chosen: [1], rejected: [[0, 0]])
    }
    #expect(try EvalMetrics.bestOfNCredit(chosen: 2, rejected: [2]) == 0.5)
  }

  @Test func sectionScoreIsPromptWeighted() throws {
    // (0.9·100 + 0.5·300) / 400 = 0.6.
    #expect(abs(try EvalMetrics.sectionScore([(0.9, 100), (0.5, 300)]) - 0.6) < 1e-15)
    #expect(throws: MetricError.empty) { try EvalMetrics.sectionScore([]) }
  }

  @Test func brierScore() throws {
    // ((0.9 − 1)² + (0.2 − 0)² + (0.6 − 0)²) / 3 = (0.01 + 0.04 + 0.36) / 3 = 0.13666….
    let brier = try EvalMetrics.brierScore(
      probabilities: [0.9, 0.2, 0.6], labels: [true, false, false])
    #expect(abs(brier - 0.41 / 3) < 1e-15)
    #expect(throws: MetricError.self) {
      try EvalMetrics.brierScore(probabilities: [1.2], labels: [true])
    }
  }

  @Test func expectedCalibrationErrorOnATinyExample() throws {
    let p = [0.05, 0.15, 0.18, 0.95, 1.0]
    let y = [false, true, false, true, true]
    // 10 bins: bin 0 {0.05}: |0 − 0.05|; bin 1 {0.15, 0.18}: |1 − 0.33|; bin 9 {0.95, 1.0}
    // (1.0 falls in the last bin): |2 − 1.95|. ECE = (0.05 + 0.67 + 0.05) / 5 = 0.154.
    let ece = try EvalMetrics.expectedCalibrationError(probabilities: p, labels: y)
    #expect(abs(ece - 0.154) < 1e-12)
    // 2 bins: [0, 0.5) holds 0.05, 0.15, 0.18 (sum 0.38, 1 positive); [0.5, 1] holds 0.95, 1.0.
    // ECE = (|1 − 0.38| + |2 − 1.95|) / 5 = 0.134.
    let coarse = try EvalMetrics.expectedCalibrationError(probabilities: p, labels: y, bins: 2)
    #expect(abs(coarse - 0.134) < 1e-12)
    // Perfect calibration within every bin gives 0.
    #expect(
      try EvalMetrics.expectedCalibrationError(
        probabilities: [0.5, 0.5], labels: [true, false]) == 0)
    #expect(throws: MetricError.self) {
      try EvalMetrics.expectedCalibrationError(probabilities: p, labels: y, bins: 0)
    }
    #expect(throws: MetricError.notANumber(index: 0)) {
      try EvalMetrics.expectedCalibrationError(probabilities: [.nan], labels: [true])
    }
  }

  @Test func accuracy() throws {
    #expect(try EvalMetrics.accuracy(predictions: [1, 0, 1, 1], labels: [1, 1, 1, 0]) == 0.5)
    #expect(throws: MetricError.empty) {
      try EvalMetrics.accuracy(predictions: [Int](), labels: [])
    }
  }
}

@Suite struct CandidatePairsTests {
  /// Query 0: one right, three wrong; query 1: two right, one wrong.
  @Test func pairsAndBestOfFourByHand() throws {
    let groups = QueryGroups(queryOfItem: [0, 0, 0, 0, 1, 1, 1])
    let correct = [true, false, false, false, true, true, false]
    let pairs = CandidatePairs(correct: correct, groups: groups)
    #expect(
      pairs.pairs.map { [$0.chosen, $0.rejected] } == [[0, 1], [0, 2], [0, 3], [4, 6], [5, 6]])
    #expect(pairs.quadruples.map(\.chosen) == [0] && pairs.quadruples[0].rejected == [1, 2, 3])
    // 0.9 > 0.5 yes, 0.9 > 0.9 no (a tie), 0.9 > 0.1 yes, 0.2 > 0.3 no, 0.8 > 0.3 yes: 3 of 5.
    let scores: [Double?] = [0.9, 0.5, 0.9, 0.1, 0.2, 0.8, 0.3]
    #expect(try pairs.pairAccuracy(scores) == 0.6)
    // The chosen 0.9 ties one rejected at the top: half credit.
    #expect(try pairs.bestOfFourAccuracy(scores) == 0.5)
    // Unscored items drop their pairs: only (0, 1) and (0, 3) remain, both won.
    let partial: [Double?] = [0.9, 0.5, nil, 0.1, nil, nil, 0.3]
    #expect(try pairs.pairAccuracy(partial) == 1)
    #expect(try pairs.bestOfFourAccuracy(partial) == nil)
  }
}

@Suite struct AUROCTests {
  @Test func rankStatisticByHand() throws {
    // Positives 0.35 and 0.8 against negatives 0.1 and 0.4: 3 of the 4 pairs are ordered.
    #expect(
      try EvalMetrics.auroc(scores: [0.1, 0.4, 0.35, 0.8], labels: [false, false, true, true])
        == 0.75)
    // The positive 1 ties one negative (½) and beats the other (1): 1.5 / 2.
    #expect(try EvalMetrics.auroc(scores: [1, 1, 0], labels: [true, false, false]) == 0.75)
    #expect(try EvalMetrics.auroc(scores: [3, 2], labels: [false, true]) == 0)
    #expect(try EvalMetrics.auroc(scores: [1, 2], labels: [true, true]) == nil)
    #expect(throws: MetricError.self) {
      try EvalMetrics.auroc(scores: [.nan, 1], labels: [true, false])
    }
  }
}
