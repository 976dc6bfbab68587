/// A label model: combines the votes of many weak sources into `P(y = 1 | votes)` without
/// any ground-truth labels (weak supervision, ALGORITHMS.md §2 step 4).
///
/// Conforming types: ``MajorityVoteModel``, ``DawidSkeneModel``, ``TripletModel``,
/// ``MatrixCompletionModel``. Every model estimates, from the votes alone, the class balance
/// `P(y = 1)` and each source's accuracy `P(vote correct | source did not abstain)`.
public protocol LabelModel: Sendable {
  /// A short stable name (`majority_vote`, `dawid_skene`, `triplet`, `metal`).
  var name: String { get }
  /// Fits the model to unlabelled votes.
  func fit(_ votes: VoteMatrix) throws(LabelModelError) -> FittedLabelModel
}

/// What a label model learned about one source.
public struct SourceEstimate: Sendable, Equatable {
  /// `P(vote = y | source voted)`: the share of its non-abstaining votes that are correct.
  public var accuracy: Double
  /// `P(vote = 1 | y = 1, source voted)`.
  public var truePositiveRate: Double
  /// `P(vote = 0 | y = 0, source voted)`.
  public var trueNegativeRate: Double
  /// Share of items on which the source abstained (observed, not estimated).
  public var abstainRate: Double

  public init(
    accuracy: Double, truePositiveRate: Double, trueNegativeRate: Double, abstainRate: Double
  ) {
    self.accuracy = accuracy
    self.truePositiveRate = truePositiveRate
    self.trueNegativeRate = trueNegativeRate
    self.abstainRate = abstainRate
  }
}

/// How a fitted model turns one item's votes into `P(y = 1 | votes)`.
public enum PosteriorRule: Sendable, Equatable {
  /// Hard majority of the non-abstaining votes: 1, 0, or 0.5 on a tie (and with no votes).
  case majority
  /// Conditionally independent sources (naive Bayes, the form shared by Dawid–Skene, the
  /// triplet method and MeTaL's `P(Y | λ) ∝ exp(L_aug · log μ + log p)`):
  /// `P(y = 1 | votes) = σ(bias + Σ_w weights[2w + vote_w])`, abstains adding nothing.
  /// `weights[2w + a] = log P(vote_w = a | y = 1) − log P(vote_w = a | y = 0)`,
  /// `bias = log P(y = 1) − log P(y = 0)`.
  case logLinear(bias: Double, weights: [Double])
}

/// The result of fitting a ``LabelModel``: posteriors for the fitted items, the estimated
/// class balance and per-source accuracies, and the rule to score new votes.
public struct FittedLabelModel: Sendable {
  /// The model's ``LabelModel/name``.
  public let method: String
  /// Source names, in vote-matrix column order.
  public let sources: [String]
  /// `P(y = 1 | votes)` for every item of the fitted matrix.
  public let posteriors: [Double]
  /// Estimated `P(y = 1)`.
  public let classBalance: Double
  /// Per-source estimates, in column order.
  public let sourceEstimates: [SourceEstimate]
  /// Optimiser or EM iterations used (0 for closed-form models).
  public let iterations: Int
  /// Whether the iterative fit met its stopping tolerance (always true for closed forms).
  public let converged: Bool
  /// The rule that maps votes to posteriors.
  public let rule: PosteriorRule

  public init(
    method: String, sources: [String], posteriors: [Double], classBalance: Double,
    sourceEstimates: [SourceEstimate], iterations: Int, converged: Bool, rule: PosteriorRule
  ) {
    self.method = method
    self.sources = sources
    self.posteriors = posteriors
    self.classBalance = classBalance
    self.sourceEstimates = sourceEstimates
    self.iterations = iterations
    self.converged = converged
    self.rule = rule
  }

  /// Estimated accuracy `P(vote correct | not abstain)` of every source, in column order.
  public var accuracies: [Double] { sourceEstimates.map(\.accuracy) }

  /// Hard labels (`posterior > 0.5`; a posterior of exactly 0.5 gives `nil`).
  public var labels: [Int?] { posteriors.map { $0 > 0.5 ? 1 : ($0 < 0.5 ? 0 : nil) } }

  /// `P(y = 1 | votes)` for new items voted on by the same sources, in the same order.
  public func posteriors(for votes: VoteMatrix) throws(LabelModelError) -> [Double] {
    guard votes.sources == sources else {
      throw .sourceMismatch(expected: sources, got: votes.sources)
    }
    return LabelModelKernels.posteriors(votes, rule: rule)
  }
}
