import Foundation
import TestSupport
import Testing
import WhetTensor

@testable import WhetTrain

/// Every DPO `loss_type`, f-divergence, label smoothing and a weighted combination against
/// TRL's own `DPOTrainer._compute_loss` on the same log-probs (value, gradient with respect
/// to each summed log-prob, and the logged metrics; `Fixtures/make_dpo_fixtures.py`), and
/// every loss type's gradient against finite differences.
@Suite struct DPOObjectiveTests {
  struct Reference {
    var chosen: [Float]
    var rejected: [Float]
    var referenceChosen: [Float]
    var referenceRejected: [Float]
    var chosenTokens: [Int]
    var rejectedTokens: [Int]
    var cases: [[String: Any]]
  }

  static func reference() throws -> Reference {
    let root = try #require(try Fixtures.json("WhetTrainTests", "dpo.json") as? [String: Any])
    func floats(_ key: String) throws -> [Float] {
      try #require(root[key] as? [Double]).map(Float.init)
    }
    return Reference(
      chosen: try floats("chosen"), rejected: try floats("rejected"),
      referenceChosen: try floats("reference_chosen"),
      referenceRejected: try floats("reference_rejected"),
      chosenTokens: try #require(root["chosen_tokens"] as? [Int]),
      rejectedTokens: try #require(root["rejected_tokens"] as? [Int]),
      cases: try #require(root["cases"] as? [[String: Any]]))
  }

  static func batch(_ r: Reference, chosen: Variable, rejected: Variable) -> PreferenceLogProbs {
    PreferenceLogProbs(
      chosen: chosen, rejected: rejected,
      referenceChosen: Tensor(shape: [r.chosen.count], scalars: r.referenceChosen),
      referenceRejected: Tensor(shape: [r.rejected.count], scalars: r.referenceRejected),
      chosenTokens: r.chosenTokens, rejectedTokens: r.rejectedTokens)
  }

  static func objective(_ c: [String: Any]) throws -> DPOObjective {
    var o = DPOObjective()
    o.lossTypes = try (c["loss_types"] as? [String] ?? []).map { name in
      try #require(DPOLossType(rawValue: name), "unknown loss type \(name)")
    }
    o.beta = Float(c["beta"] as? Double ?? 0.1)
    o.labelSmoothing = Float(c["label_smoothing"] as? Double ?? 0)
    if let name = c["divergence"] as? String {
      o.divergence = try #require(FDivergence(rawValue: name))
    }
    if let alpha = c["alpha"] as? Double { o.alphaDivergenceCoefficient = Float(alpha) }
    if let weights = c["loss_weights"] as? [Double] { o.lossWeights = weights.map(Float.init) }
    if let tau = c["discopop_tau"] as? Double { o.discopopTau = Float(tau) }
    return o
  }

  static func close(_ a: Float, _ b: Double, _ tolerance: Double = 2e-5) -> Bool {
    abs(Double(a) - b) <= tolerance * (1 + abs(b))
  }

  @Test func matchesTRL() throws {
    let r = try Self.reference()
    #expect(r.cases.count >= 40)
    let covered = Set(r.cases.flatMap { $0["loss_types"] as? [String] ?? [] })
    #expect(covered == Set(DPOLossType.allCases.map(\.rawValue)))
    for c in r.cases {
      let objective = try Self.objective(c)
      let label = "\(c["loss_types"] ?? "") β=\(objective.beta) \(objective.divergence)"
      let chosen = Variable(Tensor(shape: [r.chosen.count], scalars: r.chosen))
      let rejected = Variable(Tensor(shape: [r.rejected.count], scalars: r.rejected))
      var metrics: PreferenceMetrics? = nil
      let (value, gradients) = try valueAndGradient(
        of: {
          let out = try objective.loss(Self.batch(r, chosen: chosen, rejected: rejected))
          metrics = out.metrics
          return out.loss
        }, wrt: [chosen, rejected])
      #expect(Self.close(value, try #require(c["loss"] as? Double)), "\(label): loss \(value)")
      for (k, key) in ["grad_chosen", "grad_rejected"].enumerated() {
        let want = try #require(c[key] as? [Double])
        for i in want.indices {
          #expect(
            Self.close(gradients[k][flat: i], want[i]),
            "\(label): \(key)[\(i)] \(gradients[k][flat: i]) vs \(want[i])")
        }
      }
      let trlMetrics = try #require(c["metrics"] as? [String: Double])
      for (name, got) in try #require(metrics).named {
        let want = try #require(trlMetrics[name], "\(name) missing")
        #expect(Self.close(got, want, 1e-5), "\(label): \(name) \(got) vs \(want)")
      }
    }
  }

  @Test(arguments: DPOLossType.allCases) func gradientMatchesFiniteDifferences(_ type: DPOLossType)
    throws
  {
    let r = try Self.reference()
    var objective = DPOObjective()
    objective.lossTypes = [type]
    objective.beta = 0.5
    objective.labelSmoothing = [.exoPair, .robust, .aot, .aotUnpaired].contains(type) ? 0.1 : 0
    let chosen = Variable(Tensor(shape: [r.chosen.count], scalars: r.chosen))
    let rejected = Variable(Tensor(shape: [r.rejected.count], scalars: r.rejected))
    let check = checkParameterGradients([chosen, rejected], epsilon: 1e-2) {
      (try? objective.loss(Self.batch(r, chosen: chosen, rejected: rejected)).loss)
        ?? Variable(Tensor(shape: [], repeating: .nan))
    }
    #expect(check.passed, "\(type): \(check)")
  }

  @Test func refusesSettingsTRLWouldRejectOrMisuse() {
    var o = DPOObjective()
    o.lossTypes = [.exoPair]
    #expect(throws: ObjectiveError.self) { try o.validate() }
    o.lossTypes = [.sigmoid, .hinge]
    o.lossWeights = [1]
    #expect(throws: ObjectiveError.self) { try o.validate() }
    o.lossWeights = nil
    o.beta = 0
    #expect(throws: ObjectiveError.self) { try o.validate() }
  }
}
