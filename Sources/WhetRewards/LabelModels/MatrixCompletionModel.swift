import Foundation

/// Snorkel / MeTaL matrix-completion label model (Ratner et al. 2019, "Training complex models
/// with multi-task weak supervision", AAAI; ALGORITHMS.md §2), binary case.
///
/// `L_ind` is the one-hot vote matrix with two columns per source (`λ_i = 0`, `λ_i = 1`;
/// an abstain is an all-zero pair) and `O = L_indᵀ L_ind / n`. With `P = diag(p)` the class
/// prior, the model parameters `μ[(i, a), y] = P(λ_i = a | Y = y)` minimise
///
///     ‖(O − μ P μᵀ)[off-diagonal blocks]‖² + ‖rowsum(μ P) − diag(O)‖²,
///
/// here with L-BFGS from Snorkel's start (every source 70% precise: `μ[(i, a), y] =
/// (1 − abstain_i)·(a = y ? 0.7 : 0.3)`), then clamped to `[ε, 1 − ε]` with Snorkel's
/// `ε = 10^−⌈log10 n⌉`. Prediction: `P(Y | λ) ∝ exp(L_aug · log μ + log p)`.
///
/// The class prior is **estimated from the votes**, never from labels: pairwise moments
/// cannot separate `p` from `μ`, so `p` comes from MeTaL's three-way overlap model
/// (``ClassBalanceEstimator``) before the matrix completion, unless a known `classBalance`
/// is given.
///
/// Accuracy given a vote: `Σ_y p_y μ[(i, y), y] / Σ_y p_y (μ[(i, 0), y] + μ[(i, 1), y])`.
public struct MatrixCompletionModel: LabelModel {
  /// A known `P(y = 1)`; `nil` (default) estimates it from the votes.
  public var classBalance: Double?
  /// Largest number of source triples for the class-balance estimate.
  public var maxTriples: Int
  /// L-BFGS iterations for each of the two fits.
  public var maxIterations: Int

  public var name: String { "metal" }

  public init(classBalance: Double? = nil, maxTriples: Int = 2000, maxIterations: Int = 1000) {
    self.classBalance = classBalance
    self.maxTriples = maxTriples
    self.maxIterations = maxIterations
  }

