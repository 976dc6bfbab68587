import ArgumentParser
import Foundation
import WhetLM
import WhetTensor

/// Sampling flags shared by `generate` and `chat`.
struct SamplingOptions: ParsableArguments {
  @Option(help: "New tokens at most.") var maxTokens = 256
  @Option(help: "Sampling temperature; 0 is greedy.") var temperature: Float = 0.7
  @Option(help: "Nucleus sampling: keep tokens up to this cumulative probability.") var topP:
    Float = 1
  @Option(help: "Keep only the K most likely tokens (0: all).") var topK = 0
  @Option(help: "Drop tokens below this fraction of the most likely one's probability.") var minP:
    Float = 0
  @Option(help: "Repetition penalty (1: off).") var repetitionPenalty: Float = 1
  @Option(help: "Random seed; the same seed gives the same output.") var seed: UInt64 = 0
  @Option(help: "Stop when the text contains this string (repeatable).") var stop: [String] = []
  @Flag(
    help:
      "Matrix products in bf16 with fp32 accumulation (vdpbf16ps on CPUs with AVX-512 BF16); faster batched sampling, slightly different numbers."
  )
  var bf16 = false

  /// The precision `--bf16` asks for.
  var precision: MatMulPrecision { bf16 ? .bf16 : .fp32 }

  func validate() throws {
    guard maxTokens > 0 else { throw ValidationError("--max-tokens must be positive") }
    guard temperature >= 0, temperature.isFinite else {
      throw ValidationError("--temperature must be ≥ 0")
    }
    guard topP > 0, topP <= 1 else { throw ValidationError("--top-p must be in (0, 1]") }
    guard topK >= 0 else { throw ValidationError("--top-k must be ≥ 0") }
    guard minP >= 0, minP < 1 else { throw ValidationError("--min-p must be in [0, 1)") }
    guard repetitionPenalty > 0 else {
      throw ValidationError("--repetition-penalty must be positive")
    }
  }

  var parameters: SamplingParameters {
    SamplingParameters(
      temperature: temperature, topK: topK, topP: topP, minP: minP,
      repetitionPenalty: repetitionPenalty,
      maxTokens: maxTokens, stopStrings: stop, seed: seed)
  }
}

/// `whet generate`: sample continuations of TEXT.
struct Generate: ParsableCommand {
  static let configuration = CommandConfiguration(abstract: "Generate continuations of TEXT.")

  @OptionGroup var options: ModelOptions
  @OptionGroup var sampling: SamplingOptions
  @Option(help: "How many completions to sample (as one batch).") var n = 1
  @Flag(help: "Print one JSON object with every completion's text, tokens and log-probs.")
  var json = false
  @Argument(help: "The prompt.") var text: String

  func validate() throws {
    guard n > 0 else { throw ValidationError("--n must be positive") }
  }

  func run() throws {
    try MixedPrecision.with(sampling.precision) { try runInPrecision() }
  }

  func runInPrecision() throws {
    let model = try options.load()
    let ids = try model.encode(text, chat: options.chat)
    let generator = model.generator()
    let prompts = [[Int]](repeating: ids, count: n)
    if json {
      let outputs = try generator.generate(prompts: prompts, parameters: sampling.parameters)
      try printJSON([
        "prompt_tokens": ids.count,
        "completions": outputs.map {
          [
            "text": $0.text, "tokens": $0.tokens, "logprobs": $0.logProbs.map(Double.init),
            "finish_reason": $0.finishReason.rawValue,
          ]
            as [String: Any]
        },
      ])
      return
    }
    // Stream each row as it is produced; with several rows, print them one after another.
    var decoders = prompts.map { _ in model.tokenizer.makeStreamingDecoder(skipSpecialTokens: true)
    }
    let streamRow = n == 1
    let outputs = try generator.generate(prompts: prompts, parameters: sampling.parameters) {
      row, token in
      guard streamRow, !model.stopTokens.contains(token) else { return }
      emitText(decoders[row].append(token))
    }
    if streamRow {
      emitText(decoders[0].finish() + "\n")
    } else {
      for (i, o) in outputs.enumerated() { print("[\(i)] \(o.text)") }
    }
  }
}
