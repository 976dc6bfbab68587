import Foundation
import WhetData
import WhetLM
import WhetNN
import WhetTensor

/// An offline training run on a model and TRL-format rows: what `whet train sft|dpo` drives.
/// The CLI only turns flags into this value.
public struct OfflineRun {
  public var model: LanguageModel
  public var configuration = TrainingConfiguration()
  /// Low-rank adapters to train; nil fine-tunes every weight.
  public var lora: LoRAConfiguration? = nil
  public var maxLength: Int? = 1024
  public var maxPromptLength: Int? = 512
  public var assistantOnlyLoss = false
  /// SFT only: pack the sequences into rows of `maxLength` tokens
  /// (``TokenizedSequence/packed(_:length:)``).
  public var packing = false
  /// Where reference log-probs are cached across runs (nil: not cached).
  public var referenceCache: URL? = ReferenceLogProbCache.defaultDirectory
  public var directory: URL
  public var progress: (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }

  public init(model: LanguageModel, directory: URL) {
    self.model = model
    self.directory = directory
  }

  /// Rows with their file and line, for errors.
  public struct Rows {
    public var file: String
    public var rows: [(line: Int, row: DatasetRow)]
    /// With `skipBadRows`: the rows left out, each as its error (file:line and reason).
    public var skipped: [String] = []

    public init(file: String, rows: [(line: Int, row: DatasetRow)]) {
      self.file = file
      self.rows = rows
    }

    /// Every row of a JSONL file. A malformed row stops the load with its file and line, or,
    /// with `skipBadRows`, is left out and recorded in ``skipped``.
    public static func load(_ url: URL, skipBadRows: Bool = false) throws(DatasetError) -> Rows {
      let reader = try DatasetReader(url: url)
      var out = Rows(file: url.path, rows: [])
      while true {
        do {
          guard let entry = try reader.next() else { break }
          out.rows.append(entry)
        } catch {
          guard skipBadRows, error.line != nil else { throw error }
          out.skipped.append(error.description)
        }
      }
      return out
    }
  }

  /// Leave out rows that cannot become examples (a wrong format for the objective, nothing
  /// left after truncation, a failing chat template), counting them, instead of stopping.
  public var skipBadRows = false

  /// `make` applied to every row; a row it refuses stops the run with the row's file:line, or
  /// is skipped and counted with ``skipBadRows``.
  func examples<T>(_ rows: Rows, _ make: ((line: Int, row: DatasetRow)) throws -> T) throws -> [T] {
    var out: [T] = []
    out.reserveCapacity(rows.rows.count)
    var skipped = rows.skipped
    for entry in rows.rows {
      do {
        out.append(try make(entry))
      } catch let error as ExampleError where skipBadRows {
        skipped.append(error.description)
      }
    }
    if !skipped.isEmpty {
      progress(
        "\(rows.file): skipped \(skipped.count) bad rows of \(rows.rows.count + rows.skipped.count) (first: \(skipped[0]))"
      )
    }
    return out
  }

  var builder: ExampleBuilder {
    var b = ExampleBuilder(
      encoder: model.text, maxLength: maxLength, maxPromptLength: maxPromptLength)
    b.assistantOnlyLoss = assistantOnlyLoss
    return b
  }

  /// The parameters to train (attaching adapters first when `lora` is set), and how to save
  /// and restore the adapters' dropout generators.
  func trainable() -> (
    parameters: [(name: String, variable: Variable)], save: () -> [String: String],
    restore: ([String: String]) throws -> Void
  ) {
    let decoder = model.decoder
    guard let lora else { return (decoder.namedParameters, { [:] }, { _ in }) }
    var rng = SeededGenerator(seed: configuration.seed &+ 17)
    let parameters = decoder.attachLoRA(lora, rng: &rng)
    let layers = decoder.projections.filter { $0.layer.adapter != nil }
    let save: () -> [String: String] = {
      var out: [String: String] = [:]
      for (i, p) in layers.enumerated() {
        let words = p.layer.adapter?.generator.stateWords ?? []
        out["lora_rng.\(i)"] = words.map(String.init).joined(separator: ",")
      }
      return out
    }
    let restore: ([String: String]) throws -> Void = { state in
      for (i, p) in layers.enumerated() {
        guard let text = state["lora_rng.\(i)"] else {
          throw TrainerError.resume("the checkpoint has no dropout state for adapter \(i)")
        }
        let words = text.split(separator: ",").compactMap { UInt64($0) }
        guard words.count == 4 else {
          throw TrainerError.resume("bad dropout state for adapter \(i)")
        }
        p.layer.adapter?.generator = SeededGenerator(stateWords: words)
      }
    }
    return (parameters, save, restore)
  }

