import Foundation

/// Reward transforms for combining and de-noising reward signals (ALGORITHMS.md §1).
public enum RewardTransforms {
  /// Wang et al. 2024 ("Transforming and combining rewards for aligning large language
  /// models"): `u = log σ(r − r_ref)`, computed stably as `−softplus(−(r − r_ref))`.
  /// Summing the transformed rewards of several properties approximates
  /// `log P(good on all of them)`.
  public static func logSigmoid(_ reward: Double, reference: Double) -> Double {
    let x = reward - reference
    // log σ(x) = −log(1 + e^{−x}) = min(x, 0) − log1p(e^{−|x|}).
    return min(x, 0) - log1p(exp(-abs(x)))
  }

  /// ``logSigmoid(_:reference:)`` for every reward, one reference per reward.
  public static func logSigmoid(_ rewards: [Double], references: [Double]) throws(WeaverError)
    -> [Double]
  {
    guard rewards.count == references.count else {
      throw .shapeMismatch(what: "references", expected: rewards.count, got: references.count)
    }
    return zip(rewards, references).map { logSigmoid($0, reference: $1) }
  }

  /// Combined reward of several properties: `Σ_k log σ(r_k − r_ref,k)` (Wang et al. 2024).
  public static func combined(_ rewards: [Double], references: [Double]) throws(WeaverError)
    -> Double
  {
    try logSigmoid(rewards, references: references).reduce(0, +)
  }

  /// Unbiased reward from a noisy binary verifier with false-positive rate `ρ0 =
  /// P(r̃ = 1 | y = 0)` and false-negative rate `ρ1 = P(r̃ = 0 | y = 1)`:
  /// `r̂ = (r̃ − ρ0) / (1 − ρ0 − ρ1)`, so `E[r̂ | y] = y`. Needs `ρ0 + ρ1 < 1`.
  public static func correctNoisyVerifier(
    _ observed: Double, falsePositiveRate rho0: Double, falseNegativeRate rho1: Double
  ) throws(WeaverError) -> Double {
    guard (0...1).contains(rho0), (0...1).contains(rho1) else {
      throw .invalidParameter("verifier error rates must lie in [0, 1]")
    }
    guard rho0 + rho1 < 1 else {
      throw .invalidParameter("ρ0 + ρ1 = \(rho0 + rho1) ≥ 1: the verifier carries no signal")
    }
    return (observed - rho0) / (1 - rho0 - rho1)
  }

  /// ``correctNoisyVerifier(_:falsePositiveRate:falseNegativeRate:)`` with the error rates a
  /// label model estimated for the source without labels: `ρ0 = 1 − TNR`, `ρ1 = 1 − TPR`.
  public static func correctNoisyVerifier(_ observed: Double, estimate: SourceEstimate)
    throws(WeaverError) -> Double
  {
    try correctNoisyVerifier(
      observed, falsePositiveRate: 1 - estimate.trueNegativeRate,
      falseNegativeRate: 1 - estimate.truePositiveRate)
  }

  /// Z-scores `(x − mean) / std` (population std; a constant input maps to 0), e.g. to put
  /// rewards from different sources on one scale before combining.
  public static func standardised(_ values: [Double]) -> [Double] {
    guard !values.isEmpty else { return [] }
    let mean = values.reduce(0, +) / Double(values.count)
    let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
    let std = variance.squareRoot()
    return values.map { std > 0 ? ($0 - mean) / std : 0 }
  }
}
