/// Builds rule-based verifiers from the names used on the command line and in configs.
///
/// | name | source |
/// |---|---|
/// | `math` | ``MathVerifier`` (numeric answer vs. column `answer`) |
/// | `exact` | ``ExactMatchVerifier`` (trimmed string equality) |
/// | `normalized` | ``ExactMatchVerifier`` with SQuAD normalisation |
/// | `regex:<pattern>` | ``RegexVerifier`` (search anywhere) |
/// | `format:answer-tags` | ``TagFormatVerifier/answerTags`` |
/// | `format:think-answer` | ``TagFormatVerifier/thinkAnswer`` |
/// | `format:final-answer` | ``AnswerFormatVerifier`` (a plainly stated numeric answer) |
/// | `json` | ``JSONVerifier`` (schema from column `schema` when present) |
/// | `length:<n>`, `length:<n>:words` | ``LengthPenalty`` with target `n` |
/// | `repetition`, `repetition:<n>` | ``RepetitionPenalty`` over word n-grams (n = 3) |
/// | `code` | ``CodeVerifier`` (Python tests from column `tests`, sandboxed) |
public enum VerifierRegistry {
  /// The accepted forms, as shown in errors and help text.
  public static let validNames = [
    "math", "exact", "normalized", "regex:<pattern>", "format:answer-tags", "format:think-answer",
    "format:final-answer", "json",
    "length:<n>", "length:<n>:words", "repetition", "repetition:<n>", "code",
  ]

  /// The verifier called `name`.
  ///
  /// - Throws: ``VerifierError/unknownVerifier(name:valid:)`` (listing ``validNames``) for an
  ///   unknown name, ``VerifierError/invalidArgument(verifier:reason:)`` for a bad argument,
  ///   ``VerifierError/invalidPattern(pattern:reason:)`` for a regex that does not compile.
  public static func make(_ name: String, sandbox: PythonSandbox = .init()) throws(VerifierError)
    -> any RewardSource
  {
    let head = name.split(separator: ":", maxSplits: 1).first.map(String.init) ?? ""
    let argument = name.firstIndex(of: ":").map { String(name[name.index(after: $0)...]) }
    switch (head, argument) {
    case ("math", nil): return MathVerifier()
    case ("exact", nil): return ExactMatchVerifier(comparison: .exact)
    case ("normalized", nil), ("normalised", nil):
      return ExactMatchVerifier(name: name, comparison: .squadNormalized)
    case ("regex", let pattern?):
      guard !pattern.isEmpty else {
        throw .invalidArgument(verifier: name, reason: "the pattern is empty")
      }
      return try RegexVerifier(pattern: pattern, name: name)
    case ("format", "answer-tags"): return TagFormatVerifier.answerTags
    case ("format", "think-answer"): return TagFormatVerifier.thinkAnswer
    case ("format", "final-answer"): return AnswerFormatVerifier()
    case ("json", nil): return JSONVerifier()
    case ("length", let spec?):
      let parts = spec.split(separator: ":", omittingEmptySubsequences: false)
      guard let target = Int(parts[0]), target > 0 else {
        throw .invalidArgument(
          verifier: name, reason: "expected a positive length, as in length:200")
      }
      switch parts.count {
      case 1: return LengthPenalty(target: target, unit: .characters, name: name)
      case 2 where parts[1] == "words" || parts[1] == "chars" || parts[1] == "characters":
        return LengthPenalty(
          target: target, unit: parts[1] == "words" ? .words : .characters, name: name)
      default:
        throw .invalidArgument(verifier: name, reason: "expected length:<n> or length:<n>:words")
      }
    case ("repetition", nil): return RepetitionPenalty()
    case ("repetition", let n?):
      guard let n = Int(n), n > 0 else {
        throw .invalidArgument(
          verifier: name, reason: "expected a positive n-gram length, as in repetition:3")
      }
      return RepetitionPenalty(n: n, name: name)
    case ("code", nil): return CodeVerifier(sandbox: sandbox)
    default:
      throw .unknownVerifier(name: name, valid: validNames)
    }
  }

  /// One verifier per name, in order (e.g. from `--verifier math --verifier format:answer-tags`).
  public static func make(_ names: [String], sandbox: PythonSandbox = .init()) throws(VerifierError)
    -> [any RewardSource]
  {
    var sources: [any RewardSource] = []
    for name in names { sources.append(try make(name, sandbox: sandbox)) }
    return sources
  }
}
