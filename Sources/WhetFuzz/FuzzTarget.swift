import Foundation
import WhetEval
import WhetLM
import WhetNN
import WhetTensor

/// One reader under fuzzing: a valid seed input and what to do with each mutant. A mutant may
/// be accepted or rejected with a thrown error; anything else (a trap, an out-of-bounds access,
/// a hang) is a bug.
public struct FuzzTarget: Sendable {
  public let name: String
  public let seed: [UInt8]
  public let run: @Sendable ([UInt8]) -> Bool

  /// The readers `make fuzz` covers, seeded from the repository's own fixtures.
  public static func all(repositoryRoot root: URL) throws -> [FuzzTarget] {
    func fixture(_ path: String) throws -> [UInt8] {
      Array(try Data(contentsOf: root.appendingPathComponent(path)))
    }
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent(
      "whet-fuzz-\(getpid())")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    let arch = "Tests/WhetLMTests/Fixtures/architectures"
    let checkpoint = scratch.appendingPathComponent("seed.safetensors")
    try Self.writeSeedCheckpoint(to: checkpoint)
    let template = try Self.smolLM2Template(root: root)
    return [
      FuzzTarget(name: "gguf", seed: try fixture("\(arch)/qwen3/model.f32.gguf")) { bytes in
        guard let file = try? GGUFFile(data: Data(bytes), path: "fuzz.gguf") else { return false }
        _ = try? Tokenizer.fromGGUF(file)
        return (try? GGUFModelLoader.decoder(from: file)) != nil
      },
      FuzzTarget(name: "safetensors", seed: try fixture("\(arch)/llama/hf/model.safetensors")) {
        bytes in
        guard let file = try? SafetensorsFile(data: Data(bytes), path: "fuzz.safetensors") else {
          return false
        }
        for name in file.names { _ = try? file.tensor(name) }
        return true
      },
      FuzzTarget(name: "tokenizer.json", seed: try fixture("\(arch)/llama/hf/tokenizer.json")) {
        bytes in
        let url = scratch.appendingPathComponent("t-\(UUID().uuidString)/tokenizer.json")
        try? FileManager.default.createDirectory(
          at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        guard (try? Data(bytes).write(to: url)) != nil,
          let tokenizer = try? Tokenizer(tokenizerJSON: url)
        else { return false }
        let ids = tokenizer.encode(
          "Hello, wörld! 123 <|endoftext|> 🙂\n\tend", addSpecialTokens: true)
        _ = tokenizer.decode(ids)
        return true
      },
      FuzzTarget(name: "chat-template", seed: Array(template.utf8)) { bytes in
        guard let t = try? ChatTemplate(source: String(decoding: bytes, as: UTF8.self)) else {
          return false
        }
        let messages = [
          ChatMessage(role: "system", content: "Be brief."),
          ChatMessage(role: "user", content: "Hi"),
          ChatMessage(role: "assistant", content: "Hello"),
          ChatMessage(role: "user", content: "2+2?"),
        ]
        return (try? t.render(messages: messages, addGenerationPrompt: true)) != nil
      },
      FuzzTarget(name: "checkpoint", seed: Array(try Data(contentsOf: checkpoint))) { bytes in
        let url = scratch.appendingPathComponent("c-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        guard (try? Data(bytes).write(to: url)) != nil else { return false }
        let (parameters, optimizer) = Self.checkpointModel()
        return (try? Checkpoint.load(from: url, into: parameters, optimizer: optimizer)) != nil
      },
      FuzzTarget(name: "jsonl", seed: Array(Self.jsonlSeed.utf8)) { bytes in
        let reader = JSONLReader(text: String(decoding: bytes, as: UTF8.self), name: "fuzz.jsonl")
        var rows = 0
        do {
          while try reader.next() != nil { rows += 1 }
        } catch {
          return false
        }
        return rows > 0
      },
    ]
  }

  static let jsonlSeed = """
    {"prompt": "What is 2+2?", "completion": "4", "answer": "4", "query": 0}
    {"prompt": [{"role": "user", "content": "Hi"}], "chosen": [{"role": "assistant", "content": "Hello"}], "rejected": [{"role": "assistant", "content": "Go away"}]}
    {"messages": [{"role": "user", "content": "\\u00e9\\ud83d\\ude42"}], "label": true, "score": -1.5e3}

    """

  /// The parameters and optimizer the checkpoint seed was written from (fresh each time).
  static func checkpointModel() -> ([(name: String, variable: Variable)], AdamW) {
    let a = Variable(Tensor(shape: [2, 3], repeating: 0.5))
    let b = Variable(Tensor(shape: [4], repeating: -1))
    return ([("layer.weight", a), ("layer.bias", b)], AdamW())
  }

  static func writeSeedCheckpoint(to url: URL) throws {
    let (parameters, adam) = checkpointModel()
    adam.step(
      parameters.map(\.variable),
      gradients: [Tensor(shape: [2, 3], repeating: 0.1), Tensor(shape: [4], repeating: 0.2)],
      learningRate: 0.01)
    try Checkpoint.save(
      to: url, parameters: parameters, optimizer: adam,
      state: TrainingState(step: 1, dataPosition: 8, generator: SeededGenerator(seed: 3)))
  }

  /// SmolLM2's chat template, from the fixture of its rendering tests.
  static func smolLM2Template(root: URL) throws -> String {
    let dir = root.appendingPathComponent("Tests/WhetLMTests/Fixtures")
    let candidates =
      (FileManager.default.enumerator(atPath: dir.path)?.allObjects as? [String]) ?? []
    if let path = candidates.sorted().first(where: { $0.hasSuffix(".jinja") && $0.contains("smol") }
    )
      ?? candidates.sorted().first(where: { $0.hasSuffix(".jinja") })
    {
      return try String(contentsOf: dir.appendingPathComponent(path), encoding: .utf8)
    }
    return
      "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
  }
}