  /// Supervised fine-tuning (completion-only for prompt/completion rows; assistant-only for
  /// `messages` with ``assistantOnlyLoss``).
  public func sft(train: Rows, evaluation: Rows? = nil, resume: Bool = false) throws
    -> TrainingSummary
  {
    let b = builder
    let length = maxLength ?? 1024
    let pack = packing
    guard !pack || length >= 2 else {
      throw TrainerError.configuration("packing needs max_length of at least 2, got \(length)")
    }
    func sequences(_ rows: Rows) throws -> [TokenizedSequence] {
      let each = try examples(rows) { try b.sft($0.row, file: rows.file, line: $0.line) }
      return pack ? TokenizedSequence.packed(each, length: length) : each
    }
    let decoder = model.decoder
    let objective = SFTObjective()
    return try run(try sequences(train), try evaluation.map(sequences) ?? [], resume: resume) {
      batch in
      let (logProbs, mask) = PolicyLogProbs.tokens(decoder, batch)
      let loss = try objective.loss(tokenLogProbs: logProbs, mask: mask)
      let tokens = batch.reduce(0) { $0 + $1.tokens.count }
      return MicroBatchResult(loss: loss, metrics: ["num_tokens": Float(tokens)], tokens: tokens)
    }
  }

  /// DPO (any ``DPOObjective``), with the reference log-probs computed once before training,
  /// from the model as loaded (the base model, adapters not yet attached).
  public func dpo(
    _ objective: DPOObjective, train: Rows, evaluation: Rows? = nil, resume: Bool = false
  ) throws -> TrainingSummary {
    try objective.validate()
    let trainPairs = try referenceLogProbs(try tokenizedPairs(train))
    let evalPairs = try referenceLogProbs(try evaluation.map(tokenizedPairs) ?? [])
    let decoder = model.decoder
    return try run(trainPairs, evalPairs, resume: resume) { batch in
      let (loss, metrics) = try objective.loss(Self.pairLogProbs(decoder, batch))
      return MicroBatchResult(
        loss: loss, metrics: Dictionary(uniqueKeysWithValues: metrics.named),
        tokens: Self.tokens(batch))
    }
  }

  /// CPO or SimPO (``CPOObjective``): reference-free, so no reference pass.
  public func cpo(
    _ objective: CPOObjective, train: Rows, evaluation: Rows? = nil, resume: Bool = false
  ) throws -> TrainingSummary {
    func examples(_ rows: Rows) throws -> [PreferenceExample] {
      try tokenizedPairs(rows).map {
        PreferenceExample(chosen: $0.0, rejected: $0.1, referenceChosen: 0, referenceRejected: 0)
      }
    }
    let decoder = model.decoder
    return try run(try examples(train), try evaluation.map(examples) ?? [], resume: resume) {
      batch in
      let (loss, metrics) = try objective.loss(Self.pairLogProbs(decoder, batch))
      return MicroBatchResult(
        loss: loss, metrics: Dictionary(uniqueKeysWithValues: metrics.named),
        tokens: Self.tokens(batch))
    }
  }

  /// The chosen and rejected sequences of every preference row.
  func tokenizedPairs(_ rows: Rows) throws -> [(TokenizedSequence, TokenizedSequence)] {
    let b = builder
    return try examples(rows) { entry in
      let pair = try b.preference(entry.row, file: rows.file, line: entry.line)
      return (pair.chosen, pair.rejected)
    }
  }

