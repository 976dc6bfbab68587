import Foundation
import TestSupport
import Testing
import WhetLM
import WhetNN
import WhetTensor

/// Adapters made by Hugging Face PEFT load in whet with the same logits as transformers + PEFT
/// (`Fixtures/make_peft_fixtures.py`), and whet's own saved adapters read back exactly.
@Suite struct PEFTAdapterTests {
  static let base = Fixtures.file("WhetLMTests", "architectures/llama/hf")
  static let adapter = Fixtures.file("WhetTrainTests", "peft/adapter")

  /// Logits `[T, V]` of every prefix of `tokens`.
  static func logits(_ decoder: TransformerDecoder, _ tokens: [Int]) -> [[Float]] {
    (1...tokens.count).map { n in
      decoder.lastPositionLogits(tokens: Array(tokens[..<n]), batch: 1).scalars
    }
  }

  @Test func peftAdapterGivesTransformersLogits() throws {
    let reference = try #require(
      try Fixtures.json("WhetTrainTests", "peft/reference.json") as? [String: Any])
    let tokens = try #require(reference["tokens"] as? [Int])
    let want = try #require(reference["logits"] as? [[Double]])
    let decoder = try HFModelLoader.decoder(directory: Self.base)
    let configuration = try PEFTAdapter.load(Self.adapter, into: decoder)
    #expect(configuration.rank == 4 && configuration.alpha == 12)
    #expect(configuration.targets == ["q_proj", "v_proj", "down_proj"])
    var worst: Double = 0
    for (row, wantRow) in zip(Self.logits(decoder, tokens), want) {
      for (a, b) in zip(row, wantRow) { worst = max(worst, abs(Double(a) - b)) }
    }
    #expect(worst < 1e-4, "max |Δlogit| \(worst)")
    // Without the adapter the logits are far off, so the comparison means something.
    decoder.removeLoRA()
    var far: Double = 0
    for (row, wantRow) in zip(Self.logits(decoder, tokens), want) {
      for (a, b) in zip(row, wantRow) { far = max(far, abs(Double(a) - b)) }
    }
    #expect(far > 0.05)
  }

  @Test func savedAdapterReadsBackExactly() throws {
    let decoder = try HFModelLoader.decoder(directory: Self.base)
    try PEFTAdapter.load(Self.adapter, into: decoder)
    let configuration = try PEFTAdapter.configuration(in: Self.adapter)
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "whet-peft-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    try PEFTAdapter.save(decoder, configuration: configuration, baseModel: "tiny", to: dir)
    let copy = try HFModelLoader.decoder(directory: Self.base)
    #expect(try PEFTAdapter.load(dir, into: copy) == configuration)
    let tokens = [1, 2, 3, 4]
    #expect(Self.logits(copy, tokens) == Self.logits(decoder, tokens))
  }

  @Test func unsupportedSettingsAreRefusedByName() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "whet-peft-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let original = try #require(
      try JSONSerialization.jsonObject(
        with: Data(contentsOf: Self.adapter.appendingPathComponent("adapter_config.json")))
        as? [String: Any])
    for (field, value) in [
      ("use_dora", true as Any), ("lora_bias", true), ("modules_to_save", ["lm_head"]),
      ("rank_pattern", ["q_proj": 8]), ("some_future_option", 3),
    ] {
      var config = original
      config[field] = value
      try JSONSerialization.data(withJSONObject: config).write(
        to: dir.appendingPathComponent("adapter_config.json"))
      let error = #expect(throws: PEFTAdapter.Error.self) { try PEFTAdapter.configuration(in: dir) }
      #expect(error?.description.contains(field) == true, "\(field): \(String(describing: error))")
    }
  }
}
