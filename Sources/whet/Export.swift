import ArgumentParser
import Foundation
import WhetLM
import WhetNN

/// `whet export`: a model (with a trained adapter merged in) as files other tools load.
struct Export: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract:
      "Merge an adapter and write a Hugging Face directory (config.json, model.safetensors, tokenizer, chat template) and optionally a GGUF file."
  )
  @Option(help: "A .gguf file or a Hugging Face model directory (default: the default model).")
  var model: String?
  @Option(help: "A LoRA adapter directory (PEFT layout), merged into the weights.") var adapter:
    String?
  @Option(help: "The output directory (Hugging Face layout).") var out: String
  @Option(
    help:
      "Also write OUT/model-TYPE.gguf with matrices as f32, f16 or q8_0 (from a GGUF or a Hugging Face source)."
  )
  var gguf: String?
  @Flag(help: "Skip the Hugging Face files (with --gguf).") var ggufOnly = false

  func run() throws {
    let type: GGMLType? = try gguf.map { name in
      guard
        let t = GGMLEncoding.exportTypes.first(where: { $0.name.lowercased() == name.lowercased() })
      else {
        throw ValidationError(
          "--gguf must be one of \(GGMLEncoding.exportTypes.map { $0.name.lowercased() }.joined(separator: ", "))"
        )
      }
      return t
    }
    guard !ggufOnly || type != nil else { throw ValidationError("--gguf-only needs --gguf") }
    let loaded = try loadModel(model, adapter: adapter)
    loaded.decoder.mergeLoRA()
    let directory = URL(fileURLWithPath: out)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    if !ggufOnly {
      try HFExport.write(loaded, to: directory)
      print("Wrote \(directory.path) (config.json, model.safetensors, tokenizer)")
    }
    if let type {
      let file = directory.appendingPathComponent("model-\(type.name.lowercased()).gguf")
      try GGUFExport.write(loaded, type: type, to: file)
      print("Wrote \(file.path)")
    }
  }
}
