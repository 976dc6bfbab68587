import Foundation
import TestSupport
import Testing
import WhetTensor

@testable import WhetTrain

/// KTO, CPO/SimPO, ORPO and the Bradley–Terry reward model against TRL's own loss code on the
/// same log-probs (`Fixtures/make_preference_fixtures.py`): value, gradients, metrics; and
/// each against finite differences.
@Suite struct PreferenceObjectiveTests {
  static func root() throws -> [String: Any] {
    try #require(try Fixtures.json("WhetTrainTests", "preference.json") as? [String: Any])
  }

  static func vector(_ values: [Float]) -> Variable {
    Variable(Tensor(shape: [values.count], scalars: values))
  }

  static func floats(_ any: Any?) throws -> [Float] {
    try #require(any as? [Double]).map(Float.init)
  }

  static func expectClose(
    _ got: Float, _ want: Double, _ label: String, tolerance: Double = 2e-5
  ) {
    #expect(abs(Double(got) - want) <= tolerance * (1 + abs(want)), "\(label): \(got) vs \(want)")
  }

  static func expectClose(_ got: Tensor, _ want: [Float], _ label: String) {
    for i in want.indices { expectClose(got[flat: i], Double(want[i]), "\(label)[\(i)]") }
  }

  @Test func ktoMatchesTRL() throws {
    let cases = try #require(try Self.root()["kto"] as? [[String: Any]])
    #expect(cases.count == 4)
    for c in cases {
      var o = KTOObjective()
      let typeName = try #require(c["loss_type"] as? String)
      o.lossType = try #require(KTOObjective.LossType(rawValue: typeName))
      o.beta = Float(try #require(c["beta"] as? Double))
      o.desirableWeight = Float(try #require(c["desirable_weight"] as? Double))
      o.undesirableWeight = Float(try #require(c["undesirable_weight"] as? Double))
      let logProbs = Self.vector(try Self.floats(c["log_probs"]))
      let batch = KTOObjective.Batch(
        logProbs: logProbs, referenceLogProbs: Self.vector(try Self.floats(c["reference"])).value,
        labels: try #require(c["labels"] as? [Bool]),
        mismatchedLogProbs: Self.vector(try Self.floats(c["mismatched"])).value,
        referenceMismatchedLogProbs: Self.vector(try Self.floats(c["reference_mismatched"])).value)
      var metrics: [String: Float] = [:]
      let (value, gradients) = try valueAndGradient(
        of: {
          let out = try o.loss(batch)
          metrics = out.metrics
          return out.loss
        }, wrt: [logProbs])
      let label = "kto \(o.lossType) β=\(o.beta)"
      Self.expectClose(value, try #require(c["loss"] as? Double), label)
      Self.expectClose(gradients[0], try Self.floats(c["grad"]), "\(label) grad")
      for (name, want) in try #require(c["metrics"] as? [String: Double]) {
        let got = try #require(metrics[name], "\(name)")
        Self.expectClose(got, want, "\(label) \(name)", tolerance: 1e-4)
      }
      let check = checkParameterGradients([logProbs], epsilon: 1e-2) {
        (try? o.loss(batch).loss) ?? Variable(Tensor(.nan))
      }
      #expect(check.passed, "\(label): \(check)")
    }
  }

  static func pairs(_ root: [String: Any]) throws -> (
    chosen: [Float], rejected: [Float], chosenTokens: [Int], rejectedTokens: [Int]
  ) {
    let pairs = try #require(root["pairs"] as? [String: Any])
    let sums = try Self.floats(pairs["log_probs"])
    let lengths = try #require(pairs["lengths"] as? [Int])
    let p = sums.count / 2
    return (Array(sums[..<p]), Array(sums[p...]), Array(lengths[..<p]), Array(lengths[p...]))
  }

  static func batch(
    _ d: (chosen: [Float], rejected: [Float], chosenTokens: [Int], rejectedTokens: [Int]),
    _ chosen: Variable, _ rejected: Variable
  ) -> PreferenceLogProbs {
    PreferenceLogProbs(
      chosen: chosen, rejected: rejected, referenceChosen: .zeros([d.chosen.count]),
      referenceRejected: .zeros([d.rejected.count]), chosenTokens: d.chosenTokens,
      rejectedTokens: d.rejectedTokens)
  }

  @Test func cpoAndSimPOMatchTRL() throws {
    let root = try Self.root()
    let d = try Self.pairs(root)
    let cases = try #require(root["cpo"] as? [[String: Any]])
    #expect(
      Set(cases.compactMap { $0["loss_type"] as? String })
        == Set(CPOObjective.LossType.allCases.map(\.rawValue)))
    for c in cases {
      var o = CPOObjective()
      let typeName = try #require(c["loss_type"] as? String)
      o.lossType = try #require(CPOObjective.LossType(rawValue: typeName))
      o.beta = Float(try #require(c["beta"] as? Double))
      o.labelSmoothing = Float(try #require(c["label_smoothing"] as? Double))
      o.simpoGamma = Float(try #require(c["simpo_gamma"] as? Double))
      o.cpoAlpha = Float(try #require(c["cpo_alpha"] as? Double))
      let chosen = Self.vector(d.chosen)
      let rejected = Self.vector(d.rejected)
      var metrics: PreferenceMetrics? = nil
      let (value, gradients) = try valueAndGradient(
        of: {
          let out = try o.loss(Self.batch(d, chosen, rejected))
          metrics = out.metrics
          return out.loss
        }, wrt: [chosen, rejected])
      let label = "cpo \(o.lossType) β=\(o.beta)"
      Self.expectClose(value, try #require(c["loss"] as? Double), label)
      Self.expectClose(gradients[0], try Self.floats(c["grad_chosen"]), "\(label) chosen")
      Self.expectClose(gradients[1], try Self.floats(c["grad_rejected"]), "\(label) rejected")
      let named = Dictionary(uniqueKeysWithValues: try #require(metrics).named)
      for (name, want) in try #require(c["metrics"] as? [String: Double]) {
        let got = try #require(named[name])
        Self.expectClose(got, want, "\(label) \(name)", tolerance: 1e-4)
      }
      let check = checkParameterGradients([chosen, rejected], epsilon: 1e-2) {
        (try? o.loss(Self.batch(d, chosen, rejected)).loss) ?? Variable(Tensor(.nan))
      }
      #expect(check.passed, "\(label): \(check)")
    }
  }

  @Test func orpoMatchesTRL() throws {
    let root = try Self.root()
    let d = try Self.pairs(root)
    for c in try #require(root["orpo"] as? [[String: Any]]) {
      var o = ORPOObjective()
      o.beta = Float(try #require(c["beta"] as? Double))
      let chosen = Self.vector(d.chosen)
      let rejected = Self.vector(d.rejected)
      let prompt = Self.vector(try Self.floats(c["prompt_log_probs"]))
      let promptTokens = try #require(c["prompt_tokens"] as? [Int])
      var ratio: Float = 0
      let (value, gradients) = try valueAndGradient(
        of: {
          let out = try o.loss(
            Self.batch(d, chosen, rejected), promptLogProbs: prompt, promptTokens: promptTokens)
          ratio = out.logOddsRatio
          return out.loss
        }, wrt: [chosen, rejected, prompt])
      let label = "orpo β=\(o.beta)"
      Self.expectClose(value, try #require(c["loss"] as? Double), label)
      Self.expectClose(
        ratio, try #require(c["log_odds_ratio"] as? Double), "\(label) log_odds_ratio")
      Self.expectClose(gradients[0], try Self.floats(c["grad_chosen"]), "\(label) chosen")
      Self.expectClose(gradients[1], try Self.floats(c["grad_rejected"]), "\(label) rejected")
      Self.expectClose(gradients[2], try Self.floats(c["grad_prompt"]), "\(label) prompt")
      let check = checkParameterGradients([chosen, rejected, prompt], epsilon: 1e-3) {
        (try? o.loss(
          Self.batch(d, chosen, rejected), promptLogProbs: prompt, promptTokens: promptTokens
        ).loss)
          ?? Variable(Tensor(.nan))
      }
      #expect(check.passed, "\(label): \(check)")
    }
  }

  @Test func rewardModelMatchesTRL() throws {
    let rm = try #require(try Self.root()["reward_model"] as? [String: Any])
    let chosenValues = try Self.floats(rm["chosen"])
    let rejectedValues = try Self.floats(rm["rejected"])
    for c in try #require(rm["cases"] as? [[String: Any]]) {
      var o = RewardModelObjective()
      o.centerRewardsCoefficient = (c["center"] as? Double).map(Float.init)
      let margins = (c["margins"] as? [Double]).map {
        Tensor(shape: [$0.count], scalars: $0.map(Float.init))
      }
      let chosen = Self.vector(chosenValues)
      let rejected = Self.vector(rejectedValues)
      var metrics: [String: Float] = [:]
      let (value, gradients) = valueAndGradient(
        of: {
          let out = o.loss(chosen: chosen, rejected: rejected, margins: margins)
          metrics = out.metrics
          return out.loss
        }, wrt: [chosen, rejected])
      let label =
        "rm margin=\(margins != nil) center=\(String(describing: o.centerRewardsCoefficient))"
      Self.expectClose(value, try #require(c["loss"] as? Double), label)
      Self.expectClose(gradients[0], try Self.floats(c["grad_chosen"]), "\(label) chosen")
      Self.expectClose(gradients[1], try Self.floats(c["grad_rejected"]), "\(label) rejected")
      for (name, want) in try #require(c["metrics"] as? [String: Double]) {
        let got = try #require(metrics[name])
        Self.expectClose(got, want, "\(label) \(name)", tolerance: 1e-4)
      }
    }
  }

  /// SFT's loss is the mean NLL of the kept tokens: worked by hand on four tokens.
  @Test func sftAveragesTheKeptTokens() throws {
    let logProbs = Self.vector([-1, -2, -4, -8])
    let mask = Tensor(shape: [4], scalars: [0, 1, 1, 0])
    let (value, gradients) = try valueAndGradient(
      of: { try SFTObjective().loss(tokenLogProbs: logProbs, mask: mask) }, wrt: [logProbs])
    #expect(value == 3)
    #expect(gradients[0].scalars == [0, -0.5, -0.5, 0])
    #expect(throws: ObjectiveError.self) {
      try SFTObjective().loss(tokenLogProbs: logProbs, mask: .zeros([4]))
    }
  }
}
