import Foundation
import TestSupport
import Testing
import WhetRewards

/// A scripted backend: replies from a function of the prompt.
struct ScriptedBackend: JudgeBackend {
  let name = "scripted"
  let reply: @Sendable (String) -> String
  let yes: @Sendable (String) -> Double?
  func complete(_ prompts: [String], maxTokens: Int) async throws -> [String] { prompts.map(reply) }
  func yesProbability(_ prompts: [String]) async throws -> [Double?] { prompts.map(yes) }
}

@Suite struct JudgeTests {
  @Test func scoreParsing() {
    #expect(PointwiseJudge.parseScore("Good answer.\nScore: 4") == 4)
    #expect(PointwiseJudge.parseScore("score: 3. Then later Score: **5**") == 5)
    #expect(PointwiseJudge.parseScore("no number here") == nil)
    #expect(PointwiseJudge.parseScore("Score: none") == nil)
  }

  @Test func pointwiseJudgeAbstainsOnUnparsableReplies() async throws {
    let backend = ScriptedBackend(
      reply: { $0.contains("good") ? "Fine. Score: 5" : "I cannot grade this." }, yes: { _ in nil })
    let judge = PointwiseJudge(
      name: "judge", backend: backend, prompt: try JudgePrompt.bundled("pointwise_additive"))
    let scores = try await judge.score([
      ScoringItem(prompt: "q", completion: "a good answer"),
      ScoringItem(prompt: "q", completion: "bad"),
    ])
    #expect(scores[0] == .value(5))
    if case .abstain(let reason) = scores[1] {
      #expect(reason.contains("no score"))
    } else {
      Issue.record("expected an abstention")
    }
  }

  @Test func bundledTemplatesRenderTheirPlaceholders() throws {
    for name in ["pointwise_additive", "correctness_yes_no", "pairwise", "rubric"] {
      let t = try JudgePrompt.bundled(name)
      let rendered = t.render([
        "prompt": "P", "completion": "C", "a": "A1", "b": "B1", "rubric": "R",
      ])
      #expect(!rendered.contains("{{"), "\(name) has an unfilled placeholder")
    }
    #expect(throws: JudgeError.self) { try JudgePrompt.bundled("nope") }
  }

  @Test func correctnessJudgeUsesYesProbabilityThenText() async throws {
    let backend = ScriptedBackend(
      reply: { $0.contains("second") ? "No." : "maybe" }, yes: { $0.contains("first") ? 0.8 : nil })
    let judge = CorrectnessJudge(
      name: "yes", backend: backend, prompt: try JudgePrompt.bundled("correctness_yes_no"))
    let s = try await judge.score([
      ScoringItem(prompt: "first", completion: "x"), ScoringItem(prompt: "second", completion: "y"),
      ScoringItem(prompt: "third", completion: "z"),
    ])
    #expect(s[0] == .value(0.8))
    #expect(s[1] == .value(0))
    #expect(s[2].value == nil)
  }

  /// A judge biased to position A gives A in both orders: inconsistent, so no verdict.
  @Test func pairwiseKeepsOnlyOrderConsistentVerdicts() async throws {
    let biased = ScriptedBackend(reply: { _ in "A" }, yes: { _ in nil })
    let fair = ScriptedBackend(
      reply: { p in
        let a = p.components(separatedBy: "Response A:\n")[1].components(separatedBy: "\n")[0]
        return a == "good" ? "A" : "B"
      }, yes: { _ in nil })
    let prompt = try JudgePrompt.bundled("pairwise")
    let pairs = [
      (prompt: "q", first: "good", second: "bad"), (prompt: "q", first: "bad", second: "good"),
    ]
    #expect(
      try await PairwiseJudge(backend: biased, prompt: prompt).compare(pairs) == [
        .inconsistent, .inconsistent,
      ])
    #expect(
      try await PairwiseJudge(backend: fair, prompt: prompt).compare(pairs) == [.first, .second])
  }
}
