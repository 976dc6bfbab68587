import Foundation
import TestSupport
import Testing
import WhetData
import WhetLM
import WhetNN
import WhetRewards
import WhetTensor

@testable import WhetTrain

/// The reward model's scalar head and the pointwise scorer's losses: values against formulas
/// evaluated here in Double, gradients against finite differences, and on SmolLM2 the reward
/// `whet score --source rm:` reads is the one the trainer trained (same tokens, same position).
@Suite struct ScalarHeadTests {
  @Test func headReadsTheGivenPositionAndItsGradientMatchesFiniteDifferences() {
    let c = 5
    let width = 3
    let hidden = randomTensor([2 * width, c], seed: 3)
    var rng = SeededGenerator(seed: 9)
    let head = ScalarHead(hiddenSize: c, rng: &rng)
    let scores = head(Variable(hidden), width: width, positions: [2, 0]).value
    for (b, t) in [(0, 2), (1, 0)].enumerated().map({ ($0.offset, $0.element.1) }) {
      var want = 0.0
      for j in 0..<c {
        want += Double(hidden[b * width + t, j]) * Double(head.weight.value[flat: j])
      }
      #expect(abs(Double(scores[flat: b]) - want) < 1e-5)
    }
    let h = Variable(hidden)
    let mix = Variable(Tensor(shape: [2], scalars: [0.7, -1.3]))
    let check = checkParameterGradients([h, head.weight], epsilon: 1e-2) {
      sum(head(h, width: width, positions: [2, 0]) * mix)
    }
    #expect(check.passed, "\(check)")
  }

  @Test(arguments: PointwiseScoreObjective.Loss.allCases)
  func pointwiseLossMatchesItsFormulaAndFiniteDifferences(_ kind: PointwiseScoreObjective.Loss)
    throws
  {
    let r: [Float] = [0.3, -1.2, 2.5, 0.05]
    let y: [Float] = [1, 0, 0.7, 0.25]
    let objective = PointwiseScoreObjective(kind)
    let (loss, metrics) = try objective.loss(
      scores: Variable(Tensor(shape: [4], scalars: r)), targets: Tensor(shape: [4], scalars: y))
    var want = 0.0
    for i in 0..<4 {
      let (ri, yi) = (Double(r[i]), Double(y[i]))
      switch kind {
      case .regression: want += (ri - yi) * (ri - yi)
      case .crossEntropy:
        let p = 1 / (1 + Foundation.exp(-ri))
        want += -(yi * Foundation.log(p) + (1 - yi) * Foundation.log(1 - p))
      }
    }
    want /= 4
    #expect(abs(Double(loss.value.item) - want) < 1e-5, "\(loss.value.item) vs \(want)")
    if kind == .crossEntropy {
      // σ(r) = 0.574, 0.231, 0.924, 0.512 against 1, 0, 0.7, 0.25: the first three agree.
      #expect(metrics["accuracy"] == 0.75)
    }
    let scores = Variable(Tensor(shape: [4], scalars: r))
    let check = checkParameterGradients([scores], epsilon: 1e-3) {
      (try? objective.loss(scores: scores, targets: Tensor(shape: [4], scalars: y)).loss)
        ?? Variable(Tensor(shape: [1], scalars: [.nan]))
    }
    #expect(check.passed, "\(check)")
    #expect(throws: ObjectiveError.self) {
      try PointwiseScoreObjective(.crossEntropy).loss(
        scores: scores, targets: Tensor(shape: [4], scalars: [0, 1, 2, 0]))
    }
  }
}

/// How the offline runs build their examples, on the tiny Llama fixture and SmolLM2.
@Suite struct OfflineExampleTests {
  static let tiny = Fixtures.file("WhetLMTests", "architectures/llama/hf").path

  static func row(_ text: String) throws -> DatasetRow {
    guard case .object(let object) = try JSONValue.parse(text) else {
      throw DatasetError.missingField(file: "mem.jsonl", line: 1, field: "{")
    }
    return try DatasetRow(object: object, file: "mem.jsonl", line: 1)
  }

