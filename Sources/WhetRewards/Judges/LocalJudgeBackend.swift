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
    var out: [String] = []
    for start in stride(from: 0, to: prompts.count, by: max(1, batchSize)) {
      let ids = try prompts[start..<min(prompts.count, start + batchSize)].map {
        try model.encode($0, chat: true)
      }
      out += try generator.generate(prompts: ids, parameters: .greedy(maxTokens: maxTokens)).map(
        \.text)
    }
    return out
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
    var out: [Double?] = []
    for start in stride(from: 0, to: prompts.count, by: max(1, batchSize)) {
      let ids = try prompts[start..<min(prompts.count, start + batchSize)].map {
        try model.encode($0, chat: true)
      }
      let longest = ids.map(\.count).max() ?? 0
      var cache = KVCache(
        config: model.decoder.config, batch: ids.count, capacity: longest,
        keyStart: ids.map { longest - $0.count })
      let tokens = ids.flatMap { [Int](repeating: $0.first ?? 0, count: longest - $0.count) + $0 }
      let logProbs = engine.logits(hidden: engine.forward(tokens: tokens, cache: &cache))
        .logSoftmax()
      let v = logProbs.lastDimension
      for row in 0..<ids.count {
        func mass(_ set: Set<Int>) -> Double {
          set.reduce(0) { $0 + Foundation.exp(Double(logProbs[flat: row * v + $1])) }
        }
        let (py, pn) = (mass(yes), mass(no))
        out.append(py + pn > 0 ? py / (py + pn) : nil)
      }
    }
    return out
  }
}
