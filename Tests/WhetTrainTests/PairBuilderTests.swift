import Testing
import WhetLM

@testable import WhetTrain

/// Pairs are the best against the worst candidate of each question; ties and small margins
/// are skipped; every ranking reads its own field.
@Suite struct PairBuilderTests {
  static func candidate(_ query: Int, _ text: String, p: Double, correct: Bool, judge: Double)
    -> [String: JSONValue]
  {
    [
      "query": .number(Double(query)), "prompt": .string("Q\(query)"), "completion": .string(text),
      "p_correct": .number(p), "correct": .bool(correct),
      "scores": .object(["judge": .number(judge)]),
    ]
  }

  static let rows: [[String: JSONValue]] = [
    candidate(0, "a", p: 0.9, correct: true, judge: 0.2),
    candidate(0, "b", p: 0.1, correct: false, judge: 0.8),
    candidate(0, "c", p: 0.5, correct: false, judge: 0.5),
    candidate(1, "d", p: 0.4, correct: false, judge: 0.3),
    candidate(1, "e", p: 0.4, correct: false, judge: 0.3),
    candidate(2, "f", p: 0.55, correct: true, judge: 0.1),
    candidate(2, "g", p: 0.5, correct: false, judge: 0.9),
  ]

  @Test func bestAgainstWorstPerQuestion() throws {
    let result = try PairBuilder(ranking: .init("p_correct")).pairs(Self.rows, file: "c.jsonl")
    #expect(result.questions == 3)
    #expect(result.skippedTies == 1)
    #expect(result.pairs.count == 2)
    let first = result.pairs[0]
    #expect(first["chosen"]?.arrayValue?.first?.objectValue?["content"] == .string("a"))
    #expect(first["rejected"]?.arrayValue?.first?.objectValue?["content"] == .string("b"))
    #expect(first["prompt"]?.arrayValue?.first?.objectValue?["role"] == .string("user"))
  }

  @Test func marginAndOtherRankings() throws {
    var builder = PairBuilder(ranking: .init("p_correct"))
    builder.minimumMargin = 0.1
    let margin = try builder.pairs(Self.rows, file: "c.jsonl")
    #expect(margin.pairs.count == 1 && margin.skippedMargin == 1)
    let judge = try PairBuilder(ranking: .init("score:judge")).pairs(Self.rows, file: "c.jsonl")
    #expect(judge.pairs[0]["chosen"]?.arrayValue?.first?.objectValue?["content"] == .string("b"))
    var oracle = PairBuilder(ranking: .init("correct"))
    oracle.conversational = false
    let truth = try oracle.pairs(Self.rows, file: "c.jsonl")
    // Question 0 has one correct answer against two wrong; the first wrong one is rejected.
    #expect(truth.pairs.first?["chosen"] == .string("a"))
    #expect(truth.pairs.count == 2)
    #expect(throws: ExampleError.self) {
      try PairBuilder(ranking: .init("score:missing")).pairs(Self.rows, file: "c.jsonl")
    }
  }

  /// SPIN: the reference answer against the first sample; a sample equal to it is a tie.
  @Test func spinPairsTheReferenceWithTheFirstSample() throws {
    var rows = Self.rows
    for i in rows.indices {
      rows[i]["solution"] = .string(i < 3 ? "ref0" : i < 5 ? "d" : "ref2")
    }
    var builder = PairBuilder(ranking: .init("p_correct"))
    builder.conversational = false
    let result = try builder.spinPairs(rows, referenceColumn: "solution", file: "c.jsonl")
    #expect(result.pairs.map { $0["chosen"] } == [.string("ref0"), .string("ref2")])
    #expect(result.pairs.map { $0["rejected"] } == [.string("a"), .string("f")])
    #expect(result.skippedTies == 1)
    #expect(throws: ExampleError.self) {
      try builder.spinPairs(Self.rows, referenceColumn: "solution", file: "c.jsonl")
    }
  }

  /// Delta learning: the stronger file's sample against the weaker file's, matched by query;
  /// questions only one file has are left out.
  @Test func deltaPairsMatchQuestionsAcrossFiles() throws {
    let weaker = [
      Self.candidate(2, "weak2", p: 0, correct: false, judge: 0),
      Self.candidate(0, "weak0", p: 0, correct: false, judge: 0),
      Self.candidate(0, "weak0b", p: 0, correct: false, judge: 0),
      Self.candidate(9, "weak9", p: 0, correct: false, judge: 0),
    ]
    var builder = PairBuilder(ranking: .init("p_correct"))
    builder.conversational = false
    let result = try builder.deltaPairs(
      stronger: Self.rows, strongerFile: "s.jsonl", weaker: weaker, weakerFile: "w.jsonl")
    #expect(result.pairs.map { $0["chosen"] } == [.string("a"), .string("f")])
    #expect(result.pairs.map { $0["rejected"] } == [.string("weak0"), .string("weak2")])
    #expect(result.pairs.allSatisfy { $0["margin"] == nil })
  }
}
