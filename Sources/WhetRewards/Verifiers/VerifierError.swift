/// A verifier could not be built from its name or configuration.
public enum VerifierError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The name matches no verifier; `valid` lists the accepted forms.
  case unknownVerifier(name: String, valid: [String])
  /// The name is known but its argument is not usable, e.g. `length:abc`.
  case invalidArgument(verifier: String, reason: String)
  /// A regular expression that does not compile.
  case invalidPattern(pattern: String, reason: String)
  /// A JSON schema that is not itself well formed (e.g. `"type": 3`).
  case invalidSchema(reason: String)

  public var description: String {
    switch self {
    case .unknownVerifier(let name, let valid):
      return "unknown verifier '\(name)'; valid verifiers: \(valid.joined(separator: ", "))"
    case .invalidArgument(let verifier, let reason):
      return "invalid argument for verifier '\(verifier)': \(reason)"
    case .invalidPattern(let pattern, let reason):
      return "invalid regular expression '\(pattern)': \(reason)"
    case .invalidSchema(let reason):
      return "invalid JSON schema: \(reason)"
    }
  }
}
