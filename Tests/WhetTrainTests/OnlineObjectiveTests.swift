import Foundation
import TestSupport
import Testing
import WhetTensor

@testable import WhetTrain

/// The GRPO family's clipped surrogate and advantages against TRL's own code on the same
/// tensors (`Fixtures/make_grpo_fixtures.py`: `GRPOTrainer._compute_loss` called unchanged,
/// and the advantage lines of `GRPOTrainer`/`RLOOTrainer` with TRL's `nanstd`), every
/// objective's gradient against finite differences, and TOPR by hand.
@Suite struct OnlineObjectiveTests {
  static func root() throws -> [String: Any] {
    try #require(try Fixtures.json("WhetTrainTests", "grpo.json") as? [String: Any])
  }

  static func floats(_ root: [String: Any], _ key: String) throws -> [Float] {
    try #require(root[key] as? [Double]).map(Float.init)
  }

  static func close(_ a: Float, _ b: Double, _ tolerance: Double = 2e-5) -> Bool {
    abs(Double(a) - b) <= tolerance * (1 + abs(b))
  }

  static func objective(_ c: [String: Any]) throws -> PolicyGradientObjective {
    var o = PolicyGradientObjective()
    o.aggregation = try #require(PolicyLossAggregation(rawValue: c["loss_type"] as? String ?? ""))
    o.importanceSampling = try #require(
      ImportanceSampling(rawValue: c["importance_sampling_level"] as? String ?? ""))
    o.beta = Float(try #require(c["beta"] as? Double))
    o.epsilonLow = Float(try #require(c["epsilon"] as? Double))
    o.epsilonHigh = Float(try #require(c["epsilon_high"] as? Double))
    o.maxCompletionLength = try #require(c["max_completion_length"] as? Int)
    return o
  }

  static func batch(_ r: [String: Any], _ c: [String: Any], _ logProbs: Variable) throws
    -> PolicyGradientBatch
  {
    let n = logProbs.value.count
    let old =
      c["off_policy"] as? Bool == true
      ? try floats(r, c["shifted"] as? Bool == true ? "shifted" : "old") : nil
    return PolicyGradientBatch(
      logProbs: logProbs, oldLogProbs: old.map { Tensor(shape: [n], scalars: $0) },
      referenceLogProbs: Tensor(shape: [n], scalars: try floats(r, "ref")),
      advantages: try floats(r, "advantages"),
      mask: Tensor(shape: [n], scalars: try floats(r, "mask")),
      tokenNormalizer: (c["num_items"] as? Double).map(Float.init))
  }

  @Test func clippedSurrogateMatchesTRL() throws {
    let r = try Self.root()
    let cases = try #require(r["losses"] as? [[String: Any]])
    #expect(cases.count >= 20)
    let covered = Set(cases.compactMap { $0["loss_type"] as? String })
    #expect(covered == Set(PolicyLossAggregation.allCases.map(\.rawValue)))
    for c in cases {
      let objective = try Self.objective(c)
      let label =
        "\(objective.aggregation) \(objective.importanceSampling) off=\(c["off_policy"] ?? "") β=\(objective.beta)"
      let lp = try Self.floats(r, "logps")
      let logProbs = Variable(Tensor(shape: [lp.count], scalars: lp))
      var metrics: [String: Float] = [:]
      let (value, gradients) = try valueAndGradient(
        of: {
          let out = try objective.loss(try Self.batch(r, c, logProbs))
          metrics = out.metrics
          return out.loss
        }, wrt: [logProbs])
      #expect(Self.close(value, try #require(c["loss"] as? Double)), "\(label): loss \(value)")
      let want = try #require(c["grad"] as? [Double])
      for i in want.indices {
        #expect(
          Self.close(gradients[0][flat: i], want[i]),
          "\(label): grad[\(i)] \(gradients[0][flat: i]) vs \(want[i])")
      }
      for (name, w) in try #require(c["metrics"] as? [String: Double]) {
        let got = try #require(metrics[name], "\(label): \(name) missing")
        #expect(Self.close(got, w, 1e-5), "\(label): \(name) \(got) vs \(w)")
      }
    }
  }

  @Test(arguments: ImportanceSampling.allCases)
  func clippedSurrogateGradientMatchesFiniteDifferences(_ level: ImportanceSampling) throws {
    let r = try Self.root()
    for aggregation in PolicyLossAggregation.allCases {
      var objective = PolicyGradientObjective()
      objective.importanceSampling = level
      objective.aggregation = aggregation
      objective.beta = 0.05
      objective.epsilonHigh = 0.28
      let lp = try Self.floats(r, "logps")
      let logProbs = Variable(Tensor(shape: [lp.count], scalars: lp))
      let c: [String: Any] = ["off_policy": true]
      // Small steps: the surrogate has kinks where a ratio crosses 1 ± ε.
      let check = checkParameterGradients([logProbs], epsilon: 1e-3, absoluteTolerance: 1e-3) {
        (try? objective.loss(try Self.batch(r, c, logProbs)).loss)
          ?? Variable(Tensor(shape: [], repeating: .nan))
      }
      #expect(check.passed, "\(level) \(aggregation): \(check)")
    }
  }

