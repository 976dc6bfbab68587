import Testing

@testable import WhetLM

/// Hand-worked splits, checked against `tokenizers`' `Split(Regex(...), "isolated")` and
/// `Digits`.
@Suite struct TokenizerScannerTests {
  @Test func gpt2KeepsLastSpaceForTheNextWord() {
    #expect(
      SplitPattern.gpt2.split("Hello  world\n\n x") == ["Hello", " ", " world", "\n\n", " x"])
    #expect(SplitPattern.gpt2.split("a  \n\n  b") == ["a", "  \n\n ", " b"])
    #expect(
      SplitPattern.gpt2.split(" \t\n  foo\r\n\r\nbar  ") == [
        " \t\n ", " foo", "\r\n\r", "\n", "bar", "  ",
      ])
    #expect(SplitPattern.gpt2.split("x\n\ty") == ["x", "\n", "\t", "y"])
    #expect(SplitPattern.gpt2.split("a ") == ["a", " "])
    #expect(SplitPattern.gpt2.split("  ") == ["  "])
    #expect(SplitPattern.gpt2.split("") == [])
  }

  @Test func gpt2ContractionsAreLowercaseOnly() {
    #expect(
      SplitPattern.gpt2.split("it's don't IT'S we're I'M you'll")
        == ["it", "'s", " don", "'t", " IT", "'", "S", " we", "'re", " I", "'", "M", " you", "'ll"])
    #expect(
      SplitPattern.gpt2.split("they've he'd I'm") == ["they", "'ve", " he", "'d", " I", "'m"])
    #expect(SplitPattern.gpt2.split("(hello) 'world'") == ["(", "hello", ")", " '", "world", "'"])
  }

  @Test func gpt2NumbersAndPunctuation() {
    #expect(SplitPattern.gpt2.split("12345 3.14") == ["12345", " 3", ".", "14"])
    #expect(SplitPattern.gpt2.split("$100!!\n\nok") == ["$", "100", "!!", "\n", "\n", "ok"])
    #expect(SplitPattern.gpt2.split("¿Qué? 日本語") == ["¿", "Qué", "?", " 日本語"])
  }

  @Test func llama3Pattern() {
    #expect(
      SplitPattern.llama3.split("it's don't IT'S we're I'M you'll")
        == ["it", "'s", " don", "'t", " IT", "'S", " we", "'re", " I", "'M", " you", "'ll"])
    #expect(SplitPattern.llama3.split("12345 3.14") == ["123", "45", " ", "3", ".", "14"])
    #expect(
      SplitPattern.llama3.split(" \t\n  foo\r\n\r\nbar  ") == [
        " \t\n", " ", " foo", "\r\n\r\n", "bar", "  ",
      ])
    #expect(SplitPattern.llama3.split("(hello) 'world'") == ["(hello", ")", " '", "world", "'"])
    #expect(SplitPattern.llama3.split("a  \n\n  b") == ["a", "  \n\n", " ", " b"])
    #expect(SplitPattern.llama3.split("x\n\ty") == ["x", "\n", "\ty"])
    #expect(SplitPattern.llama3.split("$100!!\n\nok") == ["$", "100", "!!\n\n", "ok"])
    #expect(SplitPattern.qwen2.split("$100!!\n\nok") == ["$", "1", "0", "0", "!!\n\n", "ok"])
  }

  @Test func digitsSplitEachNumberCharacter() {
    #expect(
      DigitsPreTokenizer(individualDigits: true).preTokenize("a123b 4²") == [
        "a", "1", "2", "3", "b ", "4", "²",
      ])
    #expect(
      DigitsPreTokenizer(individualDigits: false).preTokenize("a123b 4²") == [
        "a", "123", "b ", "4²",
      ])
    #expect(DigitsPreTokenizer().preTokenize("no digits") == ["no digits"])
  }

  @Test func byteLevelSpellsBytes() {
    let stage = ByteLevelPreTokenizer(addPrefixSpace: false, useRegex: true)
    #expect(stage.preTokenize("Hi there\n") == ["Hi", "Ġthere", "Ċ"])
    #expect(stage.preTokenize("é") == ["Ã©"])
    #expect(ByteLevelPreTokenizer(addPrefixSpace: true).preTokenize("Hi") == ["ĠHi"])
    #expect(ByteLevelPreTokenizer(useRegex: false).preTokenize("a b") == ["aĠb"])
    // SmolLM2's original pipeline: digits first, then byte-level.
    let sequence = SequencePreTokenizer([DigitsPreTokenizer(individualDigits: true), stage])
    #expect(sequence.preTokenize("a 12") == ["a", "Ġ", "1", "2"])
  }

  @Test func byteLevelAlphabetRoundTrips() {
    #expect(ByteLevelAlphabet.characters.count == 256)
    #expect(Set(ByteLevelAlphabet.characters).count == 256)
    #expect(ByteLevelAlphabet.characters[0x20] == "Ġ")
    #expect(ByteLevelAlphabet.characters[0x0A] == "Ċ")
    for b in 0..<256 {
      #expect(ByteLevelAlphabet.byte(for: ByteLevelAlphabet.characters[b]) == UInt8(b))
    }
    #expect(ByteLevelAlphabet.bytes(of: "ĠðŁĳ") == [0x20, 0xF0, 0x9F, 0x91])
    #expect(ByteLevelAlphabet.bytes(of: "日") == nil)
  }
}
