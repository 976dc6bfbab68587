import WhetTensor

/// Odds-ratio preference optimisation, reference-free (Hong et al. 2024, arXiv 2403.07691), as
/// TRL's experimental `ORPOTrainer` computes it (λ = `beta` = 0.1).
///
/// With `ā` the token-mean completion log-prob, the log odds ratio is
/// `LO = (ā_w − ā_l) − [log(1 − e^ā_w) − log(1 − e^ā_l)]` and
/// `L = NLL − λ·mean log σ(LO)`, where the NLL is the token mean over the chosen rows'
/// **prompt and completion** tokens.
public struct ORPOObjective: Sendable, Codable, Equatable {
  public var beta: Float = 0.1

  public init() {}

  /// - Parameters:
  ///   - promptLogProbs: `[P]` summed log-probs of each chosen row's predicted prompt tokens.
  ///   - promptTokens: how many prompt tokens each sum covers.
  public func loss(_ batch: PreferenceLogProbs, promptLogProbs: Variable, promptTokens: [Int])
    throws(ObjectiveError) -> (loss: Variable, metrics: PreferenceMetrics, logOddsRatio: Float)
  {
    guard beta > 0 else { throw .invalid("beta must be positive, got \(beta)") }
    guard batch.count > 0, promptTokens.count == batch.count else {
      throw .invalid("ORPO needs one prompt log-prob per pair")
    }
    let aw = batch.chosen / Variable(PreferenceLogProbs.lengths(batch.chosenTokens))
    let al = batch.rejected / Variable(PreferenceLogProbs.lengths(batch.rejectedTokens))
    let logOdds = (aw - al) - (log1mexp(aw) - log1mexp(al))
    let ratio = logSigmoid(logOdds)
    let tokens = Float(max(batch.chosenTokens.reduce(0, +) + promptTokens.reduce(0, +), 1))
    let nll = -(sum(batch.chosen) + sum(promptLogProbs)) * (1 / tokens)
    let total = nll - mean(ratio) * beta
    let zeros = Tensor.zeros([batch.count])
    let metrics = PreferenceMetrics(
      beta: beta, chosenLogRatios: aw.value.zipMap(zeros, -),
      rejectedLogRatios: al.value.zipMap(zeros, -), chosen: aw.value, rejected: al.value)
    return (total, metrics, ratio.value.sum() / Float(batch.count))
  }
}
