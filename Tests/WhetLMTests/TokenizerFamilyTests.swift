import Foundation
import TestSupport
import Testing

@testable import WhetLM

/// Byte-level BPE tokenizers with the pre-tokenizers of two families (Llama 3's regex split,
/// GPT-2's ByteLevel regex) against transformers' ids on 97 strings of our own: whitespace
/// runs, scripts, emoji, code, numbers, special-token text
/// (`Fixtures/tokenizers/make_spm_fixtures.py`).
@Suite struct TokenizerFamilyTests {
  @Test(arguments: ["bpe-llama3", "bpe-gpt2"]) func idsMatchTransformers(_ family: String) throws {
    let dir = Fixtures.file("WhetLMTests", "tokenizers/\(family)")
    let tokenizer = try Tokenizer(tokenizerJSON: dir.appendingPathComponent("tokenizer.json"))
    let root = try #require(
      try Fixtures.json("WhetLMTests", "tokenizers/\(family)/reference.json") as? [String: Any])
    let cases = try #require(root["cases"] as? [[String: Any]])
    #expect(cases.count >= 90)
    var mismatches: [String] = []
    for c in cases {
      let text = try #require(c["text"] as? String)
      let withSpecial = try #require(c["hf_ids_add_special"] as? [Int])
      let without = try #require(c["hf_ids_no_special"] as? [Int])
      if tokenizer.encode(text, addSpecialTokens: true) != withSpecial
        || tokenizer.encode(text, addSpecialTokens: false) != without
      {
        mismatches.append(text.debugDescription)
      }
      if let decoded = c["hf_decode_no_special"] as? String, tokenizer.decode(without) != decoded {
        mismatches.append("decode " + text.debugDescription)
      }
    }
    #expect(
      mismatches.isEmpty,
      "\(family): \(mismatches.count) of \(cases.count): \(mismatches.prefix(8))")
  }
}

/// SentencePiece-style `tokenizer.json` (a SentencePiece BPE model with byte fallback, as
/// transformers 5 saves Llama-2-style tokenizers: Metaspace `first` and `always`, and the
/// older Prepend + Replace normalizer layout) against transformers' ids and decoding.
@Suite struct SentencePieceTokenizerTests {
  @Test(
    arguments: [
      ("hf", "hf_ids_add_special", "hf_ids_no_special", "hf_decode_no_special"),
      ("hf-legacy", "hf_legacy_ids_add_special", nil, nil),
      (
        "hf-prepend-normalizer", "prepend_ids_add_special", "prepend_ids_no_special",
        "prepend_decode_no_special"
      ),
    ] as [(String, String, String?, String?)])
  func idsMatchTransformers(
    _ variant: String, _ withKey: String, _ withoutKey: String?, _ decodeKey: String?
  ) throws {
    let dir = Fixtures.file("WhetLMTests", "tokenizers/spm/\(variant)")
    let tokenizer = try Tokenizer(tokenizerJSON: dir.appendingPathComponent("tokenizer.json"))
    let root = try #require(
      try Fixtures.json("WhetLMTests", "tokenizers/spm/reference.json") as? [String: Any])
    let cases = try #require(root["cases"] as? [[String: Any]])
    var mismatches: [String] = []
    var compared = 0
    for c in cases {
      let text = try #require(c["text"] as? String)
      let ids = try #require(c[withKey] as? [Int], "\(withKey) missing")
      compared += 1
      if tokenizer.encode(text, addSpecialTokens: true) != ids {
        mismatches.append(text.debugDescription)
      }
      if let withoutKey, let ids = c[withoutKey] as? [Int] {
        if tokenizer.encode(text, addSpecialTokens: false) != ids {
          mismatches.append("no-special " + text.debugDescription)
        }
        if let decodeKey, let decoded = c[decodeKey] as? String, tokenizer.decode(ids) != decoded {
          mismatches.append("decode " + text.debugDescription)
        }
      }
    }
    #expect(compared >= 90)
    #expect(mismatches.isEmpty, "\(variant): \(mismatches.count): \(mismatches.prefix(10))")
  }
}

/// The same SentencePiece model as llama.cpp's converter writes it to GGUF
/// (`tokenizer.ggml.model = llama`: pieces, scores and types, no merges), against
/// `sentencepiece`'s own ids and decoding. sentencepiece never parses special-token text, so
/// strings containing `<s>`, `</s>` or `<unk>` are left to the llama.cpp fixture below.
@Suite struct GGUFSentencePieceTokenizerTests {
  static let specialText = ["<s>", "</s>", "<unk>"]

  @Test func idsMatchSentencePiece() throws {
    let file = try GGUFFile(
      contentsOf: GGUFRecipe.materialize(Fixtures.file("WhetLMTests", "tokenizers/spm")))
    let tokenizer = try Tokenizer.fromGGUF(file)
    let root = try #require(
      try Fixtures.json("WhetLMTests", "tokenizers/spm/reference.json") as? [String: Any])
    let cases = try #require(root["cases"] as? [[String: Any]])
    var mismatches: [String] = []
    var compared = 0
    var byteFallbackCases = 0
    for c in cases {
      let text = try #require(c["text"] as? String)
      if Self.specialText.contains(where: text.contains) { continue }
      let ids = try #require(c["spm_ids"] as? [Int])
      let decoded = try #require(c["spm_decode"] as? String)
      compared += 1
      if (c["spm_byte_fallback_pieces"] as? Int ?? 0) > 0 { byteFallbackCases += 1 }
      if tokenizer.encode(text, addSpecialTokens: false) != ids {
        mismatches.append(text.debugDescription)
      }
      if tokenizer.encode(text, addSpecialTokens: true) != [1] + ids {
        mismatches.append("bos " + text.debugDescription)
      }
      if tokenizer.decode(ids) != decoded { mismatches.append("decode " + text.debugDescription) }
    }
    #expect(compared >= 80)
    #expect(byteFallbackCases >= 5)
    #expect(mismatches.isEmpty, "\(mismatches.count) of \(compared): \(mismatches.prefix(10))")
  }
}

