import Foundation
import WhetLM
import WhetNN
import WhetTensor

/// A Bradley–Terry reward model: a scalar head `r = w·h` on the final hidden state of the
/// last token of prompt + completion (Ouyang et al. 2022; TRL's `RewardTrainer` layout), what
/// `whet train rm` writes.
///
/// Each candidate is tokenized as the trainers tokenize it
/// (``TextEncoder/promptCompletion(prompt:completion:chat:)``: through the chat template as a
/// user turn and the assistant's reply, end-of-turn included), so the head reads the position
/// it was trained on.
public struct RewardModelSource: RewardSource, @unchecked Sendable {
  /// Only the prompt and the completion.
  public var columnsRead: Set<String> { [] }
  public let model: LanguageModel
  public let head: ScalarHead
  public var chat: Bool
  public var name: String

  public init(model: LanguageModel, head: ScalarHead, chat: Bool = true, name: String = "rm") {
    self.model = model
    self.head = head
    self.chat = chat
    self.name = name
  }

  /// The head in `url` (`score.weight`) on `model`.
  public init(model: LanguageModel, headFile url: URL, chat: Bool = true, name: String = "rm")
    throws
  {
    self.init(
      model: model,
      head: try ScalarHead(contentsOf: url, hiddenSize: model.decoder.config.hiddenSize),
      chat: chat, name: name)
  }

  /// Sequences per forward pass.
  public var batchSize = 8

  /// Scores in batches of ``batchSize``, sorted by length so little is padded; the head reads
  /// each row's own last token (right padding cannot change it: attention is causal).
  public func score(_ items: [ScoringItem]) async throws -> [Score] {
    let decoder = model.decoder
    let sequences = try items.map { item in
      let t = try model.text.promptCompletion(
        prompt: item.prompt, completion: item.completion, chat: chat)
      return t.prompt + t.completion
    }
    let order = sequences.indices.sorted { sequences[$0].count < sequences[$1].count }
    var out = [Score](repeating: .abstain(reason: "unscored"), count: items.count)
    for start in stride(from: 0, to: order.count, by: max(batchSize, 1)) {
      let chunk = Array(order[start..<min(start + max(batchSize, 1), order.count)])
      let width = chunk.map { sequences[$0].count }.max() ?? 0
      let tokens = chunk.flatMap {
        sequences[$0] + Array(repeating: 0, count: width - sequences[$0].count)
      }
      let hidden = decoder.hiddenStates(tokens: tokens, batch: chunk.count)
      let r = head(hidden, width: width, positions: chunk.map { sequences[$0].count - 1 }).value
      for (k, i) in chunk.enumerated() { out[i] = .value(Double(r[flat: k])) }
    }
    return out
  }
}

extension RewardModelSource {
  /// `rm:PATH`: a head file (`score.weight`) on `sharedModel`, or a `whet train rm` run
  /// directory: its `score.safetensors` on its `model/` (full fine-tuning), else on
  /// `baseModel` with its `adapter/` (LoRA) loaded into a copy of its own.
  public static func open(
    _ path: String, sharedModel: () throws -> LanguageModel, baseModel: String, chat: Bool = true
  ) throws -> RewardModelSource {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw ModelLoadError.notFound(path: path)
    }
    let name = "rm:\(path)"
    let url = URL(fileURLWithPath: path)
    guard isDirectory.boolValue else {
      return try RewardModelSource(model: try sharedModel(), headFile: url, chat: chat, name: name)
    }
    let head = url.appendingPathComponent("score.safetensors")
    guard FileManager.default.fileExists(atPath: head.path) else {
      throw ModelLoadError.missingFile(directory: path, file: "score.safetensors")
    }
    let full = url.appendingPathComponent("model")
    if FileManager.default.fileExists(atPath: full.appendingPathComponent("config.json").path) {
      return try RewardModelSource(
        model: try LanguageModel.load(full.path), headFile: head, chat: chat, name: name)
    }
    let model = try LanguageModel.load(baseModel)
    let adapter = url.appendingPathComponent("adapter")
    if FileManager.default.fileExists(atPath: adapter.path) {
      try PEFTAdapter.load(adapter, into: model.decoder)
    }
    return try RewardModelSource(model: model, headFile: head, chat: chat, name: name)
  }
}
