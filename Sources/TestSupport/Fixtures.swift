import Foundation

/// Paths of the repository, its fixtures and the default model, found from this file.
public enum Fixtures {
  /// The repository root (…/Sources/TestSupport/Fixtures.swift → up three).
  public static let repositoryRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  /// The default model that `make models` fetches.
  public static let defaultModel = repositoryRoot.appendingPathComponent(
    "models/SmolLM2-135M-Instruct.Q4_1.gguf")

  /// A file under `Tests/<target>/Fixtures/`.
  public static func file(_ target: String, _ name: String) -> URL {
    repositoryRoot.appendingPathComponent("Tests/\(target)/Fixtures/\(name)")
  }

  /// The JSON object in a fixture file.
  public static func json(_ target: String, _ name: String) throws -> Any {
    try JSONSerialization.jsonObject(with: Data(contentsOf: file(target, name)))
  }
}
