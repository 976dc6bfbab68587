import ArgumentParser
import Foundation
import WhetData
import WhetEval
import WhetLM
import WhetRewards
import WhetTensor

/// `whet sample`: N completions per prompt of a JSONL file, as JSONL.
struct Sample: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Sample N completions for each prompt of a JSONL file; writes one row per completion."
  )

  @Option(help: "A .gguf file or a Hugging Face model directory.") var model: String?
  @Option(help: "A LoRA adapter directory (PEFT layout) applied to --model.") var adapter: String?
  @Option(help: "Input JSONL with a `prompt` column (extra columns are passed through).") var data:
    String
  @Option(help: "Completions per prompt.") var n = 4
  @Option(help: "Prompts per generation batch.") var batchSize = 4
  @Flag(inversion: .prefixedNo, help: "Render prompts through the model's chat template.")
  var chat = true
  @OptionGroup var sampling: SamplingOptions

  func run() throws {
    try MixedPrecision.with(sampling.precision) { try runInPrecision() }
  }

  func runInPrecision() throws {
    guard n > 0, batchSize > 0 else {
      throw ValidationError("--n and --batch-size must be positive")
    }
    let lm = try loadModel(model, adapter: adapter)
    let rows = try readRows(data, strings: ["prompt"])
    // Each prompt repeated n times; row seeds differ, so the n samples differ.
    let prompts = try rows.map { try lm.encode($0["prompt"]?.stringValue ?? "", chat: chat) }
      .flatMap { [[Int]](repeating: $0, count: n) }
    let start = Date()
    try lm.generator().generate(
      prompts: prompts, parameters: sampling.parameters, rowsPerBatch: batchSize * n
    ) { first, outputs in
      for (offset, o) in outputs.enumerated() {
        let (query, k) = (first + offset).quotientAndRemainder(dividingBy: n)
        var object = rows[query]
        object["query"] = .number(Double(query))
        object["candidate"] = .number(Double(k))
        object["completion"] = .string(o.text)
        object["completion_tokens"] = .number(Double(o.tokens.count))
        object["completion_logprob"] = .number(o.logProbs.reduce(0.0) { $0 + Double($1) })
        object["completion_self_certainty"] = o.meanSelfCertainty.map(JSONValue.number) ?? .null
        object["finish_reason"] = .string(o.finishReason.rawValue)
        print(JSONLWriter.line(object), terminator: "")
      }
      let done = (first + outputs.count) / n
      let rate = Double(done) / max(Date().timeIntervalSince(start), 1e-9)
      progress(String(format: "sampled %d/%d prompts (%.2f prompts/s)", done, rows.count, rate))
    }
    endProgress()
  }
}
