import Foundation
import WhetNN
import WhetTensor

/// Writes a model as a GGUF file llama.cpp loads: the source's metadata (architecture,
/// hyperparameters, tokenizer, chat template) with `general.file_type` set, and the decoder's
/// current weights under llama.cpp's names, Q/K rows permuted back to llama.cpp's interleaved
/// layout for the Llama architecture. Matrices are written as `type` (F32, F16 or Q8_0);
/// vectors (norms, biases) stay F32, as llama.cpp's converter keeps them.
///
/// From a Hugging Face source, the metadata is written as llama.cpp's converter writes it
/// (``GGUFMetadataFromHF``: Llama, Qwen 2 and Qwen 3 shapes, plain or linear RoPE, byte-level
/// BPE tokenizers).
public enum GGUFExport {
  /// llama.cpp's `llama_ftype` of a file whose matrices are all `type`.
  static func fileType(_ type: GGMLType) -> UInt32 {
    switch type {
    case .f16: return 1
    case .q8_0: return 7
    default: return 0
    }
  }

  public static func write(_ model: LanguageModel, type: GGMLType, to url: URL) throws {
    let source = URL(fileURLWithPath: model.path)
    let decoder = model.decoder
    guard decoder.adapterParameters.isEmpty else {
      throw ExportError.unsupported("adapters are attached; merge them first (mergeLoRA)")
    }
    let config = decoder.config
    var writer = GGUFWriter()
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: source.path, isDirectory: &isDirectory),
      isDirectory.boolValue
    {
      for (key, value) in try GGUFMetadataFromHF.metadata(model, directory: source) {
        writer.setMetadata(key, value)
      }
    } else {
      let file = try GGUFFile(contentsOf: source)
      for key in file.metadataKeys where key != "general.alignment" {
        if let value = file.metadata[key] { writer.setMetadata(key, value) }
      }
    }
    guard
      case .string(let arch)? = writer.metadata.first(where: { $0.key == "general.architecture" })?
        .value
    else { throw ExportError.unsupported("the source names no general.architecture") }
    let permuted = arch == "llama" || arch == "mistral"
    writer.setMetadata("general.file_type", .uint32(fileType(type)))
    for (name, variable) in decoder.namedParameters {
      guard let ggufName = WeightNames.gguf(fromHF: name, family: config.family) else {
        throw ExportError.unsupported("parameter \(name) has no GGUF name")
      }
      var t = variable.value
      if permuted, name.hasSuffix("self_attn.q_proj.weight") {
        t = RotaryPermutation.toGGUF(t, heads: config.heads)
      } else if permuted, name.hasSuffix("self_attn.k_proj.weight") {
        t = RotaryPermutation.toGGUF(t, heads: config.kvHeads)
      }
      // Rows that do not divide into Q8_0 blocks stay F32.
      let tensorType = t.shape.count == 2 && (type != .q8_0 || t.shape[1] % 32 == 0) ? type : .f32
      writer.addTensor(
        ggufName, type: tensorType, shape: t.shape,
        bytes: try GGMLEncoding.encode(t, as: tensorType))
    }
    if case .divisors(let divisors) = config.ropeScaling {
      writer.addTensor("rope_freqs.weight", Tensor(shape: [divisors.count], scalars: divisors))
    }
    try writer.write(to: url)
  }
}
