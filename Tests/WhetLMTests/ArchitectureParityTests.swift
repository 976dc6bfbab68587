import Foundation
import TestSupport
import Testing
import WhetNN
import WhetTensor

@testable import WhetLM

/// Logit parity with transformers 5 on tiny random models of each architecture and RoPE
/// variant, in Hugging Face form and as GGUF made by llama.cpp's own converter
/// (`Fixtures/architectures/make_architecture_fixtures.py`; Q/K weights are scaled there so a
/// RoPE error moves the logits by several units, which the script asserts).
@Suite struct ArchitectureParityTests {
  static let variants = [
    "llama", "llama-llama3", "llama-linear", "llama-dynamic", "llama-yarn", "mistral", "qwen2",
    "qwen3", "gemma3",
  ]

  struct Reference {
    var tokens: [[Int]]
    /// Per sequence: position → logits `[V]`.
    var logits: [[Int: [Double]]]
    var top5: [[Int]]
    /// What the GGUF file means when it differs from the HF model (dynamic RoPE is dropped by
    /// the converter): per sequence, position → logits.
    var gguf: [[Int: [Double]]]?
  }

  static func reference(_ variant: String) throws -> Reference {
    let root = try #require(
      try Fixtures.json("WhetLMTests", "architectures/\(variant)/reference.json") as? [String: Any])
    let sequences = try #require(root["sequences"] as? [[String: Any]])
    func positions(_ object: Any?) throws -> [Int: [Double]] {
      let map = try #require(object as? [String: [Double]])
      return Dictionary(uniqueKeysWithValues: map.map { (Int($0.key)!, $0.value) })
    }
    return Reference(
      tokens: try sequences.map { try #require($0["token_ids"] as? [Int]) },
      logits: try sequences.map { try positions($0["logits"]) },
      top5: try sequences.map { try #require($0["top5_last"] as? [Int]) },
      gguf: try (root["plain_rope_logits_for_gguf"] as? [[String: Any]])?.map {
        try positions($0["logits"])
      })
  }

  static func directory(_ variant: String) -> URL {
    Fixtures.file("WhetLMTests", "architectures/\(variant)")
  }

  /// Full logits `[T, V]` of one sequence through the training forward.
  static func logits(_ model: TransformerDecoder, _ tokens: [Int]) -> Tensor {
    Tensor.matmul(
      model.hiddenStates(tokens: tokens, batch: 1).value, model.outputWeight.value,
      transposeB: true)
  }

  static func check(
    _ model: TransformerDecoder, _ expected: [[Int: [Double]]], _ tokens: [[Int]], _ label: String
  ) -> Double {
    var worst = 0.0
    for (s, sequence) in tokens.enumerated() {
      let all = logits(model, sequence)
      let v = all.lastDimension
      let values = all.scalars
      for (position, reference) in expected[s] {
        #expect(reference.count == v, "\(label)")
        for (i, r) in reference.enumerated() {
          worst = max(worst, abs(Double(values[position * v + i]) - r))
        }
      }
    }
    return worst
  }

  @Test(arguments: variants) func hfModelMatchesTransformers(_ variant: String) throws {
    let reference = try Self.reference(variant)
    let model = try HFModelLoader.decoder(
      directory: Self.directory(variant).appendingPathComponent("hf"))
    let worst = Self.check(model, reference.logits, reference.tokens, variant)
    #expect(worst < 2e-3, "\(variant) HF: max |Δlogit| \(worst)")
    for (s, sequence) in reference.tokens.enumerated() {
      let last = Self.logits(model, sequence).slice(
        alongAxis: 0, (sequence.count - 1)..<sequence.count)
      let top = last.scalars.enumerated().sorted { $0.element > $1.element }.prefix(5).map(\.offset)
      #expect(Array(top) == reference.top5[s], "\(variant) sequence \(s)")
    }
  }

  /// The GGUF file llama.cpp's converter made for `variant`, rebuilt from its recipe
  /// (``GGUFRecipe``, `record_gguf_recipes.py`). The four llama RoPE variants are llama's file
  /// plus the metadata and tensors the converter added, recorded from its real output in
  /// `rope_variants.json` (`record_rope_variants.py`).
  static func llamaCppGGUF(_ variant: String) throws -> GGUFFile {
    let recorded = try #require(
      try Fixtures.json("WhetLMTests", "architectures/rope_variants.json") as? [String: Any])
    guard let changes = recorded[variant] as? [String: Any] else {
      return try GGUFFile(contentsOf: GGUFRecipe.materialize(directory(variant)))
    }
    let base = try GGUFFile(contentsOf: GGUFRecipe.materialize(directory("llama")))
    let metadata = try #require(changes["metadata"] as? [String: [String: Any]])
    var writer = GGUFWriter()
    for key in base.metadataKeys where metadata[key] == nil {
      writer.setMetadata(key, base.metadata[key]!)
    }
    for (key, entry) in metadata.sorted(by: { $0.key < $1.key }) {
      switch (entry["type"] as? String, entry["value"]) {
      case ("uint32", let v as Int): writer.setMetadata(key, .uint32(UInt32(v)))
      case ("float32", let v as Double): writer.setMetadata(key, .float32(Float(v)))
      case ("string", let v as String): writer.setMetadata(key, .string(v))
      default: Issue.record("\(variant): unsupported recorded entry \(key) = \(entry)")
      }
    }
    for tensor in try #require(changes["tensors"] as? [[String: Any]]) {
      let values = try #require(tensor["values"] as? [Double]).map { Float($0) }
      let ne = try #require(tensor["ne"] as? [Int])
      writer.addTensor(
        try #require(tensor["name"] as? String),
        Tensor(shape: Array(ne.reversed()), scalars: values))
    }
    for info in base.tensors {
      try base.withRawBytes(info.name) { info, bytes in
        writer.addTensor(info.name, type: info.type, shape: info.shape, bytes: Data(bytes))
      }
    }
    return try GGUFFile(data: writer.encode(), path: "\(variant) (llama + rope_variants.json)")
  }

  /// Every variant whose llama.cpp GGUF the tests can read without the converter.
  static let ggufVariants = variants.filter { $0 != "gemma3" }

  /// Gemma 3's converted file is not committed (no other fixture derives it); it is there after
  /// `make_architecture_fixtures.py` has run with llama.cpp's converter (`../shared/peers`).
  static let gemma3GGUF = directory("gemma3").appendingPathComponent("model.f32.gguf")

  @Test(arguments: ggufVariants) func ggufFromLlamaCppMatchesTransformers(_ variant: String)
    throws
  {
    try Self.checkGGUF(variant, try Self.llamaCppGGUF(variant))
  }

  @Test(.enabled(if: FileManager.default.fileExists(atPath: gemma3GGUF.path)))
  func gemma3GGUFFromLlamaCppMatchesTransformers() throws {
    try Self.checkGGUF("gemma3", try GGUFFile(contentsOf: Self.gemma3GGUF))
  }

  static func checkGGUF(_ variant: String, _ file: GGUFFile) throws {
    let reference = try Self.reference(variant)
    let model = try GGUFModelLoader.decoder(from: file)
    // llama.cpp's converter drops dynamic NTK scaling (it writes no key for it), so that file
    // is plain RoPE; it is compared with what it means.
    let expected = reference.gguf ?? reference.logits
    let worst = Self.check(model, expected, reference.tokens, variant)
    #expect(worst < 2e-3, "\(variant) GGUF: max |Δlogit| \(worst)")
  }

  /// The KV-cache path (token by token) computes the same last-position logits.
  @Test(arguments: ["llama-llama3", "llama-yarn", "qwen2", "qwen3", "gemma3"])
  func cachedDecodingMatchesTransformers(_ variant: String) throws {
    let reference = try Self.reference(variant)
    let model = try HFModelLoader.decoder(
      directory: Self.directory(variant).appendingPathComponent("hf"))
    let engine = DecoderInference(model: model)
    let sequence = reference.tokens[1]
    var cache = KVCache(config: model.config, batch: 1, capacity: sequence.count)
    var hidden = Tensor.zeros([1])
    for token in sequence { hidden = engine.forward(tokens: [token], cache: &cache) }
    let last = engine.logits(hidden: hidden).scalars
    let expected = try #require(reference.logits[1][sequence.count - 1])
    let worst = zip(last, expected).map { abs(Double($0) - $1) }.max() ?? .infinity
    #expect(worst < 2e-3, "\(variant) cached: max |Δlogit| \(worst)")
  }

  /// Gemma 3 (sliding-window layers with their own RoPE base, GELU-tanh, norms on both sides,
  /// q/k norm, embedding scale) is really exercised: the reference sequences are longer than
  /// its window of 8, and its config says which layers slide.
  @Test func gemma3HasSlidingAndFullLayers() throws {
    let model = try HFModelLoader.decoder(
      directory: Self.directory("gemma3").appendingPathComponent("hf"))
    #expect(model.config.family == .gemma3)
    #expect(model.config.slidingLayers == [true, true, true, true, true, false])
    #expect(model.config.slidingWindow == 8)
    #expect(try Self.reference("gemma3").tokens.contains { $0.count > 8 })
  }
}
