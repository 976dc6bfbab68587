import Foundation
import WhetNN
import WhetTensor

/// Builds a ``TransformerDecoder`` from a Hugging Face model directory: `config.json` and
/// `model.safetensors`, or shards listed in `model.safetensors.index.json`.
public enum HFModelLoader {
  public static func decoder(directory: URL) throws -> TransformerDecoder {
    let configURL = directory.appendingPathComponent("config.json")
    guard FileManager.default.fileExists(atPath: configURL.path) else {
      throw ModelLoadError.missingFile(directory: directory.path, file: "config.json")
    }
    let data: Data
    do {
      data = try Data(contentsOf: configURL)
    } catch {
      throw ModelLoadError.invalidConfiguration(file: configURL.path, reason: "\(error)")
    }
    let config = try HFConfiguration(data: data, file: configURL.path).configuration()
    let shards = try weightFiles(directory)
    var opened: [String: SafetensorsFile] = [:]
    return try TransformerDecoder(config) { name, shape, _ in
      // Some checkpoints omit the "model." prefix.
      let candidates = [name, name.hasPrefix("model.") ? String(name.dropFirst(6)) : name]
      guard let key = candidates.first(where: { shards[$0] != nil }), let fileName = shards[key]
      else {
        throw ModelLoadError.missingWeight(file: directory.path, tensor: name)
      }
      if opened[fileName] == nil {
        opened[fileName] = try SafetensorsFile(
          contentsOf: directory.appendingPathComponent(fileName))
      }
      let t = try opened[fileName]!.tensor(key)
      guard t.shape == shape else {
        throw ModelLoadError.shapeMismatch(
          file: fileName, tensor: key, expected: shape, found: t.shape)
      }
      // Gemma's RMSNorm scales by 1 + w; the engine's by its weight, which is stored as 1 + w
      // (as llama.cpp's converter stores it).
      if config.family == .gemma3, name.hasSuffix("norm.weight") {
        return Tensor(shape: t.shape, scalars: t.scalars.map { $0 + 1 })
      }
      return t
    }
  }

  /// Tensor name → file name, from the index or the single file.
  static func weightFiles(_ directory: URL) throws -> [String: String] {
    let index = directory.appendingPathComponent("model.safetensors.index.json")
    if FileManager.default.fileExists(atPath: index.path) {
      guard
        let object = try? JSONSerialization.jsonObject(with: Data(contentsOf: index))
          as? [String: Any],
        let map = object["weight_map"] as? [String: String]
      else {
        throw ModelLoadError.invalidConfiguration(
          file: index.path, reason: "no weight_map of strings")
      }
      return map
    }
    let single = directory.appendingPathComponent("model.safetensors")
    guard FileManager.default.fileExists(atPath: single.path) else {
      throw ModelLoadError.missingFile(
        directory: directory.path, file: "model.safetensors or model.safetensors.index.json")
    }
    let file = try SafetensorsFile(contentsOf: single)
    return Dictionary(uniqueKeysWithValues: file.names.map { ($0, "model.safetensors") })
  }
}
