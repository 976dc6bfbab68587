import Testing

@testable import WhetRewards

private func item(_ completion: String, _ columns: [String: String] = [:]) -> ScoringItem {
  ScoringItem(prompt: "q", completion: completion, columns: columns)
}

@Suite struct VerifierTextTests {
  @Test func squadNormalisation() {
    #expect(TextNormalization.squad("The  Eiffel-Tower!") == "eiffeltower")
    #expect(TextNormalization.squad("An apple a day, the DOCTOR said.") == "apple day doctor said")
    #expect(TextNormalization.squad("  theater  ") == "theater")
  }

  @Test func exactAndNormalizedMatch() {
    let exact = ExactMatchVerifier(comparison: .exact)
    #expect(exact.verify(item(" Paris\n", ["answer": "Paris"])) == .value(1))
    #expect(exact.verify(item("paris", ["answer": "Paris"])) == .value(0))
    let normalized = ExactMatchVerifier(comparison: .squadNormalized)
    #expect(normalized.name == "normalized")
    #expect(normalized.verify(item("The Eiffel Tower!", ["answer": "eiffel tower"])) == .value(1))
    #expect(
      normalized.verify(item("city of Paris", ["answer": #"["Paris", "City of Paris"]"#]))
        == .value(1))
    #expect(
      normalized.verify(item("Lyon", ["answer": #"["Paris", "City of Paris"]"#])) == .value(0))
    #expect(normalized.verify(item("Paris")).value == nil)
    let tagged = ExactMatchVerifier(comparison: .exact, span: .answerTag)
    #expect(tagged.verify(item("I think <answer>42</answer>", ["answer": "42"])) == .value(1))
  }

  @Test func regexMatch() throws {
    let digits = try RegexVerifier(pattern: #"^\d+$"#)
    #expect(digits.name == #"regex:^\d+$"#)
    #expect(digits.verify(item("42")) == .value(1))
    #expect(digits.verify(item("42 apples")) == .value(0))
    let whole = try RegexVerifier(pattern: "a|ab", wholeCompletion: true)
    #expect(whole.verify(item("ab")) == .value(1))
    #expect(whole.verify(item("abc")) == .value(0))
    let dotAll = try RegexVerifier(pattern: "<answer>.*</answer>", dotMatchesNewlines: true)
    #expect(dotAll.verify(item("<answer>\n5\n</answer>")) == .value(1))
    #expect(throws: VerifierError.self) { try RegexVerifier(pattern: "(") }
  }

  @Test func answerTagFormat() {
    let format = TagFormatVerifier.answerTags
    #expect(format.verify(item("<think>x</think><answer>5</answer>")) == .value(1))
    #expect(format.verify(item("So <answer>5</answer>.")) == .value(1))
    #expect(format.verify(item("<answer> </answer>")) == .value(0))
    #expect(format.verify(item("answer: 5")) == .value(0))
    #expect(format.verify(item("<answer>4</answer><answer>5</answer>")) == .value(0))
    #expect(format.verify(item("</answer>5<answer>")) == .value(0))
  }

  @Test func thinkAnswerFormat() {
    let format = TagFormatVerifier.thinkAnswer
    #expect(format.verify(item("<think>\nreason\n</think>\n<answer>\n5\n</answer>\n")) == .value(1))
    #expect(format.verify(item("<think>r</think><answer>5</answer> thanks")) == .value(0))
    #expect(format.verify(item("Sure! <think>r</think><answer>5</answer>")) == .value(0))
    #expect(format.verify(item("<answer>5</answer><think>r</think>")) == .value(0))
    #expect(format.verify(item("<think></think><answer>5</answer>")) == .value(0))
  }

  @Test func lengthPenaltyIsLinearBeyondTarget() {
    let chars = LengthPenalty(target: 10)
    #expect(chars.name == "length:10")
    #expect(chars.verify(item("12345")) == .value(1))
    #expect(chars.verify(item(String(repeating: "x", count: 10))) == .value(1))
    #expect(chars.verify(item(String(repeating: "x", count: 15))) == .value(0.5))
    #expect(chars.verify(item(String(repeating: "x", count: 25))) == .value(0))
    let words = LengthPenalty(target: 2, unit: .words)
    #expect(words.verify(item("a b c")) == .value(0.5))
    #expect(words.verify(item("  a \n b ")) == .value(1))
  }

  @Test func repetitionPenaltyCountsRepeatedNGrams() {
    let bigrams = RepetitionPenalty(n: 2)
    // 5 bigrams, 2 distinct: 3/5 repeated.
    #expect(abs(bigrams.repeatedFraction("the cat the cat the cat") - 0.6) < 1e-12)
    #expect(abs((bigrams.verify(item("the cat the cat the cat")).value ?? -1) - 0.4) < 1e-12)
    let trigrams = RepetitionPenalty()
    #expect(trigrams.name == "repetition")
    #expect(trigrams.verify(item("a b c d")) == .value(1))
    #expect(trigrams.verify(item("a a a a")) == .value(0.5))
    #expect(trigrams.verify(item("too short")) == .value(1))
  }
}

@Suite struct AnswerSignalTests {
  @Test func agreementIsTheShareOfOtherCandidatesWithTheSameAnswer() throws {
    let groups = QueryGroups(queryOfItem: [0, 0, 0, 0, 1])
    // Query 0: "4", "4.0" (same key), "5", no answer; query 1 has a single candidate.
    let completions = ["4", "It is 4.0", "#### 5", "no idea", "7"]
    let scores = try AnswerAgreement.scores(completions: completions, groups: groups)
    #expect(scores == [1.0 / 3, 1.0 / 3, 0, 0, nil])
    #expect(FinalAnswer.key(of: "#### 4") == FinalAnswer.key(of: "The answer is 4.0"))
    #expect(FinalAnswer.key(of: "nothing") == nil)
    #expect(throws: WeaverError.self) {
      try AnswerAgreement.scores(answers: ["1"], groups: groups)
    }
  }

  @Test func finalAnswerFormatGrades() throws {
    #expect(AnswerFormatVerifier.grade("4") == 1)
    #expect(AnswerFormatVerifier.grade(" 12.\n") == 1)
    #expect(AnswerFormatVerifier.grade("The answer is 4.") == 1)
    #expect(AnswerFormatVerifier.grade("3 + 1 = 4\n#### 4") == 1)
    #expect(AnswerFormatVerifier.grade("She had 3 and found 1, so 4 now") == 0.5)
    #expect(AnswerFormatVerifier.grade("I cannot tell.") == 0)
    let verifier = try VerifierRegistry.make("format:final-answer")
    #expect(verifier.name == "format:final-answer")
  }

  /// A stand-in judge: says yes (1) to ":", 0.3 to everything else, abstains on "".
  @Test func masterKeyProbeCountsFalsePositives() async throws {
    let judge = FunctionSource(name: "stub", columnsRead: []) { item in
      item.completion.isEmpty ? .abstain(reason: "empty") : .value(item.completion == ":" ? 1 : 0.3)
    }
    let report = try await MasterKeyProbe().run(judge: judge, prompts: ["q1", "q2"])
    #expect(report.keys.map(\.key) == MasterKeyProbe.standardKeys)
    let colon = try #require(report.keys.first { $0.key == ":" })
    #expect(colon.positives == 2 && colon.scored == 2 && colon.falsePositiveRate == 1)
    let empty = try #require(report.keys.first { $0.key.isEmpty })
    #expect(empty.scored == 0 && empty.falsePositiveRate == nil)
    #expect(report.abstentions == 2)
    // 2 positives over the 8 scored pairs of the other four keys.
    #expect(report.falsePositiveRate == 0.25)
    #expect(abs((report.keys[1].meanScore ?? 0) - 0.3) < 1e-12)
  }
}