  @Test func advantagesMatchTRL() throws {
    let r = try Self.root()
    let g = try #require(r["group_size"] as? Int)
    let rewards = try #require(r["rewards"] as? [[Any]]).map { row in
      row.map { $0 as? Double }
    }
    let weights = try #require(r["weights"] as? [Double])
    for c in try #require(r["advantage_cases"] as? [[String: Any]]) {
      var a = GroupAdvantages()
      a.estimator = try #require(AdvantageEstimator(rawValue: c["estimator"] as? String ?? ""))
      a.scaling = try #require(RewardScaling(rawValue: c["scale_rewards"] as? String ?? ""))
      a.aggregation = try #require(RewardAggregation(rawValue: c["aggregation"] as? String ?? ""))
      a.weights = weights
      let out = try a.compute(rewards, groupSize: g)
      let want = try #require(c["advantages"] as? [Double])
      let label = "\(a.estimator) \(a.scaling) \(a.aggregation)"
      for i in want.indices {
        #expect(
          abs(out.advantages[i] - want[i]) <= 2e-5 * (1 + abs(want[i])),
          "\(label)[\(i)]: \(out.advantages[i]) vs \(want[i])")
      }
      // With batch scaling TRL logs the batch std's zero test; we keep the per-group one
      // there too (what dynamic sampling drops), so only the other cases compare.
      if let zero = c["zero_std"] as? [Bool], a.scaling != .batch {
        #expect(out.zeroStd == zero, "\(label)")
      }
    }
  }

  /// REINFORCE++ by hand: rewards 1, 0, 0, 1, 1, 1 (mean 2/3, Bessel std √(4/15)).
  @Test func reinforcePlusPlusByHand() throws {
    var a = GroupAdvantages()
    a.estimator = .reinforcePlusPlus
    let out = try a.compute([[1], [0], [0], [1], [1], [1]], groupSize: 3)
    let s = (4.0 / 15).squareRoot() + 1e-4
    #expect(abs(out.advantages[0] - (1 / 3) / s) < 1e-9)
    #expect(abs(out.advantages[1] - (-2.0 / 3) / s) < 1e-9)
    #expect(out.zeroStd == [false, true])
    #expect(throws: ObjectiveError.self) { try a.compute([[1], [0]], groupSize: 3) }
  }

  /// TOPR on two sequences by hand: a positive one keeps weight 1, a negative one is weighted
  /// by its sequence ratio π/μ clipped to 1.
  @Test func toprByHand() throws {
    // Two rows of width 3; row 0 has 2 tokens, row 1 has 3.
    let lp: [Float] = [-1, -0.5, 0, -0.2, -0.4, -0.6]
    let mu: [Float] = [-1.1, -0.6, 0, 0.1, -0.3, -0.5]
    let mask: [Float] = [1, 1, 0, 1, 1, 1]
    let logProbs = Variable(Tensor(shape: [6], scalars: lp))
    let objective = TOPRObjective()
    var metrics: [String: Float] = [:]
    let (value, gradients) = try valueAndGradient(
      of: {
        let out = try objective.loss(
          logProbs: logProbs, behaviourLogProbs: Tensor(shape: [6], scalars: mu),
          rewards: [1, -1], mask: Tensor(shape: [6], scalars: mask))
        metrics = out.metrics
        return out.loss
      }, wrt: [logProbs])
    // Row 1: log(π/μ) = −0.3 − 0.1 − 0.1 = −0.5, α = e^−0.5 = 0.6065.
    let alpha = Foundation.exp(Float(-0.5))
    let want = (-(1 * -1.5) / 2 - (alpha * -1 * -1.2) / 3) / 2
    #expect(abs(value - want) < 1e-6)
    #expect(abs(gradients[0][flat: 0] - (-1.0 / 4)) < 1e-6)
    #expect(gradients[0][flat: 2] == 0)
    #expect(abs(gradients[0][flat: 3] - alpha / 6) < 1e-6)
    #expect(abs(metrics["topr/negative_weight_mean"]! - alpha) < 1e-6)
    // α is a stop-gradient, which finite differences cannot see; with only positive rewards
    // (α = 1 throughout) they must agree with the analytic gradient.
    let positive = checkParameterGradients([logProbs], epsilon: 1e-3, absoluteTolerance: 1e-4) {
      (try? objective.loss(
        logProbs: logProbs, behaviourLogProbs: Tensor(shape: [6], scalars: mu),
        rewards: [1, 0.5], mask: Tensor(shape: [6], scalars: mask)
      ).loss)
        ?? Variable(Tensor(shape: [], repeating: .nan))
    }
    #expect(positive.passed, "\(positive)")
  }
}
