import Foundation
import WhetData
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
      FuzzTarget(
        name: "gguf",
        seed: Array(
          try Data(
            contentsOf: GGUFRecipe.materialize(root.appendingPathComponent("\(arch)/qwen3"))))
      ) { bytes in
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
      tokenizerJSON("tokenizer.json", try fixture("\(arch)/llama/hf/tokenizer.json")),
      // Regex Split stages (Swift's engine), Punctuation and the DeepSeek letter class.
      tokenizerJSON(
        "tokenizer.json-regex",
        try fixture(
          "Tests/WhetLMTests/Fixtures/tokenizers/bpe-families/deepseek-llm/tokenizer.json")),
      // SentencePiece from scores: tokenizer.ggml.model = llama.
      FuzzTarget(
        name: "gguf-sentencepiece",
        seed: Array(
          try Data(
            contentsOf: GGUFRecipe.materialize(
              root.appendingPathComponent("Tests/WhetLMTests/Fixtures/tokenizers/spm"))))
      ) { bytes in
        guard let file = try? GGUFFile(data: Data(bytes), path: "fuzz.gguf"),
          let tokenizer = try? Tokenizer.fromGGUF(file)
        else { return false }
        _ = tokenizer.decode(tokenizer.encode(Self.sampleText, addSpecialTokens: true))
        return true
      },
      chatTemplate("chat-template", template),
      // A tool-calling template: macros, namespaces, tojson, Markup.
      chatTemplate(
        "chat-template-tools",
        String(
          decoding: try fixture(
            "Tests/WhetLMTests/Fixtures/chat_templates/real/meetkai-functionary-medium-v3.1.jinja"),
          as: UTF8.self)),
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

  static let sampleText = "Hello, wörld! 123 <|endoftext|> <s> 🙂\n\tend ΐ K 漢字"

  /// `tokenizer.json` parsed from a mutant, then used to encode and decode.
  static func tokenizerJSON(_ name: String, _ seed: [UInt8]) -> FuzzTarget {
    FuzzTarget(name: name, seed: seed) { bytes in
      let url = FileManager.default.temporaryDirectory.appendingPathComponent(
        "whet-fuzz-\(getpid())/t-\(UUID().uuidString)/tokenizer.json")
      try? FileManager.default.createDirectory(
        at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
      defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
      guard (try? Data(bytes).write(to: url)) != nil,
        let tokenizer = try? Tokenizer(tokenizerJSON: url)
      else { return false }
      _ = tokenizer.decode(tokenizer.encode(sampleText, addSpecialTokens: true))
      return true
    }
  }

  /// A chat template parsed from a mutant and rendered on a conversation with a tool call.
  static func chatTemplate(_ name: String, _ seed: String) -> FuzzTarget {
    FuzzTarget(name: name, seed: Array(seed.utf8)) { bytes in
      guard let t = try? ChatTemplate(source: String(decoding: bytes, as: UTF8.self)),
        let conversation = try? JinjaValue.parseJSON(conversationJSON),
        case .object(let context) = conversation
      else { return false }
      let variables = Dictionary(
        zip(context.stringKeys, context.values), uniquingKeysWith: { _, last in last })
      return (try? t.render(context: variables)) != nil
    }
  }

  static let conversationJSON = """
    {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"},
     {"role": "assistant", "content": "", "tool_calls": [{"type": "function", "function":
      {"name": "f", "arguments": {"x": 1}}}]}, {"role": "tool", "content": "2"},
     {"role": "user", "content": "2+2?"}],
     "tools": [{"type": "function", "function": {"name": "f", "description": "d",
      "parameters": {"type": "object", "properties": {"x": {"type": "integer"}}}}}],
     "add_generation_prompt": true, "bos_token": "<s>", "eos_token": "</s>"}
    """

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
