import Testing

@testable import WhetLM

/// BPE merge order on tiny hand-made vocabularies.
@Suite struct TokenizerBPETests {
  static let vocabulary = ["a": 0, "b": 1, "c": 2, "ab": 3, "bc": 4, "abc": 5, "aa": 6, "aaaa": 7]

  @Test func lowestRankMergesFirst() throws {
    // "b c" outranks "a b": a b c -> a bc, and nothing merges "a bc".
    let bcFirst = try BPEModel(vocabulary: Self.vocabulary, merges: [("b", "c"), ("a", "b")])
    #expect(bcFirst.tokenize("abc") == [0, 4])
    // "a b" first: a b c -> ab c -> abc.
    let abFirst = try BPEModel(
      vocabulary: Self.vocabulary, merges: [("a", "b"), ("b", "c"), ("ab", "c")])
    #expect(abFirst.tokenize("abc") == [5])
    #expect(abFirst.mergeRank("ab", "c") == 2)
    #expect(abFirst.mergeRank("c", "a") == nil)
  }

  @Test func tiesMergeLeftmostFirst() throws {
    let model = try BPEModel(vocabulary: Self.vocabulary, merges: [("a", "a"), ("aa", "aa")])
    // a a a -> aa a (the leftmost pair wins), not a aa.
    #expect(model.tokenize("aaa") == [6, 0])
    #expect(model.tokenize("aaaa") == [7])
    #expect(model.tokenize("aaaaa") == [7, 0])
    #expect(model.tokenize("") == [])
    #expect(model.tokenize("b") == [1])
  }

  @Test func unknownScalarsAndByteFallback() throws {
    var vocabulary = Self.vocabulary
    vocabulary["<unk>"] = 8
    let dropping = try BPEModel(vocabulary: vocabulary, merges: [("a", "b")])
    // Without an unknown token the scalars are dropped, and their neighbours can then merge.
    #expect(dropping.tokenize("axxb") == [3])
    let unknown = try BPEModel(vocabulary: vocabulary, merges: [("a", "b")], unknownToken: "<unk>")
    #expect(unknown.tokenize("axxb") == [0, 8, 8, 1])
    let fused = try BPEModel(
      vocabulary: vocabulary, merges: [], unknownToken: "<unk>", fuseUnknown: true)
    #expect(fused.tokenize("axxb") == [0, 8, 1])
    vocabulary["<0xC3>"] = 9
    vocabulary["<0xA9>"] = 10
    let fallback = try BPEModel(
      vocabulary: vocabulary, merges: [], unknownToken: "<unk>", byteFallback: true)
    #expect(fallback.tokenize("aéx") == [0, 9, 10, 8])
    #expect(BPEModel.byteToken(0x0A) == "<0x0A>")
  }

  @Test func ignoreMergesReturnsWholeTokens() throws {
    // With no merge for "abc" the word would stay in pieces; ignore_merges looks it up whole.
    let model = try BPEModel(vocabulary: Self.vocabulary, merges: [("a", "b")], ignoreMerges: true)
    #expect(model.tokenize("abc") == [5])
    #expect(model.tokenize("abca") == [3, 2, 0])
  }

  @Test func badMergesAreReported() {
    #expect(
      throws: TokenizerError.invalidMerge(
        file: "t.json", index: 1, merge: "a z", reason: "'z' is not in the vocabulary")
    ) {
      try BPEModel(vocabulary: Self.vocabulary, merges: [("a", "b"), ("a", "z")], source: "t.json")
    }
    #expect(
      throws: TokenizerError.invalidMerge(
        file: "t.json", index: 0, merge: "c a", reason: "'ca' is not in the vocabulary")
    ) {
      try BPEModel(vocabulary: Self.vocabulary, merges: [("c", "a")], source: "t.json")
    }
    #expect(throws: TokenizerError.self) {
      try BPEModel(vocabulary: Self.vocabulary, merges: [], unknownToken: "<missing>")
    }
  }

  @Test func cacheGivesSameResults() throws {
    let model = try BPEModel(vocabulary: Self.vocabulary, merges: [("a", "b"), ("ab", "c")])
    let first = model.tokenize("abcab")
    #expect(model.tokenize("abcab") == first)
    model.clearCache()
    #expect(model.tokenize("abcab") == first)
  }
}
