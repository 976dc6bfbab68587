import Crypto
import Foundation
import WhetNN
import WhetTensor

/// A GGUF file rebuilt from its recipe, `gguf_recipe.json`, which records what llama.cpp's
/// converter wrote: every metadata entry in order and every tensor with its `ne`, the SHA-256
/// of its bytes and the tensor of `hf/model.safetensors` it holds (rows permuted for rotary
/// pairs where the converter did that; zeros where the fixture has no weights of its own).
/// The test fixtures are kept this way instead of as binary files
/// (`Tests/WhetLMTests/Fixtures/record_gguf_recipes.py` writes the recipes).
///
/// Rebuilt tensor bytes must hash to the recorded values, so a rebuilt file holds the
/// converter's tensors exactly. The writer adds `general.alignment` (32, the format's default).
public enum GGUFRecipe {
  /// `directory/model.f32.gguf`, written from `directory/gguf_recipe.json` when it is not
  /// there yet (atomically, so parallel callers are safe).
  public static func materialize(_ directory: URL) throws -> URL {
    let target = directory.appendingPathComponent("model.f32.gguf")
    if FileManager.default.fileExists(atPath: target.path) { return target }
    try AtomicFile.write(try build(directory), to: target)
    return target
  }

  /// The bytes of the file the recipe in `directory` describes.
  public static func build(_ directory: URL) throws -> Data {
    let path = directory.appendingPathComponent("gguf_recipe.json").path
    func bad(_ key: String, _ reason: String) -> GGUFError {
      .invalidMetadata(file: path, key: key, reason: reason)
    }
    guard
      let root = try JSONSerialization.jsonObject(
        with: Data(contentsOf: URL(fileURLWithPath: path)))
        as? [String: Any],
      let metadata = root["metadata"] as? [[String: Any]],
      let tensors = root["tensors"] as? [[String: Any]]
    else { throw bad("(root)", "needs `metadata` and `tensors` lists") }
    var writer = GGUFWriter()
    for entry in metadata {
      let key = entry["key"] as? String ?? "(unnamed)"
      writer.setMetadata(key, try value(entry, key: key, bad: bad))
    }
    let weights = directory.appendingPathComponent("hf/model.safetensors")
    let hf =
      FileManager.default.fileExists(atPath: weights.path)
      ? try SafetensorsFile(contentsOf: weights) : nil
    for entry in tensors {
      guard let name = entry["name"] as? String, let ne = entry["ne"] as? [Int],
        let sha256 = entry["sha256"] as? String, entry["type"] as? String == "F32"
      else { throw bad("tensors", "an F32 entry needs name, ne and sha256: \(entry)") }
      let shape = Array(ne.reversed())
      var tensor = Tensor.zeros(shape)
      if let source = entry["source"] as? String {
        guard let hf else { throw bad(name, "source \(source) but no \(weights.path)") }
        tensor = try hf.tensor(source).reshaped(shape)
        if let heads = entry["permute_heads"] as? Int {
          tensor = RotaryPermutation.toGGUF(tensor, heads: heads)
        }
      }
      let bytes = tensor.withUnsafeBufferPointer { Data(buffer: $0) }
      let digest = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
      if entry["source"] is String, digest != sha256 {
        throw GGUFError.invalidTensor(
          file: path, tensor: name, reason: "rebuilt bytes hash to \(digest), recorded \(sha256)")
      }
      writer.addTensor(name, type: .f32, shape: shape, bytes: bytes)
    }
    return writer.encode()
  }

  static func value(
    _ entry: [String: Any], key: String, bad: (String, String) -> GGUFError
  ) throws -> GGUFValue {
    func scalar(_ type: String?, _ v: Any?) throws -> GGUFValue {
      switch (type, v) {
      case ("string", let s as String): return .string(s)
      case ("uint32", let n as Int): return .uint32(UInt32(n))
      case ("int32", let n as Int): return .int32(Int32(n))
      case ("float32", let x as Double): return .float32(Float(x))
      case ("bool", let b as Bool): return .bool(b)
      default: throw bad(key, "unsupported recorded value \(type ?? "?") \(v ?? "nil")")
      }
    }
    guard entry["type"] as? String == "array" else {
      return try scalar(entry["type"] as? String, entry["value"])
    }
    let codes: [String: UInt32] = ["uint32": 4, "int32": 5, "float32": 6, "bool": 7, "string": 8]
    guard let element = entry["element"] as? String, let code = codes[element] else {
      throw bad(key, "unsupported array element type \(entry["element"] ?? "nil")")
    }
    let values = try (entry["value"] as? [Any] ?? []).map { try scalar(element, $0) }
    return .array(elementType: code, values)
  }
}
