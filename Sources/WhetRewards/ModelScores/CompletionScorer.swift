import Foundation
import WhetLM
import WhetNN
import WhetTensor

/// Per-token statistics of completions under a model, from one batched forward pass that
/// never forms `[B, T, V]` logits: the target log-probs come from the chunked op, and the
/// mean logit over the vocabulary (for self-certainty) from `h · mean(W)`, which is linear.
public struct CompletionStatistics: Sendable, Equatable {
  /// `log π(y_t | x, y_<t)` for each completion token.
  public var tokenLogProbs: [Float]
  /// Per completion token, `KL(U ‖ p_t) = −log V − mean_v log p_t(v)` (Kang et al. 2025).
  public var selfCertainty: [Float]

  /// `log π(y | x)`.
  public var sequenceLogProb: Double { tokenLogProbs.reduce(0.0) { $0 + Double($1) } }
  /// Mean token log-prob (length-normalised).
  public var meanLogProb: Double {
    tokenLogProbs.isEmpty ? 0 : sequenceLogProb / Double(tokenLogProbs.count)
  }
  /// Mean self-certainty over the completion (higher is more confident).
  public var meanSelfCertainty: Double {
    selfCertainty.isEmpty
      ? 0 : selfCertainty.reduce(0.0) { $0 + Double($1) } / Double(selfCertainty.count)
  }
}

/// A model-based score could not be computed.
public enum ScoringError: Error, CustomStringConvertible, Equatable {
  case emptyPrompt

  public var description: String {
    switch self {
    case .emptyPrompt:
      return "the prompt has no tokens, so the first completion token cannot be scored"
    }
  }
}

/// Tokenises prompt/completion pairs and scores the completions under a model.
///
/// The prompt (rendered through the chat template when `chat`) and the completion are
/// tokenised separately and concatenated, as TRL does, so the boundary never merges.
public struct CompletionScorer {
  public let model: LanguageModel
  public var chat: Bool
  /// Sequences per forward pass.
  public var batchSize: Int
  /// Statistics already computed, shared by every copy of this scorer: several scores of
  /// one model over the same items (log-prob, mean log-prob, self-certainty) cost one pass.
  let cache = StatisticsCache()

  public init(model: LanguageModel, chat: Bool = true, batchSize: Int = 8) {
    self.model = model
    self.chat = chat
    self.batchSize = batchSize
  }

  /// Memoised ``CompletionStatistics`` keyed by prompt, completion and appended tokens.
  final class StatisticsCache: @unchecked Sendable {
    struct Key: Hashable {
      var prompt: String
      var completion: String
      var suffix: [Int]
    }
    private var entries: [Key: CompletionStatistics] = [:]
    private let lock = NSLock()

    subscript(key: Key) -> CompletionStatistics? {
      get { lock.withLock { entries[key] } }
      set { lock.withLock { entries[key] = newValue } }
    }
  }

  /// The prompt and completion token ids of one item.
  public func tokens(prompt: String, completion: String) throws -> (
    prompt: [Int], completion: [Int]
  ) {
    let p = try model.encode(prompt, chat: chat)
    // The first completion token needs a position before it to be predicted from.
    guard !p.isEmpty else { throw ScoringError.emptyPrompt }
    return (p, model.tokenizer.encode(completion))
  }

  /// Statistics for each `(prompt, completion)`; `appending` adds fixed tokens after each
  /// completion and scores them too (LaSeR's last-token reward reads the last one).
  public func statistics(
    _ items: [(prompt: String, completion: String)], appending suffix: [Int] = []
  )
    throws -> [CompletionStatistics]
  {
    let keys = items.map {
      StatisticsCache.Key(prompt: $0.prompt, completion: $0.completion, suffix: suffix)
    }
    var out = keys.map { cache[$0] }
    let missing = out.indices.filter { out[$0] == nil }
    if !missing.isEmpty {
      let computed = try computeStatistics(missing.map { items[$0] }, appending: suffix)
      for (i, s) in zip(missing, computed) {
        cache[keys[i]] = s
        out[i] = s
      }
    }
    return out.compactMap { $0 }  // every entry is filled by now
  }

  /// ``statistics(_:appending:)`` without the cache: one forward pass per batch.
  func computeStatistics(
    _ items: [(prompt: String, completion: String)], appending suffix: [Int]
  ) throws -> [CompletionStatistics] {
    var out: [CompletionStatistics] = []
    let decoder = model.decoder
    let meanWeight = Self.meanRow(decoder.outputWeight.value)
    let logV = Foundation.log(Float(decoder.config.vocabularySize))
    for start in stride(from: 0, to: items.count, by: max(1, batchSize)) {
      let chunk = items[start..<min(items.count, start + batchSize)]
      let encoded = try chunk.map { try tokens(prompt: $0.prompt, completion: $0.completion) }
      let length = encoded.map { $0.prompt.count + $0.completion.count + suffix.count }.max() ?? 0
      var ids: [Int] = [], targets: [Int] = []
      for e in encoded {
        let row = e.prompt + e.completion + suffix
        // Right padding; position t predicts row[t + 1]; only completion (and suffix) tokens count.
        let padded = row + [Int](repeating: row.last ?? 0, count: length - row.count)
        ids += padded
        for t in 0..<length {
          targets.append(t + 1 < row.count && t + 1 >= e.prompt.count ? row[t + 1] : -1)
        }
      }
      let hidden = decoder.hiddenStates(tokens: ids, batch: chunk.count).value
      let (logProbs, lse) = Tensor.targetLogProbs(
        hidden: hidden, weight: decoder.outputWeight.value, targets: targets)
      let meanLogit = Tensor.matmul(hidden, meanWeight.reshaped([-1, 1]))
      for b in encoded.indices {
        var lp: [Float] = [], sc: [Float] = []
        for t in 0..<length where targets[b * length + t] >= 0 {
          let i = b * length + t
          lp.append(logProbs[flat: i])
          // mean_v log p(v) = mean_v logit_v − lse.
          sc.append(-logV - (meanLogit[flat: i] - lse[i]))
        }
        out.append(CompletionStatistics(tokenLogProbs: lp, selfCertainty: sc))
      }
    }
    return out
  }

  /// The mean of the rows of `w` `[V, C]` → `[C]`.
  static func meanRow(_ w: Tensor) -> Tensor {
    var m = w.sum(alongAxis: 0)
    m.scale(by: 1 / Float(w.rowCount))
    return m
  }
}
