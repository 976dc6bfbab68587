import Foundation
import WhetTensor

/// The f-divergence that turns a log-ratio `u = log π − log π_ref` into a DPO score `s = g(u)`
/// (f-DPO, Wang et al. 2023, arXiv 2309.16240; TRL's `f_divergence_type`).
public enum FDivergence: String, Sendable, Codable, CaseIterable {
  /// `s = u`: standard DPO.
  case reverseKL = "reverse_kl"
  /// `s = 1 − e^(−u)`.
  case forwardKL = "forward_kl"
  /// `s = log 2 + log σ(u)`.
  case jsDivergence = "js_divergence"
  /// `s = (e^(min((α−1)u, 80)) − 1)/(α−1)`; `u` when `|α − 1| < 1e-6`.
  case alphaDivergence = "alpha_divergence"

  /// The scores of `logRatios` `[P]`.
  public func scores(_ logRatios: Variable, alpha: Float) -> Variable {
    switch self {
    case .reverseKL:
      return logRatios
    case .forwardKL:
      return -exp(-logRatios) + 1
    case .jsDivergence:
      return logSigmoid(logRatios) + Float(M_LN2)
    case .alphaDivergence:
      guard abs(alpha - 1) >= 1e-6 else { return logRatios }
      // Clamped before the exponential so that it stays finite in fp32, as TRL does.
      return (exp(minimum(logRatios * (alpha - 1), 80)) + -1) * (1 / (alpha - 1))
    }
  }
}
