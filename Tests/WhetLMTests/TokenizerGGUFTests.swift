import Foundation
import Testing

@testable import WhetLM

/// Building tokenizers from GGUF metadata, with small files made by `GGUFWriter`.
@Suite struct TokenizerGGUFTests {
  static func strings(_ values: [String]) -> GGUFValue {
    .array(elementType: 8, values.map { .string($0) })
  }
  static func ints(_ values: [Int]) -> GGUFValue {
    .array(elementType: 5, values.map { .int32(Int32($0)) })
  }

  /// A tiny byte-level vocabulary: `<s>`, `</s>`, `<think>`, the letters h and i, `Ġ`, and
  /// merges up to `Ġhi`.
  static func tinyGGUF(
    model: String = "gpt2", pre: String? = "smollm", addBOS: Bool = false, omit: String? = nil
  ) throws -> GGUFFile {
    var w = GGUFWriter()
    let tokens = ["<s>", "</s>", "<think>", "h", "i", "Ġ", "hi", "Ġh", "Ġhi", "1", "2"]
    let entries: [(String, GGUFValue)] = [
      ("tokenizer.ggml.model", .string(model)),
      ("tokenizer.ggml.pre", .string(pre ?? "")),
      ("tokenizer.ggml.tokens", strings(tokens)),
      ("tokenizer.ggml.token_type", ints([3, 3, 4, 1, 1, 1, 1, 1, 1, 1, 1])),
      ("tokenizer.ggml.merges", strings(["Ġ h", "h i", "Ġh i"])),
      ("tokenizer.ggml.bos_token_id", .uint32(0)),
      ("tokenizer.ggml.eos_token_id", .uint32(1)),
      ("tokenizer.ggml.add_bos_token", .bool(addBOS)),
    ]
    for (key, value) in entries where key != omit && !(key == "tokenizer.ggml.pre" && pre == nil) {
      w.setMetadata(key, value)
    }
    return try GGUFFile(data: w.encode(), path: "/tmp/tiny.gguf")
  }

  @Test func tinyGGUFEncodes() throws {
    let tokenizer = try Tokenizer.fromGGUF(try Self.tinyGGUF())
    #expect(tokenizer.encode("hi hi") == [6, 8])
    #expect(tokenizer.encode("<s>hi<think></s>") == [0, 6, 2, 1])
    #expect(tokenizer.encode("hi", addSpecialTokens: true) == [6])
    #expect(tokenizer.specialTokenIDs == [0, 1])
    #expect(tokenizer.decode([0, 6, 2, 1], skipSpecialTokens: true) == "hi<think>")
    #expect(tokenizer.bosTokenID == 0)
    #expect(tokenizer.eosTokenID == 1)
    #expect(tokenizer.padTokenID == nil)
  }

  @Test func addBOSTokenAddsBOS() throws {
    let tokenizer = try Tokenizer.fromGGUF(try Self.tinyGGUF(addBOS: true))
    #expect(tokenizer.encode("hi", addSpecialTokens: true) == [0, 6])
    #expect(tokenizer.encode("hi") == [6])
  }

  @Test func conventionsDifferOnlyInDigits() throws {
    let transformers = try Tokenizer.fromGGUF(try Self.tinyGGUF())
    let llamaCpp = try Tokenizer.fromGGUF(try Self.tinyGGUF(), convention: .llamaCpp)
    #expect(transformers.preTokens("hi 12") == ["hi", "Ġ12"])
    #expect(llamaCpp.preTokens("hi 12") == ["hi", "Ġ", "1", "2"])
    let gpt2 = try Tokenizer.fromGGUF(try Self.tinyGGUF(pre: "gpt2"), convention: .llamaCpp)
    #expect(gpt2.preTokens("hi 12") == ["hi", "Ġ12"])
    let missingPre = try Tokenizer.fromGGUF(try Self.tinyGGUF(pre: nil))
    #expect(missingPre.preTokens("hi 12") == ["hi", "Ġ12"])
    let llama = try Tokenizer.fromGGUF(try Self.tinyGGUF(pre: "llama-bpe"))
    #expect(llama.preTokens("hi 12345") == ["hi", "Ġ", "123", "45"])
  }

  @Test func unknownPreTokenizerIsUnsupported() throws {
    #expect(
      throws: TokenizerError.unsupported(
        file: "/tmp/tiny.gguf", component: "tokenizer.ggml.pre", type: "mystery")
    ) {
      try Tokenizer.fromGGUF(try Self.tinyGGUF(pre: "mystery"))
    }
    #expect(
      throws: TokenizerError.unsupported(
        file: "/tmp/tiny.gguf", component: "tokenizer.ggml.model", type: "t5")
    ) {
      try Tokenizer.fromGGUF(try Self.tinyGGUF(model: "t5"))
    }
    #expect(
      throws: TokenizerError.missingField(file: "/tmp/tiny.gguf", field: "tokenizer.ggml.merges")
    ) {
      try Tokenizer.fromGGUF(try Self.tinyGGUF(omit: "tokenizer.ggml.merges"))
    }
  }

  @Test func missingModelFileFailsClearly() {
    let error = TokenizerTestSupport.MissingModel(path: "/nowhere/model.gguf")
    #expect(error.description.contains("make models"))
  }
}
