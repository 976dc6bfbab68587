import Foundation
import TestSupport
import Testing
import WhetNN

@testable import WhetLM

/// RoPE variants against transformers' `ROPE_INIT_FUNCTIONS` (`Fixtures/rope/make_rope_fixtures.py`):
/// the config is parsed as `config.json` would be, in both the transformers 5 form
/// (`rope_parameters`) and the transformers 4 form (`rope_theta` + `rope_scaling`).
@Suite struct RopeScalingTests {
  struct Case {
    var name: String
    var rope: [String: Any]
    var headDim: Int
    var sequenceLength: Int?
    var inverse: [Double]
    var attentionFactor: Double
  }

  nonisolated(unsafe) static let cases: [Case] = {
    guard
      let root = try? Fixtures.json("WhetLMTests", "rope/rope_reference.json") as? [String: Any],
      let list = root["cases"] as? [[String: Any]]
    else { return [] }
    return list.map {
      Case(
        name: $0["name"] as! String, rope: $0["rope_parameters"] as! [String: Any],
        headDim: $0["head_dim"] as! Int, sequenceLength: $0["seq_len"] as? Int,
        inverse: $0["inv_freq"] as! [Double], attentionFactor: $0["attention_factor"] as! Double)
    }
  }()

  func configuration(_ c: Case, legacy: Bool) throws -> TransformerConfiguration {
    var fields: [String: Any] = [
      "model_type": "llama", "vocab_size": 32, "hidden_size": c.headDim * 4, "num_hidden_layers": 1,
      "num_attention_heads": 4, "intermediate_size": 8, "max_position_embeddings": 16,
    ]
    if legacy {
      var scaling = c.rope
      fields["rope_theta"] = scaling.removeValue(forKey: "rope_theta")
      if scaling["rope_type"] as? String != "default" {
        // transformers 4 wrote `type` in older configs and `rope_type` in newer ones.
        scaling["type"] = scaling.removeValue(forKey: "rope_type")
        fields["rope_scaling"] = scaling
      }
    } else {
      fields["rope_parameters"] = c.rope
    }
    let data = try JSONSerialization.data(withJSONObject: fields)
    return try HFConfiguration(data: data, file: "config.json").configuration()
  }

  @Test(arguments: [false, true]) func frequenciesMatchTransformers(legacy: Bool) throws {
    #expect(Self.cases.count == 7)
    for c in Self.cases {
      let config = try configuration(c, legacy: legacy)
      let f = config.ropeScaling.frequencies(
        theta: config.ropeTheta, dimension: c.headDim, sequenceLength: c.sequenceLength ?? 1)
      #expect(f.inverse.count == c.inverse.count, "\(c.name)")
      for (ours, theirs) in zip(f.inverse, c.inverse) {
        #expect(
          abs(Double(ours) - theirs) <= 2e-6 * max(1, abs(theirs)),
          "\(c.name): \(ours) vs \(theirs)")
      }
      #expect(abs(Double(f.attentionFactor) - c.attentionFactor) < 1e-6, "\(c.name)")
    }
  }

  /// The scaled variants really differ from plain RoPE on these cases (so the check above can fail).
  @Test func scaledCasesDifferFromPlainRoPE() {
    let plain = Self.cases.first { $0.name == "default" }!.inverse
    for c in Self.cases where ["linear", "dynamic-long", "llama3", "yarn"].contains(c.name) {
      let theirs = c.inverse
      let differs =
        c.headDim == 64
        && zip(theirs, plain).contains { abs($0 - $1) > 1e-3 * max(abs($1), 1e-6) }
      #expect(differs, "\(c.name)")
    }
  }

  @Test func unimplementedRopeFieldsAreErrorsNamingThem() throws {
    func load(_ extra: [String: Any]) throws {
      var fields: [String: Any] = [
        "model_type": "llama", "vocab_size": 32, "hidden_size": 64, "num_hidden_layers": 1,
        "num_attention_heads": 4, "intermediate_size": 8,
      ]
      fields.merge(extra) { $1 }
      _ = try HFConfiguration(
        data: try JSONSerialization.data(withJSONObject: fields), file: "c.json"
      ).configuration()
    }
    func message(_ extra: [String: Any]) -> String {
      do {
        try load(extra)
        return "loaded"
      } catch { return "\(error)" }
    }
    #expect(
      message(["rope_parameters": ["rope_type": "longrope", "rope_theta": 1e4]]).contains(
        "rope_type 'longrope'"))
    #expect(
      message(["rope_scaling": ["type": "linear", "factor": 2, "mystery": 1]]).contains(
        "rope_scaling.mystery"))
    #expect(
      message(["rope_parameters": ["rope_type": "llama3", "factor": 8]]).contains("low_freq_factor")
    )
    #expect(message(["partial_rotary_factor": 0.5]).contains("partial_rotary_factor"))
    #expect(message(["hidden_act": "gelu"]).contains("hidden_act"))
    #expect(message(["attention_dropout": 0.1]).contains("attention_dropout"))
    #expect(
      message(["sliding_window": 8, "max_position_embeddings": 64]).contains("sliding_window"))
    #expect(message(["quantization_config": ["bits": 4]]).contains("'quantization_config'"))
    #expect(message(["model_type": "gemma2"]).contains("gemma2"))
    #expect(
      message(["sliding_window": NSNull(), "attention_dropout": 0, "hidden_act": "silu"])
        == "loaded")
  }
}
