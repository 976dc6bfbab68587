import ArgumentParser
import Foundation
import WhetData
import WhetEval
import WhetRewards

/// `whet tasks`: a seeded synthetic task suite as TRL-style JSONL (`prompt`, `answer`, `task`).
struct Tasks: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Write a synthetic verifiable task suite as JSONL to standard output.")

  @Option(help: "Suite: \(TaskSuite.allCases.map(\.rawValue).joined(separator: ", ")).") var suite =
    "arithmetic"
  @Option(help: "Rows to generate.") var n = 100
  @Option(help: "Seed; the same seed gives the same rows.") var seed: UInt64 = 1
  @Option(help: "Only this difficulty level (default: cycle through all levels).") var difficulty:
    Int?

  func run() throws {
    guard n >= 0 else { throw ValidationError("--n must be ≥ 0") }
    let rows = try TaskSuite.named(suite).generate(n: n, seed: seed, difficulty: difficulty)
    for row in rows { print(JSONLWriter.line(row.jsonObject), terminator: "") }
  }
}
