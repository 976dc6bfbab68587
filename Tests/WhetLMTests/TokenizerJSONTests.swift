import Foundation
import Testing

@testable import WhetLM

/// Loading Hugging Face `tokenizer.json` files.
@Suite struct TokenizerJSONTests {
  /// A tiny byte-level tokenizer in SmolLM2's original layout (digits, then byte-level).
  static func tinyJSON(
    merges: String = #"[["Ġ", "h"], ["h", "i"], ["Ġh", "i"]]"#, preTokenizer: String? = nil
  ) -> String {
    let pre =
      preTokenizer
        ?? #"""
        {"type": "Sequence", "pretokenizers": [
          {"type": "Digits", "individual_digits": true},
          {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true}]}
        """#
    return #"""
      {
        "version": "1.0",
        "truncation": null,
        "padding": null,
        "added_tokens": [
          {"id": 7, "content": "<s>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
          {"id": 8, "content": "</s>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
          {"id": 9, "content": "<tool>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": true, "special": false}
        ],
        "normalizer": null,
        "pre_tokenizer": \#(pre),
        "post_processor": {
          "type": "TemplateProcessing",
          "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
          "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}],
          "special_tokens": {"<s>": {"id": "<s>", "ids": [7], "tokens": ["<s>"]}}
        },
        "decoder": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
        "model": {
          "type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": "",
          "end_of_word_suffix": "", "fuse_unk": false, "byte_fallback": false, "ignore_merges": false,
          "vocab": {"h": 0, "i": 1, "Ġ": 2, "hi": 3, "Ġh": 4, "Ġhi": 5, "1": 6},
          "merges": \#(merges)
        }
      }
      """#
  }

  static func write(_ text: String, to dir: URL, name: String = "tokenizer.json") throws -> URL {
    let url = dir.appendingPathComponent(name)
    try Data(text.utf8).write(to: url)
    return url
  }

  @Test func loadsTinyTokenizer() throws {
    try TokenizerTestSupport.withTemporaryDirectory { dir in
      let tokenizer = try Tokenizer(tokenizerJSON: try Self.write(Self.tinyJSON(), to: dir))
      #expect(tokenizer.encode("hi hi1") == [3, 5, 6])
      #expect(tokenizer.encode("hi hi1", addSpecialTokens: true) == [7, 3, 5, 6])
      #expect(tokenizer.encode("<s>hi</s> <tool>") == [7, 3, 8, 2, 9])
      #expect(tokenizer.decode([7, 3, 5, 6, 8]) == "<s>hi hi1</s>")
      #expect(tokenizer.decode([7, 3, 5, 6, 8, 9], skipSpecialTokens: true) == "hi hi1<tool>")
      #expect(tokenizer.bosTokenID == 7)
      #expect(tokenizer.eosTokenID == nil)
      #expect(tokenizer.specialTokenIDs == [7, 8])
      #expect(tokenizer.vocabularySize == 10)
      #expect(tokenizer.token(9) == "<tool>")
      #expect(tokenizer.id("Ġhi") == 5)
      #expect(tokenizer.preTokens("hi hi1") == ["hi", "Ġhi", "1"])
    }
  }

  @Test func mergesAsStringsAndConfigTokens() throws {
    try TokenizerTestSupport.withTemporaryDirectory { dir in
      let url = try Self.write(Self.tinyJSON(merges: #"["Ġ h", "h i", "Ġh i"]"#), to: dir)
      _ = try Self.write(
        #"{"bos_token": "<s>", "eos_token": {"content": "</s>", "special": true}, "pad_token": null}"#,
        to: dir,
        name: "tokenizer_config.json")
      let tokenizer = try Tokenizer(tokenizerJSON: url)
      #expect(tokenizer.encode("hi hi") == [3, 5])
      #expect(tokenizer.bosTokenID == 7)
      #expect(tokenizer.eosTokenID == 8)
      #expect(tokenizer.padTokenID == nil)
    }
  }

  @Test func unsupportedPreTokenizerIsNamed() throws {
    try TokenizerTestSupport.withTemporaryDirectory { dir in
      let url = try Self.write(
        Self.tinyJSON(
          preTokenizer: #"{"type": "BertPreTokenizer"}"#),
        to: dir)
      #expect(
        throws: TokenizerError.unsupported(
          file: url.path, component: "pre_tokenizer", type: "BertPreTokenizer")
      ) {
        try Tokenizer(tokenizerJSON: url)
      }
      let nested = try Self.write(
        Self.tinyJSON(
          preTokenizer:
            #"{"type": "Sequence", "pretokenizers": [{"type": "Digits"}, {"type": "Whitespace"}]}"#),
        to: dir, name: "nested.json")
      #expect(
        throws: TokenizerError.unsupported(
          file: nested.path, component: "pre_tokenizer.pretokenizers[1]", type: "Whitespace")
      ) {
        try Tokenizer(tokenizerJSON: nested)
      }
      let regex = try Self.write(
        Self.tinyJSON(
          preTokenizer:
            #"{"type": "Split", "pattern": {"Regex": "(?<=a)b"}, "behavior": "Isolated", "invert": false}"#
        ),
        to: dir, name: "regex.json")
      // Oniguruma reads lookbehind; Swift's regex engine does not, so the pattern is refused
      // by name rather than run differently.
      let error = #expect(throws: TokenizerError.self) { try Tokenizer(tokenizerJSON: regex) }
      #expect(
        error?.description.contains("unsupported pre_tokenizer type 'Split with pattern (?<=a)b'")
          == true)
    }
  }

  @Test func malformedFilesNameTheFile() throws {
    try TokenizerTestSupport.withTemporaryDirectory { dir in
      let broken = try Self.write("{\"model\": {\"vocab\": ", to: dir, name: "broken.json")
      let error = #expect(throws: TokenizerError.self) { try Tokenizer(tokenizerJSON: broken) }
      guard case .malformed(let file, _)? = error else {
        Issue.record("expected .malformed, got \(String(describing: error))")
        return
      }
      #expect(file == broken.path)
      #expect(error?.description.hasPrefix(broken.path) == true)

      let noModel = try Self.write(#"{"added_tokens": []}"#, to: dir, name: "no-model.json")
      #expect(throws: TokenizerError.missingField(file: noModel.path, field: "model")) {
        try Tokenizer(tokenizerJSON: noModel)
      }
      let wordPiece = try Self.write(
        #"{"model": {"type": "WordPiece", "vocab": {}}}"#, to: dir, name: "wp.json")
      #expect(
        throws: TokenizerError.unsupported(
          file: wordPiece.path, component: "model", type: "WordPiece")
      ) {
        try Tokenizer(tokenizerJSON: wordPiece)
      }
      let badVocab = try Self.write(
        #"{"model": {"type": "BPE", "vocab": {"a": "zero"}, "merges": []}}"#, to: dir,
        name: "bv.json")
      #expect(
        throws: TokenizerError.malformed(
          file: badVocab.path, reason: "'model.vocab[a]' must be an integer, found a string")
      ) {
        try Tokenizer(tokenizerJSON: badVocab)
      }
      let missing = dir.appendingPathComponent("absent.json")
      let unreadable = #expect(throws: TokenizerError.self) {
        try Tokenizer(tokenizerJSON: missing)
      }
      guard case .unreadable(let file, _)? = unreadable else {
        Issue.record("expected .unreadable, got \(String(describing: unreadable))")
        return
      }
      #expect(file == missing.path)
    }
  }

  /// SmolLM2's real pipeline written as a full-size tokenizer.json (the vocabulary and merges
  /// from the GGUF, `[a, b]` merge pairs, SmolLM2's original pre-tokenizer), checked against
  /// `tokenizers` with that pre-tokenizer.
  @Test func fullSizeTokenizerJSON() throws {
    let file = try TokenizerTestSupport.modelFile()
    let tokens = try file.strings("tokenizer.ggml.tokens")
    let merges = try file.strings("tokenizer.ggml.merges").map {
      $0.split(separator: " ").map(String.init)
    }
    var vocab: [String: Int] = [:]
    for (i, t) in tokens.enumerated() { vocab[t] = i }
    let added: [[String: Any]] = (0...16).map {
      [
        "id": $0, "content": tokens[$0], "single_word": false, "lstrip": false, "rstrip": false,
        "normalized": false,
        "special": true,
      ]
    }
    let json: [String: Any] = [
      "version": "1.0", "added_tokens": added, "normalizer": NSNull(),
      "pre_tokenizer": [
        "type": "Sequence",
        "pretokenizers": [
          ["type": "Digits", "individual_digits": true],
          [
            "type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true,
          ],
        ],
      ],
      "post_processor": [
        "type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false, "use_regex": true,
      ],
      "decoder": [
        "type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true,
      ],
      "model": [
        "type": "BPE", "dropout": NSNull(), "unk_token": NSNull(), "continuing_subword_prefix": "",
        "end_of_word_suffix": "", "fuse_unk": false, "byte_fallback": false, "ignore_merges": false,
        "vocab": vocab, "merges": merges,
      ],
    ]
    try TokenizerTestSupport.withTemporaryDirectory { dir in
      let url = dir.appendingPathComponent("tokenizer.json")
      try JSONSerialization.data(withJSONObject: json).write(to: url)
      let tokenizer = try Tokenizer(tokenizerJSON: url)
      #expect(tokenizer.vocabularySize == 49152)
      for c in try TokenizerTestSupport.cases.get().cases {
        #expect(tokenizer.encode(c.text) == c.ids_digits, "\(c.name)")
        #expect(tokenizer.decode(c.ids_digits) == c.decoded, "\(c.name)")
      }
    }
  }
}
