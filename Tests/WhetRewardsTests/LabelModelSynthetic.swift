import WhetRewards
import WhetTensor

/// Synthetic weak-supervision data: conditionally independent sources with known accuracies.
struct SyntheticVotes {
  var votes: VoteMatrix
  var labels: [Int]
  /// Accuracies the votes were drawn with.
  var accuracies: [Double]
  var classBalance: Double

  /// `items` labels drawn with `P(y = 1) = classBalance`; source `w` abstains with
  /// probability `abstain`, otherwise votes `y` with probability `accuracies[w]` (on both
  /// classes) and `1 − y` otherwise.
  init(items: Int, accuracies: [Double], abstain: Double, classBalance: Double, seed: UInt64) {
    var rng = SeededGenerator(seed: seed)
    let m = accuracies.count
    var codes = [UInt8](repeating: Vote.abstain.rawValue, count: items * m)
    var labels = [Int](repeating: 0, count: items)
    for i in 0..<items {
      let y = rng.nextUniformDouble() < classBalance ? 1 : 0
      labels[i] = y
      for w in 0..<m {
        if rng.nextUniformDouble() < abstain { continue }
        let correct = rng.nextUniformDouble() < accuracies[w]
        codes[i * m + w] = UInt8(correct ? y : 1 - y)
      }
    }
    self.votes = try! VoteMatrix(
      sources: (0..<m).map { "source\($0)" }, itemCount: items, codes: codes)
    self.labels = labels
    self.accuracies = accuracies
    self.classBalance = classBalance
  }

  /// The standard recovery set: 10,000 items, 10 sources with accuracies evenly spread over
  /// 0.55…0.9, 20% abstentions, class balance 0.35.
  static let standard = SyntheticVotes(
    items: 10_000, accuracies: (0..<10).map { 0.55 + 0.35 * Double($0) / 9 }, abstain: 0.2,
    classBalance: 0.35, seed: 1)

  /// Largest `|estimated − true|` source accuracy.
  func accuracyError(_ fitted: FittedLabelModel) -> Double {
    zip(fitted.accuracies, accuracies).map { abs($0 - $1) }.max() ?? .infinity
  }

  /// Share of items whose hard label (posterior > 0.5) matches the truth.
  func labelAccuracy(_ fitted: FittedLabelModel) -> Double {
    let hits = zip(fitted.posteriors, labels).filter { ($0 > 0.5 ? 1 : 0) == $1 }.count
    return Double(hits) / Double(labels.count)
  }

  /// The empirical share of positive labels.
  var empiricalBalance: Double { Double(labels.reduce(0, +)) / Double(labels.count) }
}

/// A synthetic best-of-N set: `queries × candidates`, each candidate correct with probability
/// `correctRate`; verifier `w` scores a candidate `N(separation_w·correct, 1)`. A few good
/// verifiers (large separation) and many poor ones.
struct SyntheticBestOfN {
  var scores: ScoreMatrix
  var correct: [Bool]
  var groups: QueryGroups

  static let separations: [Double] = [2.5, 2.0, 1.8, 0.4, 0.35, 0.3, 0.3, 0.25, 0.2, 0.2]

  init(
    queries: Int = 500, candidates: Int = 8, correctRate: Double = 0.3,
    separations: [Double] = SyntheticBestOfN.separations, seed: UInt64 = 11
  ) {
    var rng = SeededGenerator(seed: seed)
    var correct: [Bool] = []
    var rows: [[Double?]] = []
    for _ in 0..<(queries * candidates) {
      let c = rng.nextUniformDouble() < correctRate
      correct.append(c)
      rows.append(separations.map { d in (c ? d : 0) + Double(rng.nextNormal()) })
    }
    self.scores = ScoreMatrix(sources: separations.indices.map { "verifier\($0)" }, values: rows)
    self.correct = correct
    self.groups = try! QueryGroups(itemCount: queries * candidates, candidatesPerQuery: candidates)
  }

  /// Share of queries whose selected candidate is correct.
  func accuracy(_ selected: [Int?]) -> Double {
    Double(selected.filter { $0.map { correct[$0] } ?? false }.count) / Double(selected.count)
  }
}
