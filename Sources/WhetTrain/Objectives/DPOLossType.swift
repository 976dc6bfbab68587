import Foundation
import WhetTensor

/// The per-pair losses of DPO and its variants, as TRL's `DPOTrainer` computes them for
/// `loss_type` (see `LOSSES.md`). Each is a small pure function of the pair scores.
///
/// Notation: `u` log-ratios (policy − reference), `s = g(u)` their f-divergence scores,
/// `Δ = s_w − s_l`, `β` the temperature, `ε` the label smoothing.
public enum DPOLossType: String, Sendable, Codable, CaseIterable {
  /// `−log σ(βΔ)` (Rafailov et al. 2023, arXiv 2305.18290).
  case sigmoid
  /// `max(0, 1 − βΔ)` (SLiC, Zhao et al. 2023, arXiv 2305.10425).
  case hinge
  /// `(s_w/|y_w| − s_l/|y_l| − 1/(2β))²` (IPO, Azar et al. 2023, arXiv 2310.12036).
  case ipo
  /// EXO-pref, `q(log q − log(1−ε)) + (1−q)(log(1−q) − log ε)`, `q = σ(βΔ)` (Ji et al. 2024,
  /// arXiv 2402.00856). Needs `ε > 0`.
  case exoPair = "exo_pair"
  /// `−log σ(βu_w) − ½ log σ(−βu_w) − ½ log σ(−βu_l)` (NCA, Chen et al. 2024, arXiv 2402.05369).
  case ncaPair = "nca_pair"
  /// `[−(1−ε) log σ(βΔ) + ε log σ(−βΔ)] / (1 − 2ε)` (robust DPO, Chowdhury et al. 2024,
  /// arXiv 2403.00409).
  case robust
  /// `−log σ(βu_w) − log σ(−βu_l)` (BCO, Jung et al. 2024, arXiv 2404.04656).
  case bcoPair = "bco_pair"
  /// `(u_w − 1/(2β))² + (u_l + 1/(2β))²` (SPPO hard, Wu et al. 2024, arXiv 2405.00675).
  case sppoHard = "sppo_hard"
  /// AOT: `d = sort(logπ_w − logπ_l) − sort(logπ_ref,w − logπ_ref,l)` over the batch;
  /// `−(1−ε) log σ(βd) − ε log σ(−βd)` (Melnyk et al. 2024, arXiv 2406.05882).
  case aot
  /// AOT with `d = sort(u_w) − sort(u_l)`.
  case aotUnpaired = "aot_unpaired"
  /// `1 − σ(βu_w) + σ(βu_l)` (APO-zero, D'Oosterlinck et al. 2024, arXiv 2408.06266).
  case apoZero = "apo_zero"
  /// `σ(βu_w) + 1 − σ(β(u_w − u_l))` (APO-down).
  case apoDown = "apo_down"
  /// `x = βΔ`, `m = σ(x/τ)`: `(1 − m)(−log σ(x)) + m·e^(−x)` (DiscoPOP, Chris Lu et al. 2024,
  /// arXiv 2406.08414).
  case discopop
  /// The token-mean negative log-likelihood of every chosen completion token of the batch.
  case sft
  /// `−log σ(β(s_w/|y_w| − s_l/|y_l|))`: length-normalised DPO, still with the reference.
  case sigmoidNorm = "sigmoid_norm"

  /// The `[P]` per-pair losses (for `sft`, the batch loss repeated `P` times, as TRL does).
  func perPairLoss(_ batch: PreferenceLogProbs, _ o: DPOObjective) -> Variable {
    let beta = o.beta
    let epsilon = o.labelSmoothing
    let uw = batch.chosenLogRatios
    let ul = batch.rejectedLogRatios
    let sw = o.divergence.scores(uw, alpha: o.alphaDivergenceCoefficient)
    let sl = o.divergence.scores(ul, alpha: o.alphaDivergenceCoefficient)
    let delta = sw - sl
    let lw = Variable(PreferenceLogProbs.lengths(batch.chosenTokens))
    let ll = Variable(PreferenceLogProbs.lengths(batch.rejectedTokens))
    func smoothed(_ d: Variable) -> Variable {
      -logSigmoid(d * beta) * (1 - epsilon) - logSigmoid(-d * beta) * epsilon
    }
    switch self {
    case .sigmoid:
      return -logSigmoid(delta * beta)
    case .hinge:
      return relu(-(delta * beta) + 1)
    case .ipo:
      return square(sw / lw - sl / ll + (-1 / (2 * beta)))
    case .exoPair:
      let x = delta * beta
      let logPw = Float(Foundation.log1p(Double(-epsilon)))
      let logPl = Float(Foundation.log(Double(epsilon)))
      let towardChosen = σ(x) * (logSigmoid(x) + -logPw)
      let towardRejected = σ(-x) * (logSigmoid(-x) + -logPl)
      return towardChosen + towardRejected
    case .ncaPair:
      let rw = uw * beta
      let rl = ul * beta
      return -logSigmoid(rw) - logSigmoid(-rw) * 0.5 - logSigmoid(-rl) * 0.5
    case .robust:
      let clean = -logSigmoid(delta * beta) * (1 - epsilon)
      let flipped = -logSigmoid(-delta * beta) * epsilon
      return (clean - flipped) * (1 / (1 - 2 * epsilon))
    case .bcoPair:
      return -logSigmoid(uw * beta) - logSigmoid(-ul * beta)
    case .sppoHard:
      return square(uw + (-0.5 / beta)) + square(ul + (0.5 / beta))
    case .aot:
      let logRatios = batch.chosen - batch.rejected
      let referenceRatios = Variable(batch.referenceChosen.zipMap(batch.referenceRejected, -))
      return smoothed(sortedAscending(logRatios) - sortedAscending(referenceRatios))
    case .aotUnpaired:
      return smoothed(sortedAscending(uw) - sortedAscending(ul))
    case .apoZero:
      return -σ(uw * beta) + 1 + σ(ul * beta)
    case .apoDown:
      return σ(uw * beta) + 1 - σ((uw - ul) * beta)
    case .discopop:
      let x = delta * beta
      let m = σ(x * (1 / o.discopopTau))
      let logistic = -logSigmoid(x) * (-m + 1)
      return logistic + exp(-x) * m
    case .sft:
      let tokens = Float(max(batch.chosenTokens.reduce(0, +), 1))
      let loss = -sum(batch.chosen) * (1 / tokens)
      return loss * Variable(Tensor(shape: [batch.count], repeating: 1))
    case .sigmoidNorm:
      return -logSigmoid((sw / lw - sl / ll) * beta)
    }
  }
}

/// σ, named apart from the `sigmoid` case.
private func σ(_ x: Variable) -> Variable { WhetTensor.sigmoid(x) }
