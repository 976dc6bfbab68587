import Foundation
import TestSupport
import Testing
import WhetLM
import WhetNN
import WhetTensor

@Suite struct HFModelLoaderTests {
  static func directory() -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent("whet-hf-\(UUID().uuidString)")
  }

  static func writeConfig(_ dir: URL, _ fields: [String: Any]) throws {
    var config: [String: Any] = [
      "model_type": "llama", "vocab_size": 19, "hidden_size": 16, "num_hidden_layers": 2,
      "num_attention_heads": 4, "num_key_value_heads": 2, "intermediate_size": 24,
      "rope_theta": 500.0, "rms_norm_eps": 1e-5, "tie_word_embeddings": false,
      "rope_scaling": NSNull(),
    ]
    config.merge(fields) { _, new in new }
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    try JSONSerialization.data(withJSONObject: config).write(
      to: dir.appendingPathComponent("config.json"))
  }

  /// A random model written as two safetensors shards plus an index loads back identically.
  @Test func shardedCheckpointLoadsBack() throws {
    let dir = Self.directory()
    defer { try? FileManager.default.removeItem(at: dir) }
    try Self.writeConfig(dir, [:])
    var rng = SeededGenerator(seed: 4)
    let config = TransformerConfiguration(
      vocabularySize: 19, hiddenSize: 16, layerCount: 2, heads: 4, kvHeads: 2, intermediateSize: 24,
      ropeTheta: 500, rmsNormEpsilon: 1e-5, tiedEmbeddings: false)
    let original = TransformerDecoder(config, rng: &rng)
    let named = original.namedParameters
    let half = named.count / 2
    var weightMap: [String: String] = [:]
    for (i, part) in [Array(named[..<half]), Array(named[half...])].enumerated() {
      let file = "model-0000\(i + 1)-of-00002.safetensors"
      try SafetensorsFile.write(
        part.map { ($0.name, $0.variable.value) }, to: dir.appendingPathComponent(file))
      for p in part { weightMap[p.name] = file }
    }
    try JSONSerialization.data(withJSONObject: ["weight_map": weightMap]).write(
      to: dir.appendingPathComponent("model.safetensors.index.json"))
    let loaded = try HFModelLoader.decoder(directory: dir)
    #expect(loaded.config == config)
    let tokens = [3, 1, 4, 1, 5, 9]
    #expect(
      loaded.lastPositionLogits(tokens: tokens, batch: 2).scalars
        == original.lastPositionLogits(tokens: tokens, batch: 2).scalars)
  }

  @Test func badDirectoriesNameTheProblem() throws {
    let dir = Self.directory()
    defer { try? FileManager.default.removeItem(at: dir) }
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    #expect(throws: ModelLoadError.missingFile(directory: dir.path, file: "config.json")) {
      try HFModelLoader.decoder(directory: dir)
    }
    try Self.writeConfig(dir, ["model_type": "gpt_neox"])
    #expect(throws: ModelLoadError.self) { try HFModelLoader.decoder(directory: dir) }
    try Self.writeConfig(dir, [:])
    #expect(
      throws: ModelLoadError.missingFile(
        directory: dir.path, file: "model.safetensors or model.safetensors.index.json")
    ) { try HFModelLoader.decoder(directory: dir) }
    // A weight of the wrong shape is named with both shapes.
    try SafetensorsFile.write(
      [("model.embed_tokens.weight", Tensor.zeros([19, 8]))],
      to: dir.appendingPathComponent("model.safetensors"))
    #expect(
      throws: ModelLoadError.shapeMismatch(
        file: "model.safetensors", tensor: "model.embed_tokens.weight", expected: [19, 16],
        found: [19, 8])
    ) { try HFModelLoader.decoder(directory: dir) }
  }
}
