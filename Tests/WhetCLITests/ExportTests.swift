import Crypto
import Foundation
import TestSupport
import Testing
import WhetLM
import WhetNN
import WhetTensor

/// `whet export` against what transformers and llama.cpp made of the same export
/// (`Fixtures/export/make_export_fixtures.py`): the tiny Llama GGUF with PEFT's adapter merged.
@Suite(.serialized) struct ExportTests {
  /// The tiny Llama GGUF, rebuilt from its recipe (``GGUFRecipe``).
  static func model() throws -> String {
    try GGUFRecipe.materialize(Fixtures.file("WhetLMTests", "architectures/llama")).path
  }
  static let adapter = Fixtures.file("WhetTrainTests", "peft/adapter").path

  static func expected() throws -> [String: Any] {
    try #require(try Fixtures.json("WhetCLITests", "export/expected.json") as? [String: Any])
  }

  static func floats(_ any: Any?) throws -> [Float] {
    try #require(any as? [Double]).map(Float.init)
  }

  static let hfModel = Fixtures.file("WhetLMTests", "architectures/llama/hf").path

  /// The exports of the fixture script: from the GGUF source (HF directory and three GGUFs),
  /// and from the Hugging Face source (an F32 GGUF, in `out/hf`).
  static func export(_ out: URL) throws {
    for (type, only) in [("f32", false), ("f16", true), ("q8_0", true)] {
      let run = try CLITests.whet(
        ["export", "--model", try model(), "--adapter", adapter, "--out", out.path, "--gguf", type]
          + (only ? ["--gguf-only"] : []))
      #expect(run.status == 0, "\(run.stderr)")
    }
    let hf = try CLITests.whet([
      "export", "--model", hfModel, "--adapter", adapter, "--out",
      out.appendingPathComponent("hf").path, "--gguf", "f32", "--gguf-only",
    ])
    #expect(hf.status == 0, "\(hf.stderr)")
  }

  /// The directory loads back with transformers' logits and token ids, and its JSON files are
  /// byte for byte the ones transformers read.
  @Test func huggingFaceDirectoryMatchesTransformers() throws {
    let out = FileManager.default.temporaryDirectory.appendingPathComponent(
      "whet-export-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: out) }
    try Self.export(out)
    let reference = try #require(try Self.expected()["transformers"] as? [String: Any])
    let hashes = try #require(reference["sha256"] as? [String: String])
    for (name, hash) in hashes {
      let data = try Data(contentsOf: out.appendingPathComponent(name))
      let got = SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
      #expect(got == hash, "\(name) is not the file transformers read")
    }
    let loaded = try LanguageModel.load(out.path)
    let tokens = try #require(reference["tokens"] as? [Int])
    let hidden = loaded.decoder.hiddenStates(tokens: tokens, batch: 1).value
    let logits = Tensor.matmul(hidden, loaded.decoder.outputWeight.value, transposeB: true)
    let rows = try #require(reference["logits"] as? [[Double]])
    var worst: Float = 0
    for (t, row) in rows.enumerated() {
      for (v, x) in row.enumerated() { worst = max(worst, abs(logits[t, v] - Float(x))) }
    }
    #expect(worst < 1e-4, "max |Δlogit| against transformers \(worst)")
    let strings = try #require(reference["strings"] as? [String])
    let ids = try #require(reference["ids"] as? [[Int]])
    for (s, want) in zip(strings, ids) {
      #expect(loaded.tokenizer.encode(s, addSpecialTokens: true) == want, "\(s)")
    }
  }

  /// Each GGUF (also the one exported from the model's Hugging Face form, whose metadata whet
  /// writes itself) loads in whet with llama.cpp's logits at the prompt's end (the same top 5; within
  /// what llama.cpp's f16 KV cache and, for Q8_0, its int8 activations allow on logits of
  /// ±11) and its greedy continuation.
  @Test func ggufFilesMatchLlamaCpp() throws {
    let out = FileManager.default.temporaryDirectory.appendingPathComponent(
      "whet-export-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: out) }
    try Self.export(out)
    let reference = try #require(try Self.expected()["llama_cpp"] as? [String: Any])
    let prompt = try #require(reference["prompt"] as? [Int])
    let runs = try #require(reference["runs"] as? [String: [String: Any]])
    for (type, tolerance) in [
      ("f32", Float(1e-2)), ("f16", 2e-2), ("q8_0", 0.25), ("hf-f32", 1e-2),
    ] {
      let run = try #require(runs[type])
      let file =
        type == "hf-f32" ? "hf/model-f32.gguf" : "model-\(type).gguf"
      let model = try LanguageModel.load(out.appendingPathComponent(file).path)
      let last = model.decoder.lastPositionLogits(tokens: prompt, batch: 1)
      let want = try Self.floats(run["last_logits"])
      #expect(
        maxDifference(last.scalars, want) < tolerance,
        "\(type): |Δlogit| \(maxDifference(last.scalars, want))")
      func top5(_ l: [Float]) -> [Int] { Array(l.indices.sorted { l[$0] > l[$1] }.prefix(5)) }
      #expect(top5(last.scalars) == top5(want), "\(type) top 5")
      var sequence = prompt
      var greedy: [Int] = []
      for _ in 0..<12 {
        let l = model.decoder.lastPositionLogits(tokens: sequence, batch: 1).scalars
        let next = l.indices.max { l[$0] < l[$1] }!
        greedy.append(next)
        sequence.append(next)
      }
      #expect(greedy == run["greedy"] as? [Int], "\(type) greedy")
    }
  }
}
