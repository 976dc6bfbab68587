import WhetNN
import WhetTensor

/// Why a row stopped.
public enum FinishReason: String, Sendable, Codable {
  /// The model produced an end-of-sequence token.
  case endOfSequence = "eos"
  /// The text reached one of the stop strings.
  case stopString = "stop"
  /// `maxTokens` new tokens were produced.
  case length
}

/// One row's output: tokens, their log-probs under the model, and text.
public struct Generation: Sendable, Equatable {
  /// New tokens, without the end-of-sequence token that stopped the row (that is ``stop``).
  public var tokens: [Int]
  /// `log π(token | prefix)` of each new token (raw model distribution), `[tokens.count]`.
  public var logProbs: [Float]
  /// Self-certainty `KL(U ‖ π(· | prefix))` of the distribution each new token was drawn
  /// from (raw model distribution), `[tokens.count]`; its mean is the completion's score.
  public var selfCertainty: [Float]
  /// `log q(token | prefix)` under the distribution actually sampled (after penalty,
  /// temperature and truncation; ``SampledToken/sampledLogProb``), `[tokens.count]`.
  public var sampledLogProbs: [Float] = []
  /// The entropy of each step's sampled distribution, `[tokens.count]`.
  public var entropies: [Float] = []
  /// The end-of-sequence or end-of-turn token that stopped the row, when one did.
  public var stop: SampledToken? = nil
  public var text: String
  public var finishReason: FinishReason

  public init(
    tokens: [Int], logProbs: [Float], selfCertainty: [Float], text: String,
    finishReason: FinishReason
  ) {
    self.tokens = tokens
    self.logProbs = logProbs
    self.selfCertainty = selfCertainty
    self.text = text
    self.finishReason = finishReason
  }
}

extension Generation {
  /// The mean self-certainty of the new tokens (the completion's score), nil when there are none.
  public var meanSelfCertainty: Double? { Self.mean(selfCertainty) }
  /// The mean log-prob of the new tokens, nil when there are none.
  public var meanLogProb: Double? { Self.mean(logProbs) }

  static func mean(_ values: [Float]) -> Double? {
    values.isEmpty ? nil : values.reduce(0.0) { $0 + Double($1) } / Double(values.count)
  }
}

/// Generation cannot start.
public enum GenerationError: Error, CustomStringConvertible, Equatable {
  case emptyPrompt(row: Int)
  case promptTooLong(row: Int, tokens: Int, limit: Int)

  public var description: String {
    switch self {
    case .emptyPrompt(let r): return "prompt \(r) has no tokens"
    case .promptTooLong(let r, let n, let limit):
      return "prompt \(r) has \(n) tokens; the limit is \(limit)"
    }
  }
}

/// Batched sampling with a KV cache.
///
/// Prompts of different lengths are left-padded into one batch (each row's positions start
/// at its first real token, padding is masked out of attention). Every row keeps its own
/// generator, stop state and token count; finished rows leave the batch so they cost nothing.
public struct Generator {
  public var engine: DecoderInference
  public let stopTokens: Set<Int>
  /// Token ids → text, for stop strings and the returned text.
  public let detokenize: ([Int]) -> String
  /// The longest prompt + completion the cache holds.
  public var maxContext: Int

  public init(
    model: TransformerDecoder, packed: PackedWeights = PackedWeights(), stopTokens: Set<Int>,
    maxContext: Int = 8192, detokenize: @escaping ([Int]) -> String
  ) {
    engine = DecoderInference(model: model, packed: packed)
    self.stopTokens = stopTokens
    self.maxContext = maxContext
    self.detokenize = detokenize
  }

  /// Generates a continuation of each prompt, all rows in one batch. `onToken(row, token)` is
  /// called as each token is chosen (for streaming); `row` indexes `prompts`.
  public func generate(
    prompts: [[Int]], parameters p: SamplingParameters,
    onToken: ((_ row: Int, _ token: Int) -> Void)? = nil
  ) throws -> [Generation] {
    var all: [Generation] = []
    all.reserveCapacity(prompts.count)
    try generate(prompts: prompts, parameters: p, rowsPerBatch: prompts.count, onToken: onToken) {
      all += $1
    }
    return all
  }