  /// Attaches the adapters (after the examples and any reference pass), runs the shared loop
  /// over `train`, and writes the trained adapter in PEFT's layout to `OUT/adapter` (LoRA
  /// runs) or the whole model as a Hugging Face directory to `OUT/model` (full fine-tuning).
  /// `extra` are trained too (a reward model's head), saved in the checkpoints with the rest.
  func run<Example: TrainingExample>(
    _ train: [Example], _ evaluation: [Example], resume: Bool,
    extra: [(name: String, variable: Variable)] = [],
    microBatch: @escaping ([Example]) throws -> MicroBatchResult
  ) throws -> TrainingSummary {
    let (parameters, save, restore) = trainable()
    let trainer = try Trainer(
      configuration: configuration, parameters: parameters + extra, train: train,
      evaluation: evaluation,
      directory: directory, microBatch: microBatch)
    trainer.saveRandomState = save
    trainer.restoreRandomState = restore
    trainer.progress = progress
    trainer.lengthOf = { $0.tokenCount }
    let summary = try trainer.run(resume: resume)
    try saveTrained()
    return summary
  }

  /// Writes the trained adapter in PEFT's layout to `OUT/adapter` (LoRA runs) or the whole
  /// model as a Hugging Face directory to `OUT/model` (full fine-tuning).
  func saveTrained() throws {
    if let lora {
      try PEFTAdapter.save(
        model.decoder, configuration: lora, baseModel: model.path,
        to: directory.appendingPathComponent("adapter"))
    } else {
      try HFExport.write(model, to: directory.appendingPathComponent("model"))
    }
  }

  /// The policy's summed log-probs of a batch of pairs (chosen and rejected in one forward),
  /// with the examples' reference log-probs.
  static func pairLogProbs(_ decoder: TransformerDecoder, _ batch: [PreferenceExample])
    -> PreferenceLogProbs
  {
    let p = batch.count
    let sums = PolicyLogProbs.sums(decoder, batch.map(\.chosen) + batch.map(\.rejected))
    return PreferenceLogProbs(
      chosen: slice(sums, alongAxis: 0, 0..<p), rejected: slice(sums, alongAxis: 0, p..<(2 * p)),
      referenceChosen: Tensor(shape: [p], scalars: batch.map(\.referenceChosen)),
      referenceRejected: Tensor(shape: [p], scalars: batch.map(\.referenceRejected)),
      chosenTokens: batch.map(\.chosen.trainedTokens),
      rejectedTokens: batch.map(\.rejected.trainedTokens))
  }

  static func tokens(_ batch: [PreferenceExample]) -> Int {
    batch.reduce(0) { $0 + $1.chosen.tokens.count + $1.rejected.tokens.count }
  }

  /// Each pair with its reference log-probs (``referenceSums(_:)``).
  func referenceLogProbs(_ pairs: [(TokenizedSequence, TokenizedSequence)]) throws
    -> [PreferenceExample]
  {
    let sums = try referenceSums(pairs.flatMap { [$0.0, $0.1] })
    return pairs.enumerated().map { k, pair in
      PreferenceExample(
        chosen: pair.0, rejected: pair.1, referenceChosen: sums[2 * k],
        referenceRejected: sums[2 * k + 1])
    }
  }

  /// Summed log-probs of `sequences` under the model as it is now (the reference: before
  /// adapters are attached), in batches, without gradients; read from ``referenceCache`` when
  /// the same model file, sequences and settings were seen before, and written there if not.
  func referenceSums(_ sequences: [TokenizedSequence]) throws -> [Float] {
    guard !sequences.isEmpty else { return [] }
    let cache = referenceCache.map { ReferenceLogProbCache(directory: $0) }
    let key = ReferenceLogProbCache.key(modelPath: model.path, sequences: sequences)
    if let cached = cache?.read(key: key, count: sequences.count) {
      progress(
        "Reference log-probs of \(sequences.count) sequences from the cache (\(key.prefix(12)))")
      return cached
    }
    progress("Reference log-probs of \(sequences.count) sequences…")
    var out: [Float] = []
    out.reserveCapacity(sequences.count)
    let size = max(2 * configuration.batchSize, 1)
    for start in stride(from: 0, to: sequences.count, by: size) {
      let chunk = Array(sequences[start..<min(start + size, sequences.count)])
      out += PolicyLogProbs.sums(model.decoder, chunk).value.scalars
    }
    try cache?.write(out, key: key)
    return out
  }
}
