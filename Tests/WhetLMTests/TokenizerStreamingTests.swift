import Testing

@testable import WhetLM

/// The streaming decoder holds back incomplete UTF-8 until it completes.
@Suite struct TokenizerStreamingTests {
  /// A byte-level tokenizer whose vocabulary is just the 256 byte tokens and `<eos>`.
  static func byteTokenizer() throws -> Tokenizer {
    var vocabulary: [String: Int] = [:]
    for (b, c) in ByteLevelAlphabet.characters.enumerated() { vocabulary[String(c)] = b }
    let model = try BPEModel(vocabulary: vocabulary, merges: [])
    return Tokenizer(
      model: model, preTokenizer: ByteLevelPreTokenizer(), decoder: ByteLevelDecoder(),
      addedTokens: [AddedToken(id: 256, content: "<eos>", special: true)], eosTokenID: 256)
  }

  @Test func emojiSplitAcrossByteTokensComesOutWhole() throws {
    let tokenizer = try Self.byteTokenizer()
    let ids = tokenizer.encode("a🍕b")
    #expect(ids == [0x61, 0xF0, 0x9F, 0x8D, 0x95, 0x62])
    var stream = tokenizer.makeStreamingDecoder()
    #expect(ids.map { stream.append($0) } == ["a", "", "", "", "🍕", "b"])
    #expect(stream.finish() == "")
  }

  @Test func invalidBytesBecomeReplacementOnlyWhenTheyCannotComplete() throws {
    let tokenizer = try Self.byteTokenizer()
    var stream = tokenizer.makeStreamingDecoder()
    // F0 9F starts a 4-byte sequence; "a" ends it early.
    #expect(stream.append(0xF0) == "")
    #expect(stream.append(0x9F) == "")
    #expect(stream.append(0x61) == "\u{FFFD}a")
    // A lone continuation byte can never complete.
    #expect(stream.append(0x80) == "\u{FFFD}")
    // E0 80 is overlong: invalid at once.
    #expect(stream.append(0xE0) == "")
    #expect(stream.append(0x80) == "\u{FFFD}\u{FFFD}")
    // Left incomplete at the end: finish() flushes it.
    #expect(stream.append(0xE2) == "")
    #expect(stream.append(0x82) == "")
    #expect(stream.finish() == "\u{FFFD}")
  }

  @Test func specialTokensStreamOrAreSkipped() throws {
    let tokenizer = try Self.byteTokenizer()
    var keep = tokenizer.makeStreamingDecoder()
    #expect(keep.append(0x68) == "h")
    #expect(keep.append(256) == "<eos>")
    var skip = tokenizer.makeStreamingDecoder(skipSpecialTokens: true)
    #expect(skip.append(256) == "")
    #expect(skip.append(999) == "")
  }

  /// A decoder without a byte mapping uses the windowed fallback.
  struct SpaceJoiningDecoder: TokenDecoder {
    func decodeChain(_ tokens: [String]) -> [String] { [tokens.joined(separator: "_")] }
  }

  @Test func windowedFallbackForOtherDecoders() throws {
    let model = try BPEModel(vocabulary: ["a": 0, "b": 1], merges: [])
    let tokenizer = Tokenizer(model: model, decoder: SpaceJoiningDecoder())
    var stream = tokenizer.makeStreamingDecoder()
    let pieces = [0, 1, 0].map { stream.append($0) } + [stream.finish()]
    #expect(pieces.joined() == tokenizer.decode([0, 1, 0]))
  }

  @Test func incompleteSuffixDetection() {
    #expect(UTF8Completion.incompleteSuffixLength([]) == 0)
    #expect(UTF8Completion.incompleteSuffixLength([0x61]) == 0)
    #expect(UTF8Completion.incompleteSuffixLength([0x61, 0xC3]) == 1)
    #expect(UTF8Completion.incompleteSuffixLength([0xF0, 0x9F, 0x8D]) == 3)
    #expect(UTF8Completion.incompleteSuffixLength([0xF0, 0x9F, 0x8D, 0x95]) == 0)
    #expect(UTF8Completion.incompleteSuffixLength([0xED, 0xA0]) == 0)
    #expect(UTF8Completion.incompleteSuffixLength([0xF4, 0x90]) == 0)
    #expect(UTF8Completion.incompleteSuffixLength([0xC0]) == 0)
    #expect(UTF8Completion.incompleteSuffixLength([0x80, 0x80, 0x80]) == 0)
  }
}
