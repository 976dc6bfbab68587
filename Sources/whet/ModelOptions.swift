import ArgumentParser
import Foundation
import WhetLM
import WhetNN

/// `--model`, shared by every command that runs a model.
struct ModelOptions: ParsableArguments {
  @Option(
    help:
      "A .gguf file or a Hugging Face model directory (default: the model `make models` fetched, or $WHET_MODEL)."
  )
  var model: String?

  @Flag(
    help:
      "Treat TEXT as one user message rendered through the model's chat template, with the generation prompt."
  )
  var chat = false

  @Option(
    help:
      "A LoRA adapter directory in PEFT's layout (adapter_config.json, adapter_model.safetensors), applied to --model."
  )
  var adapter: String?

  func load() throws -> LanguageModel { try loadModel(model, adapter: adapter) }
}

/// `model` (or the default model) with the PEFT adapter in `adapter` attached, if given.
func loadModel(_ model: String?, adapter: String?) throws -> LanguageModel {
  let loaded = try LanguageModel.load(model ?? LanguageModel.defaultPath)
  if let adapter { try PEFTAdapter.load(URL(fileURLWithPath: adapter), into: loaded.decoder) }
  return loaded
}

/// Prints one JSON value on a line (keys sorted, so outputs are stable).
func printJSON(_ object: Any) throws {
  let data = try JSONSerialization.data(
    withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
  FileHandle.standardOutput.write(data + Data("\n".utf8))
}

/// Writes `text` to standard output at once (for streaming).
func emitText(_ text: String) {
  FileHandle.standardOutput.write(Data(text.utf8))
}

/// A line of progress on standard error, overwritten by the next.
func progress(_ line: String) {
  FileHandle.standardError.write(Data("\r\u{1B}[K\(line)".utf8))
}

/// Ends a progress line.
func endProgress() { FileHandle.standardError.write(Data("\n".utf8)) }

/// A message on standard error.
func log(_ line: String) { FileHandle.standardError.write(Data("\(line)\n".utf8)) }
