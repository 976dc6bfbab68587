/// Majority vote over the non-abstaining sources: the weak-supervision baseline
/// (ALGORITHMS.md §2, "Majority vote (baseline …)").
///
/// - Posterior: 1 if more sources vote positive than negative, 0 if fewer, 0.5 on a tie
///   (including items on which every source abstains).
/// - Class balance: the mean posterior.
/// - Source accuracy: expected agreement with the majority label among the source's
///   non-abstaining votes (a tie counts one half). This is agreement, not accuracy: it is
///   biased towards 0.5 when the majority label itself is noisy, and upwards for a source
///   that sways the majority; use a fitted model when calibrated accuracies matter.
public struct MajorityVoteModel: LabelModel {
  public var name: String { "majority_vote" }

  public init() {}

  public func fit(_ votes: VoteMatrix) throws(LabelModelError) -> FittedLabelModel {
    try LabelModelKernels.validate(votes, minimumSources: 1)
    let posteriors = LabelModelKernels.posteriors(votes, rule: .majority)
    let counts = LabelModelKernels.voteCounts(votes)
    let estimates = LabelModelKernels.estimatesAgainstSoftLabels(
      votes, posteriors: posteriors, counts: counts)
    let balance = posteriors.reduce(0, +) / Double(votes.itemCount)
    return FittedLabelModel(
      method: name, sources: votes.sources, posteriors: posteriors, classBalance: balance,
      sourceEstimates: estimates, iterations: 0, converged: true, rule: .majority)
  }
}
