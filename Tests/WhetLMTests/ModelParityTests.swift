import Foundation
import TestSupport
import Testing
import WhetLM
import WhetNN
import WhetTensor

/// SmolLM2-135M-Instruct against transformers 5.23 on the same GGUF dequantized to fp32.
@Suite struct ModelParityTests {
  @Test func metadataDescribesSmolLM2() throws {
    let file = try #require(SmolLM2.file, "\(SmolLM2.missing)")
    let config = try TransformerConfiguration(gguf: file)
    #expect(
      config
        == TransformerConfiguration(
          vocabularySize: 49152, hiddenSize: 576, layerCount: 30, heads: 9, kvHeads: 3,
          intermediateSize: 1536, ropeTheta: 100_000, rmsNormEpsilon: 9.9999997e-06,
          tiedEmbeddings: true))
    #expect(file.tensors.count == 272)
    #expect(try file.info("token_embd.weight").type == .q8_0)
    #expect(try file.info("blk.0.attn_q.weight").type == .q4_1)
  }

  @Test(arguments: 0..<3)
  func topFiveLogitsMatchTransformers(prompt index: Int) throws {
    let model = try #require(SmolLM2.decoder, "\(SmolLM2.missing)")
    let prompt = try #require(SmolLM2.reference.dropFirst(index).first)
    let logits = model.lastPositionLogits(tokens: prompt.inputIDs, batch: 1).scalars
    let top = logits.indices.sorted { logits[$0] > logits[$1] }.prefix(5)
    #expect(Array(top) == prompt.top.map(\.id))
    for (id, logit) in prompt.top {
      #expect(abs(logits[id] - logit) < 1e-3, "id \(id): \(logits[id]) vs \(logit)")
    }
  }
}

@Suite struct SmolLM2GenerationTests {
  /// Greedy decoding through the KV cache reproduces transformers' 16-token continuation.
  @Test(arguments: 0..<3)
  func greedyContinuationMatchesTransformers(prompt index: Int) throws {
    let model = try #require(SmolLM2.decoder, "\(SmolLM2.missing)")
    let prompt = try #require(SmolLM2.reference.dropFirst(index).first)
    let generator = Generator(model: model, stopTokens: [2]) {
      $0.map(String.init).joined(separator: " ")
    }
    let out = try generator.generate(
      prompts: [prompt.inputIDs], parameters: .greedy(maxTokens: 16))[0]
    // transformers' continuation either ends with EOS (2) or runs the full 16 tokens
    // (prompt 0 stops on EOS after 7 tokens; prompts 1 and 2 run to the limit).
    let endsWithEOS = prompt.greedy.last == 2
    #expect(endsWithEOS || prompt.greedy.count == 16)
    let expectedReason: FinishReason = endsWithEOS ? .endOfSequence : .length
    #expect(out.finishReason == expectedReason)
    #expect(out.tokens == (endsWithEOS ? Array(prompt.greedy.dropLast()) : prompt.greedy))
  }
}

/// More inputs of our own (long, Unicode, code, emoji, whitespace runs, numbers), plain and
/// through the chat template: `Fixtures/parity/make_parity_fixtures.py` ran transformers on them.
@Suite struct SmolLM2ExtraParityTests {
  struct Case {
    var text: String
    var chat: Bool
    var ids: [Int]
    var top: [(id: Int, logit: Double)]
  }

  static let cases: [Case] = {
    guard
      let root = try? Fixtures.json("WhetLMTests", "parity/smollm2_extra.json") as? [String: Any],
      let cases = root["cases"] as? [[String: Any]]
    else { return [] }
    return cases.map { c in
      Case(
        text: c["text"] as? String ?? "", chat: c["chat"] as? Bool ?? false,
        ids: c["input_ids"] as? [Int] ?? [],
        top: (c["top5"] as? [[String: Any]] ?? []).map {
          ($0["id"] as? Int ?? -1, $0["logit"] as? Double ?? .nan)
        })
    }
  }()

  @Test(arguments: 0..<12)
  func idsAndTopLogitsMatchTransformers(index: Int) throws {
    let file = try #require(SmolLM2.file, "\(SmolLM2.missing)")
    let model = try #require(SmolLM2.decoder)
    let c = try #require(Self.cases.dropFirst(index).first)
    let tokenizer = try Tokenizer.fromGGUF(file)
    let template = try ChatTemplate(source: try file.string("tokenizer.chat_template"))
    let text =
      c.chat
      ? try template.render(
        messages: [ChatMessage(role: "user", content: c.text)], addGenerationPrompt: true) : c.text
    #expect(tokenizer.encode(text) == c.ids)
    let logits = model.lastPositionLogits(tokens: c.ids, batch: 1).scalars
    let top = logits.indices.sorted { logits[$0] > logits[$1] }.prefix(5)
    #expect(Array(top) == c.top.map(\.id))
    for (id, logit) in c.top {
      #expect(abs(Double(logits[id]) - logit) < 1e-3, "id \(id): \(logits[id]) vs \(logit)")
    }
  }
}
