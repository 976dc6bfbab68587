import Foundation

/// The triplet method of FlyingSquid (Fu et al. 2020, "Fast and three-rious: speeding up weak
/// supervision with triplet methods"; ALGORITHMS.md §2): closed-form source accuracies from
/// second moments of conditionally independent sources.
///
/// Votes are mapped to `λ ∈ {−1, +1}` with abstain = 0 and the label to `Y ∈ {−1, +1}`.
/// Assuming each source is equally accurate on both classes, `E[λ_i | Y] = a_i·Y` with
/// `a_i = E[λ_i Y]`, so `E[λ_iλ_j] = a_i a_j` for `i ≠ j` and, for every triple,
/// `|a_i| = sqrt(|E[λ_iλ_j]·E[λ_iλ_k] / E[λ_jλ_k]|)`. The estimate of `|a_i|` is the mean
/// (or, optionally, the median) over all pairs `j < k` of other sources; triples whose
/// `|E[λ_jλ_k]|` is below `minimumMoment` are skipped.
///
/// Signs: relative signs come from `sign(E[λ_iλ_r])` against the source `r` with the largest
/// `|a_r|`; the global sign is chosen so that most sources beat chance.
///
/// Class balance (our choice, documented): by the same model `E[λ_i] = a_i·E[Y]`, so
/// `E[Y]` is the least-squares fit `Σ a_i E[λ_i] / Σ a_i²` over sources, and
/// `P(y = 1) = (1 + E[Y]) / 2`.
///
/// Accuracy given a vote: `acc_i = (1 + a_i / (1 − abstain_i)) / 2`, clipped to
/// `[1e-4, 1 − 1e-4]`. Posterior: naive Bayes with those symmetric accuracies and the prior.
public struct TripletModel: LabelModel {
  /// How per-triple estimates of `|a_i|` are combined.
  public enum Aggregation: String, Sendable {
    case mean
    case median
  }

  public var aggregation: Aggregation
  public var minimumMoment: Double

  public var name: String { "triplet" }

  public init(aggregation: Aggregation = .mean, minimumMoment: Double = 1e-6) {
    self.aggregation = aggregation
    self.minimumMoment = minimumMoment
  }

  public func fit(_ votes: VoteMatrix) throws(LabelModelError) -> FittedLabelModel {
    try LabelModelKernels.validate(votes, minimumSources: 3)
    guard minimumMoment >= 0 else { throw .invalidParameter("minimumMoment must be ≥ 0") }
    let m = votes.sourceCount
    let n = Double(votes.itemCount)
    let stats = VoteStatistics(votes)
    let pairs = stats.pairCounts()
    // Second moments M[i][j] = E[λ_i λ_j] and first moments E[λ_i].
    var moment = [Double](repeating: 0, count: m * m)
    for i in 0..<m {
      for j in 0..<m where i != j {
        let base = (i * m + j) * 4
        let agree = pairs[base] + pairs[base + 3]
        let disagree = pairs[base + 1] + pairs[base + 2]
        moment[i * m + j] = Double(agree - disagree) / n
      }
    }
    let mean = (0..<m).map { Double(stats.single[2 * $0 + 1] - stats.single[2 * $0]) / n }
    let abstain = (0..<m).map {
      1 - Double(stats.single[2 * $0] + stats.single[2 * $0 + 1]) / n
    }

    var magnitude = [Double](repeating: 0, count: m)
    var estimates: [Double] = []
    for i in 0..<m {
      estimates.removeAll(keepingCapacity: true)
      for j in 0..<m where j != i {
        for k in (j + 1)..<m where k != i {
          let jk = moment[j * m + k]
          if abs(jk) <= minimumMoment { continue }
          estimates.append((abs(moment[i * m + j] * moment[i * m + k] / jk)).squareRoot())
        }
      }
      guard !estimates.isEmpty else {
        throw .degenerate("source \(votes.sources[i]): no triple with a non-zero moment")
      }
      magnitude[i] = aggregate(&estimates)
    }

    // Signs relative to the strongest source, then the global sign by "sources beat chance".
    let reference = magnitude.indices.max { magnitude[$0] < magnitude[$1] } ?? 0
    var a = magnitude
    for i in 0..<m where i != reference && moment[i * m + reference] < 0 { a[i] = -a[i] }
    let positives = a.filter { $0 > 0 }.count
    let negatives = a.filter { $0 < 0 }.count
    if negatives > positives || (negatives == positives && a.reduce(0, +) < 0) {
      a = a.map { -$0 }
    }

    let squares = a.reduce(0) { $0 + $1 * $1 }
    guard squares > 0 else { throw .degenerate("every source has zero estimated accuracy signal") }
    var expectedY = zip(a, mean).reduce(0) { $0 + $1.0 * $1.1 } / squares
    expectedY = min(max(expectedY, -0.999), 0.999)
    let balance = (1 + expectedY) / 2

    var sourceEstimates: [SourceEstimate] = []
    var weights = [Double](repeating: 0, count: 2 * m)
    for i in 0..<m {
      let voted = max(1 - abstain[i], 1e-12)
      let accuracy = min(max((1 + a[i] / voted) / 2, 1e-4), 1 - 1e-4)
      let logOdds = log(accuracy / (1 - accuracy))
      weights[2 * i + 1] = logOdds
      weights[2 * i] = -logOdds
      sourceEstimates.append(
        SourceEstimate(
          accuracy: accuracy, truePositiveRate: accuracy, trueNegativeRate: accuracy,
          abstainRate: abstain[i]))
    }
    let rule = PosteriorRule.logLinear(bias: log(balance / (1 - balance)), weights: weights)
    return FittedLabelModel(
      method: name, sources: votes.sources,
      posteriors: LabelModelKernels.posteriors(votes, rule: rule), classBalance: balance,
      sourceEstimates: sourceEstimates, iterations: 0, converged: true, rule: rule)
  }

  func aggregate(_ values: inout [Double]) -> Double {
    switch aggregation {
    case .mean:
      return values.reduce(0, +) / Double(values.count)
    case .median:
      values.sort()
      let c = values.count
      return c % 2 == 1 ? values[c / 2] : (values[c / 2 - 1] + values[c / 2]) / 2
    }
  }
}
