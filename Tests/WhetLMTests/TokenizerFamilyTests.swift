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
