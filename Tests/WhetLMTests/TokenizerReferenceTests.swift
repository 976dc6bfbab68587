import Foundation
import Testing

@testable import WhetLM

/// SmolLM2's tokenizer against transformers: the reference chat prompts and the generated
/// fixture (Fixtures/tokenizer/make_fixtures.py).
@Suite struct TokenizerReferenceTests {
  @Test func referencePromptsEncodeExactly() throws {
    let tokenizer = try TokenizerTestSupport.smolLM2()
    let reference = try TokenizerTestSupport.reference.get()
    #expect(reference.prompts.count == 3)
    for prompt in reference.prompts {
      #expect(tokenizer.encode(prompt.chat_text) == prompt.input_ids)
      #expect(tokenizer.encode(prompt.chat_text, addSpecialTokens: true) == prompt.input_ids)
      #expect(tokenizer.decode(prompt.input_ids) == prompt.chat_text)
    }
  }

  @Test func specialTokenIDsAndVocabulary() throws {
    let tokenizer = try TokenizerTestSupport.smolLM2()
    let reference = try TokenizerTestSupport.reference.get()
    #expect(tokenizer.vocabularySize == reference.vocab_size)
    #expect(tokenizer.bosTokenID == reference.bos_token_id)
    #expect(tokenizer.eosTokenID == reference.eos_token_id)
    #expect(tokenizer.padTokenID == reference.pad_token_id)
    #expect(tokenizer.unknownTokenID == 0)
    #expect(tokenizer.specialTokenIDs == Set(0...16))
    #expect(tokenizer.token(1) == "<|im_start|>")
    #expect(tokenizer.id("<|im_end|>") == 2)
    #expect(tokenizer.token(198) == "Ċ")
    #expect(tokenizer.id("Ġthe") != nil)
    #expect(tokenizer.token(-1) == nil)
    #expect(tokenizer.token(49152) == nil)
    #expect(tokenizer.id("no such token") == nil)
  }

  @Test func fixtureCasesMatchTransformers() throws {
    let tokenizer = try TokenizerTestSupport.smolLM2()
    let fixture = try TokenizerTestSupport.cases.get()
    #expect(fixture.cases.count >= 40)
    for c in fixture.cases {
      let ids = tokenizer.encode(c.text)
      #expect(ids == c.ids, "\(c.name)")
      #expect(
        tokenizer.encode(c.text, addSpecialTokens: true) == c.ids_with_special_tokens, "\(c.name)")
      #expect(tokenizer.decode(c.ids) == c.decoded, "\(c.name)")
      #expect(
        tokenizer.decode(c.ids, skipSpecialTokens: true) == c.decoded_skip_special, "\(c.name)")
    }
  }

  @Test func invalidUTF8DecodesLikeTransformers() throws {
    let tokenizer = try TokenizerTestSupport.smolLM2()
    for c in try TokenizerTestSupport.cases.get().decode_cases {
      #expect(tokenizer.decode(c.ids) == c.decoded, "\(c.name)")
    }
  }

  /// llama.cpp's `smollm` (and SmolLM2's original tokenizer.json) split digits off first.
  @Test func llamaCppConventionSplitsDigits() throws {
    let tokenizer = try Tokenizer.fromGGUF(
      try TokenizerTestSupport.modelFile(), convention: .llamaCpp)
    for c in try TokenizerTestSupport.cases.get().cases {
      #expect(tokenizer.encode(c.text) == c.ids_digits, "\(c.name)")
    }
  }

  /// The Llama 3 scanner against `tokenizers`' regex, over the same vocabulary.
  @Test func llama3PatternMatchesTokenizers() throws {
    let base = try TokenizerTestSupport.smolLM2()
    let tokenizer = Tokenizer(
      model: base.model,
      preTokenizer: SequencePreTokenizer([
        SplitPreTokenizer(.llama3), ByteLevelPreTokenizer(addPrefixSpace: false, useRegex: false),
      ]),
      decoder: ByteLevelDecoder(), addedTokens: base.addedTokens)
    for c in try TokenizerTestSupport.cases.get().cases {
      #expect(tokenizer.encode(c.text) == c.ids_llama3, "\(c.name)")
    }
  }

  @Test func streamingDecodeEqualsDecode() throws {
    let tokenizer = try TokenizerTestSupport.smolLM2()
    let fixture = try TokenizerTestSupport.cases.get()
    let all =
      fixture.cases.map { ($0.name, $0.ids) } + fixture.decode_cases.map { ($0.name, $0.ids) }
    for (name, ids) in all {
      for skip in [false, true] {
        var stream = tokenizer.makeStreamingDecoder(skipSpecialTokens: skip)
        var text = ""
        for id in ids { text += stream.append(id) }
        text += stream.finish()
        #expect(text == tokenizer.decode(ids, skipSpecialTokens: skip), "\(name)")
      }
    }
  }

  @Test func longTextEncodesQuickly() throws {
    let tokenizer = try TokenizerTestSupport.smolLM2()
    let long = try #require(try TokenizerTestSupport.cases.get().cases.first { $0.name == "long" })
    #expect(long.ids.count > 1_500)
    let clock = ContinuousClock()
    var ids: [Int] = []
    let cold = clock.measure { ids = tokenizer.encode(long.text) }
    let warm = clock.measure { ids = tokenizer.encode(long.text) }
    #expect(ids == long.ids)
    // Debug builds are far slower than release; this only catches pathological behaviour.
    #expect(cold < .seconds(5))
    print("encode of \(ids.count) tokens: cold \(cold), warm \(warm)")
  }
}
