import Foundation
import TestSupport
import WhetLM
import WhetNN
import WhetTensor

/// The default model, loaded once per test process (tests only read it).
enum SmolLM2 {
  nonisolated(unsafe) static let file: GGUFFile? = try? GGUFFile(contentsOf: Fixtures.defaultModel)
  nonisolated(unsafe) static let decoder: TransformerDecoder? = privateDecoder()
  /// A decoder of its own, for a test that differentiates: while a tape tracks the shared
  /// ``decoder``'s parameters, the forward passes other tests run on it in parallel would be
  /// recorded on that tape too and add to its gradients.
  static func privateDecoder() -> TransformerDecoder? {
    file.flatMap { try? GGUFModelLoader.decoder(from: $0) }
  }
  static let missing = "default model not found at \(Fixtures.defaultModel.path); run `make models`"

  /// The language-model loss of the first reference prompt's first `length` tokens (each
  /// position predicting the next) on `model`, a closure for ``valueAndGradient(of:wrt:)``.
  static func nextTokenLoss(_ model: TransformerDecoder, length: Int = 24) -> (() -> Variable)? {
    guard let prompt = reference.first else { return nil }
    let tokens = Array(prompt.inputIDs.prefix(length))
    let targets = tokens.indices.map { $0 + 1 < tokens.count ? tokens[$0 + 1] : -1 }
    return { languageModelLoss(model, tokens: tokens, targets: targets, batch: 1) }
  }

  struct Prompt {
    var chatText: String
    var inputIDs: [Int]
    var top: [(id: Int, logit: Float)]
    var greedy: [Int]
    var logprobs: [Float]
  }

  /// The transformers 5.23 reference (`Fixtures/smollm2_reference.json`).
  static let reference: [Prompt] = {
    guard let root = try? Fixtures.json("WhetLMTests", "smollm2_reference.json") as? [String: Any],
      let prompts = root["prompts"] as? [[String: Any]]
    else { return [] }
    return prompts.map { p in
      let top = (p["last_top5"] as? [[String: Any]] ?? []).map {
        (id: $0["id"] as? Int ?? -1, logit: Float($0["logit"] as? Double ?? .nan))
      }
      return Prompt(
        chatText: p["chat_text"] as? String ?? "", inputIDs: p["input_ids"] as? [Int] ?? [],
        top: top,
        greedy: p["greedy_16_ids"] as? [Int] ?? [],
        logprobs: (p["last_top5"] as? [[String: Any]] ?? []).map {
          Float($0["logprob"] as? Double ?? .nan)
        })
    }
  }()
}