  /// Generates with at most `rowsPerBatch` rows decoding at once (continuous batching): when
  /// rows finish, waiting prompts are prefilled and join the rows still decoding, so the
  /// batch does not idle on one long completion. Row `i` is seeded with `seed + i` whatever
  /// the batch size. `didFinish(first, outputs)` receives the outputs in prompt order, as
  /// soon as every row before them has finished, with the index of the first.
  public func generate(
    prompts: [[Int]], parameters p: SamplingParameters, rowsPerBatch: Int,
    onToken: ((_ row: Int, _ token: Int) -> Void)? = nil,
    didFinish: (_ first: Int, _ outputs: [Generation]) throws -> Void
  ) throws {
    for (i, prompt) in prompts.enumerated() {
      if prompt.isEmpty { throw GenerationError.emptyPrompt(row: i) }
      if prompt.count + p.maxTokens > maxContext {
        throw GenerationError.promptTooLong(
          row: i, tokens: prompt.count, limit: maxContext - p.maxTokens)
      }
    }
    guard !prompts.isEmpty else { return }
    let slots = max(1, rowsPerBatch)
    // bf16 products: the weights packed once for this call, when enough rows decode at once.
    if engine.bf16 == nil, MixedPrecision.matmul == .bf16, MixedPrecision.hardwareBF16,
      min(slots, prompts.count) >= engine.bf16RowMinimum
    {
      var packed = self
      packed.engine.bf16 = BF16Weights(engine.model)
      return try packed.generate(
        prompts: prompts, parameters: p, rowsPerBatch: rowsPerBatch, onToken: onToken,
        didFinish: didFinish)
    }
    // Waiting prompts join once this many rows are free (or none is left decoding): each
    // join is one prefill and one copy of the cache, so joining one row at a time costs more
    // than the idle rows it fills.
    let joinAt = max(1, slots / 8)
    var rngs = prompts.indices.map { SeededGenerator(seed: p.seed &+ UInt64($0)) }
    var outputs = prompts.map { _ in
      Generation(tokens: [], logProbs: [], selfCertainty: [], text: "", finishReason: .length)
    }
    var finished = [Bool](repeating: false, count: prompts.count)
    var delivered = 0, waiting = 0
    var active: [Int] = []  // the prompt row of each cache row
    var cache: KVCache?
    var hidden = Tensor.zeros([0, engine.model.config.hiddenSize])
    func finish(_ row: Int) throws {
      if outputs[row].finishReason != .stopString {
        outputs[row].text = detokenize(outputs[row].tokens)
      }
      finished[row] = true
      var end = delivered
      while end < prompts.count, finished[end] { end += 1 }
      if end > delivered {
        try didFinish(delivered, Array(outputs[delivered..<end]))
        delivered = end
      }
    }
    while delivered < prompts.count {
      if waiting < prompts.count, active.isEmpty || slots - active.count >= joinAt {
        let rows = Array(waiting..<min(prompts.count, waiting + slots - active.count))
        waiting = rows.last! + 1
        let (joining, joiningHidden) = prefill(rows.map { prompts[$0] }, room: p.maxTokens)
        if let current = cache, !active.isEmpty {
          cache = current.appending(joining, room: p.maxTokens)
          hidden = Tensor.concatenate([hidden, joiningHidden], alongAxis: 0)
        } else {
          cache = joining
          hidden = joiningHidden
        }
        active += rows
      }
      let logits = engine.logits(hidden: hidden)
      let v = logits.lastDimension
      // Rows sample in parallel (each has its own generator); the rest runs in row order.
      var picks = [SampledToken](
        repeating: SampledToken(
          token: 0, logProb: 0, sampledLogProb: 0, selfCertainty: 0, entropy: 0),
        count: active.count)
      logits.withUnsafeBufferPointer { pl in
        rngs.withUnsafeMutableBufferPointer { rngs in
          picks.withUnsafeMutableBufferPointer { picks in
            parallelFor(active.count, tasksPerWorker: 1) { range in
              for cacheRow in range {
                let row = active[cacheRow]
                picks[cacheRow] = Sampler.sample(
                  logits: UnsafeBufferPointer(rebasing: pl[(cacheRow * v)..<((cacheRow + 1) * v)]),
                  previous: p.repetitionPenalty == 1 ? [] : prompts[row] + outputs[row].tokens,
                  parameters: p, rng: &rngs[row])
              }
            }
          }
        }
      }
      var next: [Int] = []
      var stillActive: [Int] = []
      var keptRows: [Int] = []
      for (cacheRow, row) in active.enumerated() {
        let pick = picks[cacheRow]
        let token = pick.token
        onToken?(row, token)
        if stopTokens.contains(token) {
          outputs[row].finishReason = .endOfSequence
          outputs[row].stop = pick
          try finish(row)
          continue
        }
        outputs[row].tokens.append(token)
        outputs[row].logProbs.append(pick.logProb)
        outputs[row].selfCertainty.append(pick.selfCertainty)
        outputs[row].sampledLogProbs.append(pick.sampledLogProb)
        outputs[row].entropies.append(pick.entropy)
        if !p.stopStrings.isEmpty,
          let cut = Self.stopIndex(detokenize(outputs[row].tokens), p.stopStrings)
        {
          outputs[row].text = cut
          outputs[row].finishReason = .stopString
          try finish(row)
        } else if outputs[row].tokens.count >= p.maxTokens {
          outputs[row].finishReason = .length
          try finish(row)
        } else {
          next.append(token)
          stillActive.append(row)
          keptRows.append(cacheRow)
        }
      }
      active = stillActive
      guard !active.isEmpty, var current = cache else {
        cache = nil
        continue
      }
      // `current` must hold the only reference to the cache's tensors: otherwise every
      // layer's store copies that layer's whole keys and values (copy on write).
      cache = nil
      if keptRows.count < picks.count {
        current.keepRows(keptRows)
      }
      hidden = engine.forward(tokens: next, cache: &current)
      cache = current
    }
  }

