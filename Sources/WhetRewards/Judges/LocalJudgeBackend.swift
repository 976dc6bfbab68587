import Foundation
import WhetLM
import WhetNN
import WhetTensor

/// Judges with the local engine: each prompt is one user message through the model's chat
/// template; replies are greedy.
///
/// `@unchecked Sendable`: the model is only read.
public struct LocalJudgeBackend: JudgeBackend, @unchecked Sendable {
  public let model: LanguageModel
  /// Prompts per generation batch.
  public var batchSize: Int
  public var name: String { "local:\(URL(fileURLWithPath: model.path).lastPathComponent)" }

  public init(model: LanguageModel, batchSize: Int = 16) {
    self.model = model
    self.batchSize = batchSize
  }

  public func complete(_ prompts: [String], maxTokens: Int) async throws -> [String] {
    let generator = model.generator()
    let ids = try prompts.map { try model.encode($0, chat: true) }
    var out = [String](repeating: "", count: prompts.count)
    for batch in lengthSortedBatches(ids) {
      let texts = try generator.generate(
        prompts: batch.map { ids[$0] }, parameters: .greedy(maxTokens: maxTokens)
      ).map(\.text)
      for (i, text) in zip(batch, texts) { out[i] = text }
    }
    return out
  }

  /// Indices of `ids` in batches of ``batchSize`` prompts of similar length (shortest first),
  /// so left padding wastes little compute; results are put back in the callers' order.
  func lengthSortedBatches(_ ids: [[Int]]) -> [[Int]] {
    let order = ids.indices.sorted { (ids[$0].count, $0) < (ids[$1].count, $1) }
    return stride(from: 0, to: order.count, by: max(1, batchSize)).map {
      Array(order[$0..<min(order.count, $0 + max(1, batchSize))])
    }
  }

  /// Token ids that start a "yes" or a "no" reply, in the casings models use.
  var answerTokens: (yes: Set<Int>, no: Set<Int>) {
    func first(_ words: [String]) -> Set<Int> {
      Set(words.compactMap { model.tokenizer.encode($0).first })
    }
    return (first(["yes", "Yes", " yes", " Yes", "YES"]), first(["no", "No", " no", " No", "NO"]))
  }

  public func yesProbability(_ prompts: [String]) async throws -> [Double?] {
    let (yes, no) = answerTokens
    let engine = DecoderInference(model: model.decoder, packed: model.packed)
    let all = try prompts.map { try model.encode($0, chat: true) }
    var out = [Double?](repeating: nil, count: prompts.count)
    for batch in lengthSortedBatches(all) {
      let ids = batch.map { all[$0] }
      let longest = ids.map(\.count).max() ?? 0
      var cache = KVCache(
        config: model.decoder.config, batch: ids.count, capacity: longest,
        keyStart: ids.map { longest - $0.count })
      let tokens = ids.flatMap { [Int](repeating: $0.first ?? 0, count: longest - $0.count) + $0 }
      let logProbs = engine.logits(hidden: engine.forward(tokens: tokens, cache: &cache))
        .logSoftmax()
      let v = logProbs.lastDimension
      for (row, item) in batch.enumerated() {
        func mass(_ set: Set<Int>) -> Double {
          set.reduce(0) { $0 + Foundation.exp(Double(logProbs[flat: row * v + $1])) }
        }
        let (py, pn) = (mass(yes), mass(no))
        out[item] = py + pn > 0 ? py / (py + pn) : nil
      }
    }
    return out
  }
}
