import Foundation
import Testing

@testable import WhetLM

/// Locating the model and fixtures, and loading the SmolLM2 tokenizer once for all tests.
enum TokenizerTestSupport {
  /// The repository root: this file is `<root>/Tests/WhetLMTests/TokenizerTestSupport.swift`.
  static let repoRoot: URL = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  static let modelURL = repoRoot.appendingPathComponent("models/SmolLM2-135M-Instruct.Q4_1.gguf")
  static let fixturesURL = repoRoot.appendingPathComponent("Tests/WhetLMTests/Fixtures")

  struct MissingModel: Error, CustomStringConvertible {
    let path: String
    var description: String {
      "model file not found at \(path): run `make models` (the Makefile fetches it before `make test`)"
    }
  }

  /// The GGUF file of the default model, or a clear error when it has not been fetched.
  static func modelFile() throws -> GGUFFile {
    guard FileManager.default.fileExists(atPath: modelURL.path) else {
      throw MissingModel(path: modelURL.path)
    }
    return try GGUFFile(contentsOf: modelURL)
  }

  private static let loaded: Result<Tokenizer, any Error> = Result {
    try Tokenizer.fromGGUF(try modelFile())
  }

  /// SmolLM2's tokenizer built from the GGUF, as transformers builds it.
  static func smolLM2() throws -> Tokenizer { try loaded.get() }

  // MARK: Fixtures

  struct Case: Decodable {
    let name: String
    let text: String
    let ids: [Int]
    let decoded: String
    let decoded_skip_special: String
    let ids_with_special_tokens: [Int]
    let ids_digits: [Int]
    let ids_llama3: [Int]
  }

  struct DecodeCase: Decodable {
    let name: String
    let ids: [Int]
    let decoded: String
  }

  struct Cases: Decodable {
    let cases: [Case]
    let decode_cases: [DecodeCase]
    let special_token_ids: [Int]
  }

  struct Prompt: Decodable {
    let chat_text: String
    let input_ids: [Int]
  }

  struct Reference: Decodable {
    let prompts: [Prompt]
    let bos_token_id: Int
    let eos_token_id: Int
    let pad_token_id: Int
    let vocab_size: Int
  }

  static func load<T: Decodable>(_ type: T.Type, _ relativePath: String) throws -> T {
    let url = fixturesURL.appendingPathComponent(relativePath)
    return try JSONDecoder().decode(T.self, from: Data(contentsOf: url))
  }

  static let cases: Result<Cases, any Error> = Result {
    try load(Cases.self, "tokenizer/tokenizer_cases.json")
  }
  static let reference: Result<Reference, any Error> = Result {
    try load(Reference.self, "smollm2_reference.json")
  }

  /// A temporary directory, removed after `body`.
  static func withTemporaryDirectory<R>(_ body: (URL) throws -> R) throws -> R {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "whet-tok-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    return try body(dir)
  }
}
