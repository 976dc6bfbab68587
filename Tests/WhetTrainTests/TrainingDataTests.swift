import Foundation
import TestSupport
import Testing
import WhetData
import WhetLM
import WhetTensor

@testable import WhetTrain

/// Packing, length-grouped order and skipped bad rows, against hand-worked expectations.
@Suite struct TrainingDataTests {
  /// Two sequences packed into rows of 4: the boundary and each row's last position predict
  /// nothing; what each sequence trained on is kept.
  @Test func packingKeepsEachSequencesTargets() {
    let a = TokenizedSequence(prompt: [10], completion: [11, 12])
    let b = TokenizedSequence(prompt: [20, 21], completion: [22])
    #expect(a.targets == [11, 12, -1] && b.targets == [-1, 22, -1])
    let rows = TokenizedSequence.packed([a, b], length: 4)
    #expect(rows.map(\.tokens) == [[10, 11, 12, 20], [21, 22]])
    #expect(rows.map(\.targets) == [[11, 12, -1, -1], [22, -1]])
    // A row that trains on nothing is dropped.
    let prompt = TokenizedSequence(tokens: [1, 2, 3], trained: [false, false, false])
    #expect(TokenizedSequence.packed([a, prompt], length: 3).map(\.tokens) == [[10, 11, 12]])
  }

  /// With `group_by_length`, the epoch's order is the same permutation cut into mega-batches
  /// of 50 micro-batches, each sorted longest first.
  @Test func lengthGroupedOrderSortsEachMegaBatch() throws {
    var configuration = TrainingConfiguration()
    configuration.batchSize = 2
    configuration.groupByLength = true
    let lengths = (0..<250).map { ($0 * 37) % 101 }
    let trainer = try Trainer(
      configuration: configuration, parameters: [("w", Variable(.zeros([1])))], train: lengths,
      directory: FileManager.default.temporaryDirectory
    ) { _ in MicroBatchResult(loss: Variable(.zeros([1])), metrics: [:], tokens: 0) }
    let plain = trainer.order(epoch: 3)
    trainer.lengthOf = { $0 }
    let grouped = trainer.order(epoch: 3)
    #expect(grouped.sorted() == Array(0..<250))
    for start in stride(from: 0, to: 250, by: 100) {
      let window = Array(grouped[start..<min(start + 100, 250)])
      #expect(Set(window) == Set(plain[start..<min(start + 100, 250)]))
      let l = window.map { lengths[$0] }
      #expect(l == l.sorted(by: >))
    }
    #expect(grouped != plain)
  }

  /// A malformed line stops the load with its line, or is skipped and counted; so is a row
  /// the objective cannot use.
  @Test func badRowsStopTheRunOrAreSkippedAndCounted() throws {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent(
      "whet-bad-\(UUID().uuidString).jsonl")
    defer { try? FileManager.default.removeItem(at: url) }
    try """
    {"prompt": "a", "completion": " b"}
    {"prompt": "a", "completion": 
    {"text": "only text"}
    {"prompt": "c", "completion": " d"}
    """.write(to: url, atomically: true, encoding: .utf8)
    #expect {
      try OfflineRun.Rows.load(url)
    } throws: { ($0 as? DatasetError)?.line == 2 }
    let rows = try OfflineRun.Rows.load(url, skipBadRows: true)
    #expect(rows.rows.map(\.line) == [1, 3, 4])
    #expect(rows.skipped.count == 1)
    let model = try LanguageModel.load(
      Fixtures.file("WhetLMTests", "architectures/llama/hf").path)
    var run = OfflineRun(model: model, directory: FileManager.default.temporaryDirectory)
    var messages: [String] = []
    run.progress = { messages.append($0) }
    #expect(throws: ExampleError.self) {
      try run.examples(rows) { try run.builder.unpaired($0.row, file: rows.file, line: $0.line) }
    }
    run.skipBadRows = true
    let kept = try run.examples(rows) {
      try run.builder.unpaired($0.row, file: rows.file, line: $0.line)
    }
    #expect(kept.isEmpty)
    let pairs = try run.examples(rows) {
      try run.builder.sft($0.row, file: rows.file, line: $0.line)
    }
    #expect(pairs.count == 3)
    #expect(messages.first?.contains("skipped 4 bad rows of 4") == true, "\(messages)")
    #expect(messages.last?.contains("skipped 1 bad rows of 4") == true, "\(messages)")
  }
}