  /// The cache (with `room` free positions) and last hidden states `[N, C]` of `prompts` run
  /// through the model, left-padded to the longest. Identical prompts (N samples of one
  /// question) share one prefill; their cache rows and hidden states are then copied out to
  /// every row that asked for them.
  func prefill(_ prompts: [[Int]], room: Int) -> (KVCache, Tensor) {
    var uniqueIndex: [[Int]: Int] = [:]
    var unique: [[Int]] = []
    let sourceRow = prompts.map { prompt in
      if let u = uniqueIndex[prompt] { return u }
      uniqueIndex[prompt] = unique.count
      unique.append(prompt)
      return unique.count - 1
    }
    let longest = prompts.map(\.count).max()!
    let padding = prompts[0][0]  // any valid id; padded positions are masked
    var tokens: [Int] = []
    for prompt in unique {
      tokens += [Int](repeating: padding, count: longest - prompt.count) + prompt
    }
    var cache = KVCache(
      config: engine.model.config, batch: unique.count, capacity: longest + room,
      keyStart: unique.map { longest - $0.count })
    var hidden = engine.forward(tokens: tokens, cache: &cache)
    if unique.count < prompts.count {
      cache.keepRows(sourceRow)
      hidden = Tensor.gatherRows(hidden, ids: sourceRow)
    }
    return (cache, hidden)
  }

  /// The text before the first stop string, if any occurs.
  static func stopIndex(_ text: String, _ stops: [String]) -> String? {
    var best: String.Index?
    for s in stops where !s.isEmpty {
      if let r = text.range(of: s), best == nil || r.lowerBound < best! { best = r.lowerBound }
    }
    return best.map { String(text[..<$0]) }
  }
}
