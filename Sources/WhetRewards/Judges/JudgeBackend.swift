/// Where a judge's prompts go: the local engine, or an OpenAI-compatible endpoint.
public protocol JudgeBackend: Sendable {
  /// A name for logs and cache keys (`local:<model>`, `http:<url>#<model>`).
  var name: String { get }
  /// The reply to each prompt (one user message each), deterministic (temperature 0).
  func complete(_ prompts: [String], maxTokens: Int) async throws -> [String]
  /// `P(yes) / (P(yes) + P(no))` for the first token of the reply to each prompt, or `nil`
  /// where the backend cannot see probabilities (then the reply text decides).
  func yesProbability(_ prompts: [String]) async throws -> [Double?]
}
