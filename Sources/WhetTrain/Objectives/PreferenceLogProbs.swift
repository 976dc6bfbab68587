import WhetTensor

/// The summed completion log-probs of a batch of `P` preference pairs: the policy's, which
/// carry the gradient, and the reference's, computed once without one.
///
/// `chosen[i] = Σ_t log π(y_w,t | x, y_w,<t)` over the completion tokens of pair `i` (prompt and
/// padding masked), likewise `rejected`; `chosenTokens`/`rejectedTokens` are `|y|`.
public struct PreferenceLogProbs {
  /// `[P]` policy log-probs of the chosen completions.
  public var chosen: Variable
  /// `[P]` policy log-probs of the rejected completions.
  public var rejected: Variable
  /// `[P]` reference log-probs of the chosen completions (zeros for reference-free losses).
  public var referenceChosen: Tensor
  /// `[P]` reference log-probs of the rejected completions.
  public var referenceRejected: Tensor
  /// Completion tokens of each chosen completion.
  public var chosenTokens: [Int]
  /// Completion tokens of each rejected completion.
  public var rejectedTokens: [Int]

  public init(
    chosen: Variable, rejected: Variable, referenceChosen: Tensor, referenceRejected: Tensor,
    chosenTokens: [Int], rejectedTokens: [Int]
  ) {
    self.chosen = chosen
    self.rejected = rejected
    self.referenceChosen = referenceChosen
    self.referenceRejected = referenceRejected
    self.chosenTokens = chosenTokens
    self.rejectedTokens = rejectedTokens
  }

  /// The number of pairs.
  public var count: Int { chosen.value.count }

  /// `u_w = log π(y_w) − log π_ref(y_w)`, `[P]`.
  public var chosenLogRatios: Variable { chosen - Variable(referenceChosen) }
  /// `u_l`, `[P]`.
  public var rejectedLogRatios: Variable { rejected - Variable(referenceRejected) }

  /// `|y|` floored at 1, as a `[P]` tensor to divide by.
  static func lengths(_ tokens: [Int]) -> Tensor {
    Tensor(shape: [tokens.count], scalars: tokens.map { Float(max($0, 1)) })
  }
}
