import WhetNN
import WhetTensor

/// Builds a ``TransformerDecoder`` from a GGUF file: shape from the metadata, weights
/// dequantized to Float32, names mapped by ``WeightNames``, Q/K rows un-permuted.
public enum GGUFModelLoader {
  public static func decoder(from file: GGUFFile) throws -> TransformerDecoder {
    let config = try TransformerConfiguration(gguf: file)
    let arch = try file.string("general.architecture")
    // llama.cpp's converter permutes Q/K for Llama-family conversions only.
    let permuted = arch == "llama" || arch == "mistral"
    return try TransformerDecoder(config) { name, shape, _ in
      guard let ggufName = WeightNames.gguf(fromHF: name, family: config.family) else {
        throw GGUFError.missingTensor(file: file.path, tensor: name)
      }
      let info = try file.info(ggufName)
      guard info.shape == shape else {
        throw GGUFError.invalidTensor(
          file: file.path, tensor: ggufName,
          reason: "shape \(info.shape), but the model's metadata implies \(shape)")
      }
      let t = try file.tensor(ggufName)
      guard permuted else { return t }
      if name.hasSuffix("self_attn.q_proj.weight") {
        return RotaryPermutation.toHF(t, heads: config.heads)
      }
      if name.hasSuffix("self_attn.k_proj.weight") {
        return RotaryPermutation.toHF(t, heads: config.kvHeads)
      }
      return t
    }
  }
}
