import WhetTensor

/// Supervised fine-tuning: the mean negative log-likelihood of the tokens the loss mask keeps
/// (completion-only or assistant-only), over the whole batch (TRL's `SFTTrainer` averages over
/// the batch's kept tokens).
public struct SFTObjective: Sendable, Codable, Equatable {
  public init() {}

  /// - Parameters: `tokenLogProbs` `[N]` target log-probs; `mask` `[N]`, 1 for kept tokens.
  public func loss(tokenLogProbs: Variable, mask: Tensor) throws(ObjectiveError) -> Variable {
    guard tokenLogProbs.value.count == mask.count else {
      throw .invalid("\(mask.count) mask entries for \(tokenLogProbs.value.count) tokens")
    }
    guard mask.sum() > 0 else { throw .invalid("no token of the batch is trained on") }
    return -maskedMean(tokenLogProbs, mask: mask)
  }
}
