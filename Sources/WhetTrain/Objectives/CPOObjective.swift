import WhetTensor

/// Contrastive preference optimisation and SimPO, reference-free (TRL's experimental
/// `CPOTrainer`; defaults β = 0.1, ε = 0, γ = 0.5, `cpo_alpha` = 1).
///
/// `p̂(y)` is the summed completion log-prob for `sigmoid` and `hinge`, the token mean for `ipo`
/// and `simpo`; `z = p̂_w − p̂_l`. Per pair: `sigmoid` `−(1−ε) log σ(βz) − ε log σ(−βz)`;
/// `hinge` `max(0, 1 − βz)`; `ipo` `(z − 1/(2β))²`; `simpo` the sigmoid form of `z − γ/β`.
/// `L = mean ℓ + cpo_alpha · NLL`, the NLL the token mean over the chosen completions (Xu et
/// al. 2024, arXiv 2401.08417; SimPO: Meng et al. 2024, arXiv 2405.14734, with `cpo_alpha = 0`).
public struct CPOObjective: Sendable, Codable, Equatable {
  public enum LossType: String, Sendable, Codable, CaseIterable {
    case sigmoid, hinge, ipo, simpo
  }

  public var beta: Float = 0.1
  public var labelSmoothing: Float = 0
  public var lossType: LossType = .sigmoid
  /// γ of SimPO, the target reward margin.
  public var simpoGamma: Float = 0.5
  /// The weight of the NLL on the chosen completions.
  public var cpoAlpha: Float = 1

  public init() {}

  /// SimPO as its paper defines it: CPO's `simpo` loss without the NLL.
  public static func simPO(beta: Float = 2, gamma: Float = 0.5) -> CPOObjective {
    var o = CPOObjective()
    o.lossType = .simpo
    o.beta = beta
    o.simpoGamma = gamma
    o.cpoAlpha = 0
    return o
  }

  public func loss(_ batch: PreferenceLogProbs) throws(ObjectiveError) -> (
    loss: Variable, metrics: PreferenceMetrics
  ) {
    guard beta > 0 else { throw .invalid("beta must be positive, got \(beta)") }
    guard (0..<0.5).contains(labelSmoothing) else {
      throw .invalid("label_smoothing must be in [0, 0.5), got \(labelSmoothing)")
    }
    guard batch.count > 0 else { throw .invalid("an empty batch of pairs") }
    let averaged = lossType == .ipo || lossType == .simpo
    let pw =
      averaged
      ? batch.chosen / Variable(PreferenceLogProbs.lengths(batch.chosenTokens)) : batch.chosen
    let pl =
      averaged
      ? batch.rejected / Variable(PreferenceLogProbs.lengths(batch.rejectedTokens)) : batch.rejected
    var z = pw - pl
    let perPair: Variable
    switch lossType {
    case .sigmoid, .simpo:
      if lossType == .simpo { z = z + (-simpoGamma / beta) }
      perPair =
        -logSigmoid(z * beta) * (1 - labelSmoothing) - logSigmoid(-z * beta) * labelSmoothing
    case .hinge:
      perPair = relu(-(z * beta) + 1)
    case .ipo:
      perPair = square(z + (-1 / (2 * beta)))
    }
    let tokens = Float(max(batch.chosenTokens.reduce(0, +), 1))
    let nll = -sum(batch.chosen) * (1 / tokens)
    let total = mean(perPair) + nll * cpoAlpha
    // TRL's CPO rewards are β·p̂ (no reference).
    let zeros = Tensor.zeros([batch.count])
    let metrics = PreferenceMetrics(
      beta: beta, chosenLogRatios: pw.value.zipMap(zeros, -),
      rejectedLogRatios: pl.value.zipMap(zeros, -), chosen: pw.value, rejected: pl.value)
    return (total, metrics)
  }
}
