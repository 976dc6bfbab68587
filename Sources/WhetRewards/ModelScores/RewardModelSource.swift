import Foundation
import WhetLM
import WhetNN
import WhetTensor

/// A Bradley–Terry reward model: a scalar head `r = w·h + b` on the final hidden state of the
/// last token of prompt + completion (Ouyang et al. 2022; TRL's `RewardTrainer` layout).
///
/// The head is read from safetensors as `score.weight` `[1, C]` (and `score.bias` `[1]` if
/// present), the names of transformers' `…ForSequenceClassification`.
public struct RewardModelSource: RewardSource, @unchecked Sendable {
  /// Only the prompt and the completion.
  public var columnsRead: Set<String> { [] }
  public let scorer: CompletionScorer
  public let weight: Tensor
  public let bias: Float
  public var name: String { "reward-model" }

  public init(scorer: CompletionScorer, weight: Tensor, bias: Float = 0) {
    self.scorer = scorer
    self.weight = weight
    self.bias = bias
  }

  /// Loads the head from a safetensors file.
  public init(scorer: CompletionScorer, headFile url: URL) throws {
    let file = try SafetensorsFile(contentsOf: url)
    guard file.entries["score.weight"] != nil else {
      throw ScoringError.missingHead(file: url.path, reason: "no tensor 'score.weight'")
    }
    let w = try file.tensor("score.weight")
    let c = scorer.model.decoder.config.hiddenSize
    guard w.count == c else {
      throw ScoringError.missingHead(
        file: url.path, reason: "score.weight has shape \(w.shape), expected [1, \(c)]")
    }
    let b = file.entries["score.bias"] != nil ? try file.tensor("score.bias").scalars.first ?? 0 : 0
    self.init(scorer: scorer, weight: w.reshaped([c]), bias: b)
  }

  public func score(_ items: [ScoringItem]) async throws -> [Score] {
    let decoder = scorer.model.decoder
    return try items.map { item in
      let t = try scorer.tokens(prompt: item.prompt, completion: item.completion)
      let ids = t.prompt + t.completion
      let hidden = decoder.hiddenStates(tokens: ids, batch: 1).value
      let last = hidden.slice(alongAxis: 0, (ids.count - 1)..<ids.count)
      let r = last.withUnsafeBufferPointer { h in
        weight.withUnsafeBufferPointer { w in dotProduct(h.baseAddress!, w.baseAddress!, w.count) }
      }
      return .value(Double(r + bias))
    }
  }
}