/// The same GGUF file against llama.cpp itself (`spm/llamacpp.json`, from
/// `make_llamacpp_spm_ids.py`): special-token text is parsed, and every stretch of text after
/// a special token gets its own `▁` (so `Hello<s>world` ends in `▁wor l d`).
@Suite struct GGUFSentencePieceLlamaCppTests {
  @Test func idsMatchLlamaCpp() throws {
    let file = try GGUFFile(
      contentsOf: GGUFRecipe.materialize(Fixtures.file("WhetLMTests", "tokenizers/spm")))
    let tokenizer = try Tokenizer.fromGGUF(file, convention: .llamaCpp)
    let root = try #require(
      try Fixtures.json("WhetLMTests", "tokenizers/spm/llamacpp.json") as? [String: Any])
    let cases = try #require(root["cases"] as? [[String: Any]])
    #expect(cases.count >= 90)
    var mismatches: [String] = []
    for c in cases {
      let text = try #require(c["text"] as? String)
      let without = try #require(c["ids_no_special"] as? [Int])
      let with = try #require(c["ids_add_special"] as? [Int])
      if tokenizer.encode(text) != without { mismatches.append(text.debugDescription) }
      if tokenizer.encode(text, addSpecialTokens: true) != with {
        mismatches.append("bos " + text.debugDescription)
      }
    }
    #expect(mismatches.isEmpty, "\(mismatches.count): \(mismatches.prefix(10))")
  }
}

/// The pre-tokenizers of the DeepSeek (LLM, Coder, V3), Falcon, StarCoder and Command-R
/// families, and every `Split` behaviour, against `tokenizers`' pre-tokens, ids and decoding
/// on 154 strings (`Fixtures/tokenizers/make_bpe_family_fixtures.py`).
@Suite struct BPEPreTokenizerFamilyTests {
  static let families = [
    "deepseek-llm", "deepseek-coder", "deepseek-v3", "falcon", "starcoder", "command-r",
    "split-behaviours",
  ]

  static func reference() throws -> (texts: [String], families: [String: [[String: Any]]]) {
    let root = try #require(
      try Fixtures.json("WhetLMTests", "tokenizers/bpe-families/reference.json") as? [String: Any])
    let texts = try #require(root["texts"] as? [String])
    let families = try #require(root["families"] as? [String: [[String: Any]]])
    return (texts, families)
  }

  @Test(arguments: families) func matchesTokenizers(_ family: String) throws {
    let (texts, families) = try Self.reference()
    let cases = try #require(families[family])
    #expect(cases.count == texts.count && texts.count >= 150)
    let tokenizer = try Tokenizer(
      tokenizerJSON: Fixtures.file(
        "WhetLMTests", "tokenizers/bpe-families/\(family)/tokenizer.json"))
    var mismatches: [String] = []
    for (text, c) in zip(texts, cases) {
      let pre = try #require(c["pre_tokens"] as? [String])
      let ids = try #require(c["ids"] as? [Int])
      // The fixture's pre-tokens come from the pre-tokenizer alone, which does not split
      // out the added token.
      if !text.contains("<|endoftext|>"), tokenizer.preTokens(text) != pre {
        mismatches.append("pre \(text.debugDescription): \(tokenizer.preTokens(text)) vs \(pre)")
      }
      if tokenizer.encode(text) != ids { mismatches.append("ids " + text.debugDescription) }
      if let decoded = c["decode"] as? String, tokenizer.decode(ids) != decoded {
        mismatches.append("decode " + text.debugDescription)
      }
    }
    #expect(mismatches.isEmpty, "\(family): \(mismatches.count): \(mismatches.prefix(6))")
  }

  /// A GGUF file naming the family in `tokenizer.ggml.pre` splits text as the family's
  /// `tokenizer.json` does (compared with `tokenizers`' pre-tokens; `command-r` and
  /// `starcoder` GGUF files have no NFC normalizer, so both compare with `starcoder`).
  @Test(arguments: [
    ("deepseek-llm", "deepseek-llm"), ("deepseek-coder", "deepseek-coder"),
    ("deepseek-v3", "deepseek-v3"), ("falcon", "falcon"), ("starcoder", "starcoder"),
    ("command-r", "starcoder"),
  ])
  func ggufNamesSplitLikeTheirTokenizerJSON(_ pre: String, _ family: String) throws {
    let (texts, families) = try Self.reference()
    let cases = try #require(families[family])
    let tokenizer = try Tokenizer.fromGGUF(
      try TokenizerGGUFTests.tinyGGUF(pre: pre), convention: .llamaCpp)
    var mismatches: [String] = []
    for (text, c) in zip(texts, cases) {
      // The tiny file's added tokens, and the fixture's, are not split out of pre-tokens alike.
      if ["<s>", "</s>", "<think>", "<|endoftext|>"].contains(where: text.contains) { continue }
      let pre = try #require(c["pre_tokens"] as? [String])
      if tokenizer.preTokens(text) != pre { mismatches.append(text.debugDescription) }
    }
    #expect(mismatches.isEmpty, "\(pre): \(mismatches.count): \(mismatches.prefix(6))")
  }
}
