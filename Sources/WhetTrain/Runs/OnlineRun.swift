import Foundation
import WhetData
import WhetLM
import WhetNN
import WhetRewards
import WhetTensor

/// An online RL run on a model and prompt rows: what `whet train grpo|rloo|reinforce-pp|topr|
/// raft|online-dpo` drives. The CLI only turns flags into this value.
public struct OnlineRun {
  public var model: LanguageModel
  public var configuration = TrainingConfiguration()
  public var online = OnlineConfiguration()
  /// Low-rank adapters to train; nil fine-tunes every weight.
  public var lora: LoRAConfiguration? = nil
  /// Standard-text prompts go through the chat template as one user message (conversational
  /// prompts always do).
  public var chat = true
  /// Longest prompt + completion, in tokens.
  public var maxLength = 1024
  /// Longest prompt, in tokens (its start is cut, as TRL cuts it).
  public var maxPromptLength = 512
  public var skipBadRows = false
  public var directory: URL
  public var progress: (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }

  public init(model: LanguageModel, directory: URL) {
    self.model = model
    self.directory = directory
  }

  /// Trains with `algorithm` on the prompts of `train`, rewarded by `rewards`; `evaluation`'s
  /// prompts are answered greedily and scored by `evaluationReward` before, every
  /// `eval_steps` and after. Writes the adapter (`OUT/adapter`) or model (`OUT/model`).
  public func run(
    _ algorithm: OnlineAlgorithm, train: OfflineRun.Rows, evaluation: OfflineRun.Rows? = nil,
    rewards: [any OnlineReward], evaluationReward: (any OnlineReward)?, resume: Bool = false
  ) async throws -> TrainingSummary {
    guard !configuration.groupByLength else {
      throw TrainerError.configuration("group_by_length does not apply to online runs")
    }
    let promptLimit = min(maxPromptLength, maxLength - online.maxCompletionLength)
    guard promptLimit > 0 else {
      throw TrainerError.configuration(
        "max_length \(maxLength) leaves no room for a prompt after max_completion_length \(online.maxCompletionLength)"
      )
    }
    var offline = OfflineRun(model: model, directory: directory)
    offline.configuration = configuration
    offline.lora = lora
    offline.skipBadRows = skipBadRows
    offline.progress = progress
    let trainPrompts = try offline.examples(train) {
      try self.prompt($0.row, file: train.file, line: $0.line, limit: promptLimit)
    }
    let evalPrompts =
      try evaluation.map { rows in
        try offline.examples(rows) {
          try self.prompt($0.row, file: rows.file, line: $0.line, limit: promptLimit)
        }
      } ?? []
    let decoder = model.decoder
    let temperature = online.temperature
    // The reference: the model as loaded. LoRA runs detach their adapters for it; full
    // fine-tuning keeps a second copy, loaded only when β > 0 or online DPO needs it.
    let needsReference =
      (online.beta > 0 && algorithm != .topr && algorithm != .raft) || algorithm == .onlineDPO
    var referenceDecoder: TransformerDecoder? = nil
    if needsReference, lora == nil {
      progress("Loading a frozen copy of \(model.path) as the reference…")
      referenceDecoder = try LanguageModel.load(model.path).decoder
    }
    let (parameters, save, restore) = offline.trainable()
    let generator: Generator
    if lora != nil {
      // The packed base weights never change; the adapters are applied on the fly.
      generator = model.generator(maxContext: maxLength)
    } else {
      // Full fine-tuning: the Float32 weights as they are now, never the packed copies.
      let tokenizer = model.tokenizer
      generator = Generator(
        model: decoder, packed: PackedWeights(), stopTokens: model.stopTokens,
        maxContext: maxLength, detokenize: { tokenizer.decode($0) })
    }
    var sampler = RolloutSampler(
      generator: generator, parameters: online.sampling, groupSize: online.numGenerations)
    sampler.rowsPerBatch = max(
      online.numGenerations,
      online.generationBatchSize / online.numGenerations * online.numGenerations)
    let trainer = try OnlineTrainer(
      configuration: configuration, online: online, algorithm: algorithm, policy: decoder,
      parameters: parameters, prompts: trainPrompts, evaluation: evalPrompts, rewards: rewards,
      evaluationReward: evaluationReward, sampler: sampler, directory: directory)
    trainer.saveRandomState = save
    trainer.restoreRandomState = restore
    trainer.progress = progress
    if needsReference {
      let size = configuration.batchSize
      trainer.reference = { sequences in
        if let referenceDecoder {
          return PolicyLogProbs.perSequence(
            referenceDecoder, sequences, temperature: temperature, chunk: size)
        }
        return decoder.withAdaptersDetached {
          PolicyLogProbs.perSequence(decoder, sequences, temperature: temperature, chunk: size)
        }
      }
    }
    if online.samplingDiffersFromPolicy {
      progress(
        "Note: top-k/top-p/min-p or a repetition penalty make the sampled distribution differ from the policy the loss sees; the behaviour log-probs are those of the truncated distribution"
      )
    }
    let summary = try await trainer.run(resume: resume)
    try offline.saveTrained()
    return summary
  }

  /// The prompt of a row (a `prompt` row, or the prompt of a prompt/completion row), its tokens
  /// keeping the last `limit`.
  func prompt(_ row: DatasetRow, file: String, line: Int, limit: Int) throws(ExampleError)
    -> OnlinePrompt
  {
    func fail(_ reason: String) -> ExampleError {
      ExampleError(file: file, line: line, reason: reason)
    }
    let prompt: DatasetText
    switch row.content {
    case .prompt(let p): prompt = p
    case .promptCompletion(let p, _): prompt = p
    default:
      throw fail("online training needs a `prompt` field (\(row.format) rows have none)")
    }
    var tokens: [Int]
    let text: String
    do {
      switch prompt {
      case .text(let s):
        text = s
        tokens =
          chat
          ? try model.encode(s, chat: true) : model.tokenizer.encode(s, addSpecialTokens: true)
      case .messages(let messages):
        text = messages.last { $0.role == "user" }?.content ?? messages.last?.content ?? ""
        tokens = model.tokenizer.encode(
          try model.renderChat(messages, addGenerationPrompt: true), addSpecialTokens: false)
      }
    } catch {
      throw fail("the prompt cannot be tokenized: \(error)")
    }
    guard !tokens.isEmpty else { throw fail("the prompt has no tokens") }
    if tokens.count > limit { tokens = Array(tokens.suffix(limit)) }
    return OnlinePrompt(file: file, line: line, tokens: tokens, text: text, columns: row.columns)
  }
}
