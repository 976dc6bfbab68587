import Foundation
import TestSupport
import Testing
import WhetFuzz

/// A short seeded run of `make fuzz` (300 mutants per reader): every mutant is accepted or
/// rejected with a thrown error, never a crash. The seed input itself must be accepted, and
/// the mutants must not all be accepted (else nothing was checked).
@Suite struct FuzzSmokeTests {
  @Test func everyReaderSurvivesMutants() throws {
    let targets = try FuzzTarget.all(repositoryRoot: Fixtures.repositoryRoot)
    #expect(
      targets.map(\.name) == [
        "gguf", "safetensors", "tokenizer.json", "tokenizer.json-regex", "gguf-sentencepiece",
        "chat-template", "chat-template-tools", "checkpoint", "jsonl",
      ])
    for target in targets {
      #expect(target.run(target.seed), "\(target.name): the seed itself is rejected")
      let report = FuzzRunner.run(target, iterations: 300, seed: 7)
      #expect(report.rejected > 0, "\(target.name): no mutant was rejected")
    }
  }
}