  public func fit(_ votes: VoteMatrix) throws(LabelModelError) -> FittedLabelModel {
    try LabelModelKernels.validate(votes, minimumSources: 3)
    if let b = classBalance, !(b > 0 && b < 1) {
      throw .invalidParameter("classBalance must be in (0, 1)")
    }
    guard maxTriples >= 1, maxIterations >= 1 else {
      throw .invalidParameter("maxTriples and maxIterations must be ≥ 1")
    }
    let m = votes.sourceCount
    let n = Double(votes.itemCount)
    let stats = VoteStatistics(votes)
    let pairs = stats.pairCounts()
    guard stats.single.reduce(0, +) > 0 else {
      throw .degenerate("every source abstains on every item")
    }

    var iterations = 0
    var converged = true
    let balance: Double
    if let known = classBalance {
      balance = known
    } else {
      let estimator = ClassBalanceEstimator(
        maxTriples: maxTriples, optimiser: LBFGS(maxIterations: maxIterations))
      let fitted = estimator.fit(stats, pairs: pairs)
      balance = min(max(fitted.classBalance, 1e-4), 1 - 1e-4)
      iterations += fitted.iterations
      converged = converged && fitted.converged
    }
    let p = [1 - balance, balance]

    // O = L_indᵀ L_ind / n, rows and columns indexed (source, vote).
    let d = 2 * m
    var o = [Double](repeating: 0, count: d * d)
    for i in 0..<m {
      for j in 0..<m where j != i {
        for a in 0..<2 {
          for b in 0..<2 {
            o[(2 * i + a) * d + 2 * j + b] = Double(pairs[((i * m + j) * 2 + a) * 2 + b]) / n
          }
        }
      }
      for a in 0..<2 { o[(2 * i + a) * d + 2 * i + a] = Double(stats.single[2 * i + a]) / n }
    }

    var mu0 = [Double](repeating: 0, count: d * 2)
    for i in 0..<m {
      let voted = Double(stats.single[2 * i] + stats.single[2 * i + 1]) / n
      for a in 0..<2 {
        for y in 0..<2 { mu0[(2 * i + a) * 2 + y] = voted * (a == y ? 0.7 : 0.3) }
      }
    }
    let optimiser = LBFGS(maxIterations: maxIterations)
    let result = optimiser.minimise(mu0) { mu, gradient in
      Self.objective(mu, gradient: &gradient, o: o, p: p, m: m)
    }
    iterations += result.iterations
    converged = converged && result.converged

    let epsilon = pow(10, -(log10(n)).rounded(.up))
    let mu = result.x.map { min(max($0, epsilon), 1 - epsilon) }
    var weights = [Double](repeating: 0, count: d)
    var estimates: [SourceEstimate] = []
    for i in 0..<m {
      for a in 0..<2 {
        weights[2 * i + a] = log(mu[(2 * i + a) * 2 + 1]) - log(mu[(2 * i + a) * 2])
      }
      let correct = p[0] * mu[(2 * i) * 2] + p[1] * mu[(2 * i + 1) * 2 + 1]
      let voted =
        p[0] * (mu[(2 * i) * 2] + mu[(2 * i + 1) * 2])
        + p[1] * (mu[(2 * i) * 2 + 1] + mu[(2 * i + 1) * 2 + 1])
      let positive = mu[(2 * i + 1) * 2 + 1] / (mu[(2 * i) * 2 + 1] + mu[(2 * i + 1) * 2 + 1])
      let negative = mu[(2 * i) * 2] / (mu[(2 * i) * 2] + mu[(2 * i + 1) * 2])
      let abstain = 1 - Double(stats.single[2 * i] + stats.single[2 * i + 1]) / n
      estimates.append(
        SourceEstimate(
          accuracy: voted > 0 ? correct / voted : 0.5, truePositiveRate: positive,
          trueNegativeRate: negative, abstainRate: abstain))
    }
    let rule = PosteriorRule.logLinear(bias: log(p[1] / p[0]), weights: weights)
    return FittedLabelModel(
      method: name, sources: votes.sources,
      posteriors: LabelModelKernels.posteriors(votes, rule: rule), classBalance: balance,
      sourceEstimates: estimates, iterations: iterations, converged: converged, rule: rule)
  }

  /// The MeTaL objective and its gradient; `mu[(2i + a)·2 + y]`.
  static func objective(
    _ mu: [Double], gradient: inout [Double], o: [Double], p: [Double], m: Int
  ) -> Double {
    let d = 2 * m
    for k in 0..<gradient.count { gradient[k] = 0 }
    var value = 0.0
    for r in 0..<d {
      let i = r / 2
      let r0 = mu[r * 2]
      let r1 = mu[r * 2 + 1]
      for s in 0..<d where s / 2 != i {
        let residual = r0 * p[0] * mu[s * 2] + r1 * p[1] * mu[s * 2 + 1] - o[r * d + s]
        value += residual * residual
        // Each ordered pair (r, s) appears once; its term depends on rows r and s.
        gradient[r * 2] += 2 * residual * p[0] * mu[s * 2]
        gradient[r * 2 + 1] += 2 * residual * p[1] * mu[s * 2 + 1]
        gradient[s * 2] += 2 * residual * p[0] * r0
        gradient[s * 2 + 1] += 2 * residual * p[1] * r1
      }
      let marginal = r0 * p[0] + r1 * p[1] - o[r * d + r]
      value += marginal * marginal
      gradient[r * 2] += 2 * marginal * p[0]
      gradient[r * 2 + 1] += 2 * marginal * p[1]
    }
    return value
  }
}
