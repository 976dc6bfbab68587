import Foundation
import WhetData
import WhetLM
import WhetRewards

/// The `code` verifier as an online reward that also records every ``SandboxViolation``:
/// each one is appended to ``log`` (JSONL: round, completion, kind, detail) and counted in
/// ``diagnostics`` (`sandbox/violations`, and one count per kind), so a run shows whether the
/// policy learned to push against the sandbox instead of solving the task.
public final class CodeReward: OnlineReward, @unchecked Sendable {
  public let verifier: CodeVerifier
  /// Where violations are appended; nil: only counted.
  public var log: URL?
  public private(set) var diagnostics: [String: Double] = [:]
  var batches = 0

  public init(_ verifier: CodeVerifier, log: URL? = nil) {
    self.verifier = verifier
    self.log = log
  }

  public var name: String { verifier.name }
  public var columnsRead: Set<String> { verifier.columnsRead }

  public func score(_ batch: RolloutBatch) async throws -> [Double?] {
    let items = batch.items
    let results = try await verifier.run(items)
    var counts: [String: Double] = ["sandbox/violations": 0]
    var lines: [[String: JSONValue]] = []
    for (i, (_, result)) in results.enumerated() {
      guard let result, let violation = SandboxViolation.classify(result) else { continue }
      counts["sandbox/violations", default: 0] += 1
      counts["sandbox/\(violation.kind.rawValue)", default: 0] += 1
      lines.append([
        "batch": .number(Double(batches)), "prompt": .string(items[i].prompt),
        "completion": .string(items[i].completion), "kind": .string(violation.kind.rawValue),
        "detail": .string(violation.detail),
      ])
    }
    batches += 1
    diagnostics = counts
    if let log, !lines.isEmpty {
      let text = lines.map(JSONLWriter.line).joined()
      if let handle = try? FileHandle(forWritingTo: log) {
        handle.seekToEndOfFile()
        handle.write(Data(text.utf8))
        try? handle.close()
      } else {
        try Data(text.utf8).write(to: log)
      }
    }
    return results.map(\.score.value)
  }
}
