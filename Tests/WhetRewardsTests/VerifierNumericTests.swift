import Testing

@testable import WhetRewards

private func item(_ completion: String, answer: String? = "72") -> ScoringItem {
  ScoringItem(prompt: "q", completion: completion, columns: answer.map { ["answer": $0] } ?? [:])
}

@Suite struct VerifierNumericTests {
  @Test func scannerReadsSeparatorsSignsFractionsAndPercent() {
    #expect(NumberScanner.numbers(in: "It costs $1,234.50 today").map(\.value) == [1234.5])
    #expect(NumberScanner.numbers(in: "1,234,567 and 1,23").map(\.value) == [1_234_567, 1, 23])
    #expect(NumberScanner.numbers(in: "10-3 = 7").map(\.value) == [10, 3, 7])
    #expect(NumberScanner.numbers(in: "x = -3, y=(-2)").map(\.value) == [-3, -2])
    #expect(NumberScanner.numbers(in: "\u{2212}4 degrees").map(\.value) == [-4])
    #expect(NumberScanner.numbers(in: "3/4 of .5").map(\.value) == [0.75, 0.5])
    #expect(
      NumberScanner.numbers(in: "\\frac{3}{4}, -\\dfrac{1}{8} and \\frac12").map(\.value) == [
        0.75, -0.125, 0.5,
      ])
    #expect(NumberScanner.numbers(in: "2{,}500 and 1\\,000").map(\.value) == [2500, 1000])
    let percent = NumberScanner.numbers(in: "a 50% rise")
    #expect(percent == [ExtractedNumber(value: 50, text: "50%", isPercent: true)])
    #expect(NumberScanner.numbers(in: "no digits here").isEmpty)
    #expect(NumberScanner.exactNumber(" 1,000. ") == 1000)
    #expect(NumberScanner.exactNumber("12 apples") == nil)
  }

  @Test func finalAnswerFromGSM8KMarker() {
    let solution = """
      Natalia sold 48/2 = <<48/2=24>>24 clips in May.
      Natalia sold 48+24 = <<48+24=72>>72 clips altogether in April and May.
      #### 72
      """
    #expect(
      FinalAnswer.extract(from: solution)
        == FinalAnswer(value: 72, source: .gsm8kMarker, text: "72"))
    #expect(FinalAnswer.extract(from: "so... #### 1,234\nthanks 9")?.value == 1234)
    #expect(FinalAnswer.extract(from: "#### -15")?.value == -15)
  }

  @Test func finalAnswerFromBoxedWithNestedBraces() {
    #expect(
      FinalAnswer.extract(from: "Thus $\\boxed{\\frac{3}{4}}$.")
        == FinalAnswer(value: 0.75, source: .boxed, text: "\\frac{3}{4}"))
    #expect(FinalAnswer.extract(from: "\\boxed{\\dfrac{-1}{2}} then 9")?.value == -0.5)
    #expect(FinalAnswer.extract(from: "first \\boxed{3}, finally \\boxed{x = 5}")?.value == 5)
    #expect(FinalAnswer.extract(from: "$\\boxed{2{,}500}$ dollars")?.value == 2500)
    #expect(FinalAnswer.extract(from: "\\boxed{\\text{{12} apples}}")?.value == 12)
    #expect(FinalAnswer.boxedContent("\\boxed{a{b}c}") == "a{b}c")
    #expect(FinalAnswer.boxedContent("\\boxed{unclosed") == nil)
  }

  @Test func finalAnswerFromPhraseTagsAndLastNumber() {
    #expect(
      FinalAnswer.extract(from: "So the answer is -7. Check: 3 - 10 = -7")?.source == .answerPhrase)
    #expect(FinalAnswer.extract(from: "So the answer is -7. Check: 3 + 4 = 7")?.value == -7)
    #expect(FinalAnswer.extract(from: "The answer is 3/4 of the cake.")?.value == 0.75)
    #expect(
      FinalAnswer.extract(from: "Step 1: 2 pies.\n**Final Answer:**\n1,000,000")?.value == 1_000_000
    )
    #expect(
      FinalAnswer.extract(from: "<answer>x = 12</answer> (from 3 * 4)")
        == FinalAnswer(value: 12, source: .answerTag, text: "12"))
    #expect(
      FinalAnswer.extract(from: "I think it's 12, or maybe 15")
        == FinalAnswer(value: 15, source: .lastNumber, text: "15"))
    #expect(FinalAnswer.extract(from: "The answer is: none of them") == nil)
    #expect(FinalAnswer.extract(from: "") == nil)
  }

  @Test func toleranceIsRelativeAndAbsolute() {
    let strict = NumericTolerance()
    #expect(strict.accepts(0.75, 3.0 / 4.0))
    #expect(strict.accepts(1234, 1234.0000001))
    #expect(!strict.accepts(0.333, 1.0 / 3.0))
    #expect(NumericTolerance(relative: 1e-2).accepts(0.333, 1.0 / 3.0))
    #expect(strict.accepts(0, 1e-12))
    #expect(!strict.accepts(0, 1e-6))
  }

  @Test func mathVerifierScoresAndAbstains() {
    let math = MathVerifier()
    #expect(math.verify(item("We get 70 + 2.\n#### 72")) == .value(1))
    #expect(math.verify(item("The answer is 71")) == .value(0))
    #expect(math.verify(item("The answer is $1,234.", answer: "1234")) == .value(1))
    #expect(math.verify(item("\\boxed{\\frac{3}{4}}", answer: "0.75")) == .value(1))
    #expect(math.verify(item("so x = -5", answer: "-5")) == .value(1))
    #expect(math.verify(item("so x = 5", answer: "-5")) == .value(0))
    // A full GSM8K solution works as the reference.
    #expect(math.verify(item("72 clips", answer: "48+24 = <<48+24=72>>72\n#### 72")) == .value(1))
    // Abstentions carry their reason.
    guard case .abstain(let noNumber) = math.verify(item("I don't know.")) else {
      Issue.record("expected an abstention")
      return
    }
    #expect(noNumber.contains("no number"))
    guard case .abstain(let noReference) = math.verify(item("42", answer: nil)) else {
      Issue.record("expected an abstention")
      return
    }
    #expect(noReference.contains("'answer'"))
    #expect(math.verify(item("42", answer: "unknown")).value == nil)
  }

  @Test func mathVerifierIsARewardSource() async throws {
    let source: any RewardSource = MathVerifier()
    let scores = try await source.score([item("#### 72"), item("#### 7"), item("none")])
    #expect(scores.map(\.value) == [1, 0, nil])
    #expect(source.name == "math")
  }
}
