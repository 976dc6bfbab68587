import Testing

@testable import WhetRewards

@Suite struct VerifierRegistryTests {
  @Test func buildsEveryListedVerifier() throws {
    let names = [
      "math", "exact", "normalized", #"regex:^\d+$"#, "format:answer-tags", "format:think-answer",
      "json",
      "length:200", "length:50:words", "repetition", "repetition:2", "code",
    ]
    let sources = try VerifierRegistry.make(names)
    #expect(sources.map(\.name) == names)
    #expect(sources[0] is MathVerifier)
    #expect(sources[3] is RegexVerifier)
    #expect((sources[8] as? LengthPenalty)?.unit == .words)
    #expect((sources[10] as? RepetitionPenalty)?.n == 2)
    #expect(sources[11] is CodeVerifier)
  }

  @Test func unknownNamesListTheValidOnes() {
    do {
      _ = try VerifierRegistry.make("maths")
      Issue.record("expected an error")
    } catch {
      #expect(error == .unknownVerifier(name: "maths", valid: VerifierRegistry.validNames))
      #expect(error.description.contains("unknown verifier 'maths'"))
      #expect(error.description.contains("format:answer-tags"))
      #expect(error.description.contains("regex:<pattern>"))
    }
    #expect(throws: VerifierError.self) { try VerifierRegistry.make("format:xml") }
    #expect(throws: VerifierError.self) { try VerifierRegistry.make("math:2") }
  }

  @Test func badArgumentsAreReported() {
    #expect(
      throws: VerifierError.invalidArgument(
        verifier: "length:abc", reason: "expected a positive length, as in length:200")
    ) {
      try VerifierRegistry.make("length:abc")
    }
    #expect(throws: VerifierError.self) { try VerifierRegistry.make("length:10:lines") }
    #expect(throws: VerifierError.self) { try VerifierRegistry.make("repetition:0") }
    #expect(throws: VerifierError.self) { try VerifierRegistry.make("regex:") }
    do {
      _ = try VerifierRegistry.make("regex:(")
      Issue.record("expected an error")
    } catch {
      guard case .invalidPattern(let pattern, _) = error else {
        Issue.record("wrong error \(error)")
        return
      }
      #expect(pattern == "(")
    }
  }
}