  static func rows(_ lines: [String]) throws -> OfflineRun.Rows {
    OfflineRun.Rows(
      file: "mem.jsonl",
      rows: try lines.enumerated().map { i, text in
        (i + 1, try Self.row(text))
      })
  }

  /// KTO's mismatched sequences pair each prompt with the previous example's completion; the
  /// reference log-probs are those of a plain forward, and a second run reads them from the
  /// cache unchanged.
  @Test func ktoExamplesRotateCompletionsAndCacheReferences() throws {
    let model = try LanguageModel.load(Self.tiny)
    let cache = FileManager.default.temporaryDirectory.appendingPathComponent(
      "whet-refcache-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: cache) }
    var run = OfflineRun(model: model, directory: cache)
    run.referenceCache = cache
    var messages: [String] = []
    run.progress = { messages.append($0) }
    let rows = try Self.rows([
      #"{"prompt": "one", "completion": " a", "label": true}"#,
      #"{"prompt": "two", "chosen": " b", "rejected": " c"}"#,
    ])
    let examples = try run.ktoExamples(rows)
    #expect(examples.map(\.desirable) == [true, true, false])
    let tokenizer = model.tokenizer
    let eos = tokenizer.eosTokenID.map { [$0] } ?? []
    func ids(_ p: String, _ c: String) -> [Int] {
      tokenizer.encode(p, addSpecialTokens: true) + tokenizer.encode(c, addSpecialTokens: false)
        + eos
    }
    #expect(
      examples.map(\.sequence.tokens) == [ids("one", " a"), ids("two", " b"), ids("two", " c")])
    #expect(
      examples.map(\.mismatched.tokens) == [ids("one", " c"), ids("two", " a"), ids("two", " b")])
    for e in examples {
      let direct = PolicyLogProbs.sums(model.decoder, [e.sequence]).value[flat: 0]
      #expect(abs(direct - e.reference) < 1e-4)
    }
    #expect(!messages.contains { $0.contains("from the cache") })
    let again = try run.ktoExamples(rows)
    #expect(again == examples)
    #expect(messages.contains { $0.contains("from the cache") }, "\(messages)")
  }

  /// The reward `rm:` reads on SmolLM2 is the head on the last token of the very sequence the
  /// trainer builds from the conversational pair (`<|im_end|>` and the newline after it).
  @Test func rewardSourceScoresTheTrainedSequence() async throws {
    let model = try #require(
      try? LanguageModel.load(Fixtures.defaultModel.path), "run `make models`")
    let row = try Self.row(
      #"{"prompt": [{"role": "user", "content": "What is 2+3?"}], "chosen": [{"role": "assistant", "content": "5"}], "rejected": [{"role": "assistant", "content": "6"}]}"#
    )
    let builder = ExampleBuilder(encoder: model.text, maxLength: 1024, maxPromptLength: 512)
    let pair = try builder.preference(row, file: "mem.jsonl", line: 1)
    var rng = SeededGenerator(seed: 1)
    let head = ScalarHead(hiddenSize: model.decoder.config.hiddenSize, rng: &rng)
    let source = RewardModelSource(model: model, head: head)
    let scores = try await source.score([
      ScoringItem(prompt: "What is 2+3?", completion: "5"),
      ScoringItem(prompt: "What is 2+3?", completion: "6"),
    ])
    for (sequence, score) in zip([pair.chosen, pair.rejected], scores) {
      let hidden = model.decoder.hiddenStates(tokens: sequence.tokens, batch: 1).value
      let last = sequence.tokens.count - 1
      var want = 0.0
      for j in 0..<head.weight.value.count {
        want += Double(hidden[last, j]) * Double(head.weight.value[flat: j])
      }
      #expect(abs((score.value ?? .nan) - want) < 1e-4, "\(score) vs \(want)")
      #expect(sequence.tokens.suffix(2).first == model.tokenizer.id("<|im_end|>"))
    }
  }
}
