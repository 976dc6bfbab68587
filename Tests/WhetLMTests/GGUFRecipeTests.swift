import Foundation
import TestSupport
import Testing
import WhetLM

/// The fixture GGUFs rebuilt from their recipes (`record_gguf_recipes.py`): the rebuilt tensor
/// bytes must hash to what llama.cpp's converter wrote, and a recipe whose recorded hash does
/// not match is refused, naming the tensor.
@Suite struct GGUFRecipeTests {
  @Test(arguments: ["architectures/llama", "architectures/qwen3", "tokenizers/spm"])
  func rebuiltFileCarriesTheRecordedEntries(_ directory: String) throws {
    let dir = Fixtures.file("WhetLMTests", directory)
    let recipe = try #require(
      try Fixtures.json("WhetLMTests", "\(directory)/gguf_recipe.json") as? [String: Any])
    let file = try GGUFFile(data: GGUFRecipe.build(dir), path: directory)
    let tensors = try #require(recipe["tensors"] as? [[String: Any]])
    #expect(file.tensors.map(\.name) == tensors.map { $0["name"] as? String ?? "" })
    let metadata = try #require(recipe["metadata"] as? [[String: Any]])
    // The recorded entries in order, then the writer's `general.alignment`.
    #expect(
      file.metadataKeys == metadata.map { $0["key"] as? String ?? "" } + ["general.alignment"])
  }

  @Test func aWrongRecordedHashIsRefused() throws {
    let source = Fixtures.file("WhetLMTests", "architectures/llama")
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "gguf-recipe-\(UUID().uuidString)")
    try FileManager.default.createDirectory(
      at: dir.appendingPathComponent("hf"), withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    try FileManager.default.copyItem(
      at: source.appendingPathComponent("hf/model.safetensors"),
      to: dir.appendingPathComponent("hf/model.safetensors"))
    var recipe = try #require(
      try JSONSerialization.jsonObject(
        with: Data(contentsOf: source.appendingPathComponent("gguf_recipe.json")))
        as? [String: Any])
    var tensors = try #require(recipe["tensors"] as? [[String: Any]])
    tensors[3]["sha256"] = String(repeating: "0", count: 64)
    recipe["tensors"] = tensors
    try JSONSerialization.data(withJSONObject: recipe).write(
      to: dir.appendingPathComponent("gguf_recipe.json"))
    #expect {
      _ = try GGUFRecipe.build(dir)
    } throws: { error in
      guard case .invalidTensor(_, let tensor, _) = error as? GGUFError else { return false }
      return tensor == tensors[3]["name"] as? String
    }
  }
}
