/// A Hugging Face-style tokenizer: added-token matching, then normalizer, pre-tokenizer, model
/// (BPE) and post-processor for encoding; the decoder for decoding.
///
/// Build one from a GGUF file with ``fromGGUF(_:convention:)`` or from a `tokenizer.json`
/// with ``init(tokenizerJSON:)``. Instances are immutable apart from the BPE cache, which is
/// internally synchronized, so one tokenizer can be shared across tasks.
public final class Tokenizer: Sendable {
  /// The model (BPE).
  public let model: any TokenizerModel
  /// Text normalization, if any.
  public let normalizer: (any Normalizer)?
  /// Splitting into pre-tokens, if any.
  public let preTokenizer: (any PreTokenizer)?
  /// What `encode(_:addSpecialTokens: true)` adds, if anything.
  public let postProcessor: (any PostProcessor)?
  /// Token strings to text; without one, tokens are joined with spaces (as in `tokenizers`).
  public let decoder: (any TokenDecoder)?
  /// Tokens matched whole in the text before pre-tokenization.
  public let addedTokens: [AddedToken]
  /// The beginning-of-sequence token, if the tokenizer names one.
  public let bosTokenID: Int?
  /// The end-of-sequence token, if the tokenizer names one.
  public let eosTokenID: Int?
  /// The padding token, if the tokenizer names one.
  public let padTokenID: Int?
  /// The unknown token, if the tokenizer names one.
  public let unknownTokenID: Int?
  /// Ids of the special added tokens (skipped by `decode(_:skipSpecialTokens: true)`).
  public let specialTokenIDs: Set<Int>
  /// One more than the largest id of the model's vocabulary or of an added token.
  public let vocabularySize: Int

  private let addedByID: [Int: String]
  private let addedByContent: [String: Int]
  private let rawMatcher: AddedTokenMatcher
  private let normalizedMatcher: AddedTokenMatcher

  /// A tokenizer from its stages.
  ///
  /// - Parameters:
  ///   - addedTokens: tokens matched whole in the text. Those marked `normalized` are matched
  ///     against normalized text (their content normalized too), the others against raw text.
  public init(
    model: any TokenizerModel, normalizer: (any Normalizer)? = nil,
    preTokenizer: (any PreTokenizer)? = nil,
    postProcessor: (any PostProcessor)? = nil, decoder: (any TokenDecoder)? = nil,
    addedTokens: [AddedToken] = [],
    bosTokenID: Int? = nil, eosTokenID: Int? = nil, padTokenID: Int? = nil,
    unknownTokenID: Int? = nil
  ) {
    self.model = model
    self.normalizer = normalizer
    self.preTokenizer = preTokenizer
    self.postProcessor = postProcessor
    self.decoder = decoder
    self.addedTokens = addedTokens
    self.bosTokenID = bosTokenID
    self.eosTokenID = eosTokenID
    self.padTokenID = padTokenID
    self.unknownTokenID = unknownTokenID
    var byID: [Int: String] = [:]
    var byContent: [String: Int] = [:]
    for token in addedTokens {
      // Like `tokenizers` 0.23, a normalized added token reads back in normalized form.
      byID[token.id] =
        token.normalized ? normalizer?.normalize(token.content) ?? token.content : token.content
      byContent[token.content] = token.id
    }
    self.addedByID = byID
    self.addedByContent = byContent
    self.specialTokenIDs = Set(addedTokens.filter(\.special).map(\.id))
    self.vocabularySize = max(model.vocabularySize, (addedTokens.map(\.id).max() ?? -1) + 1)
    self.rawMatcher = AddedTokenMatcher(
      addedTokens.filter { !$0.normalized }.map { ($0.content, $0) })
    self.normalizedMatcher = AddedTokenMatcher(
      addedTokens.filter(\.normalized).map { (normalizer?.normalize($0.content) ?? $0.content, $0) }
    )
  }

  // MARK: Encoding

  /// The token ids of `text`.
  ///
  /// Added tokens such as `<|im_start|>` are matched in the raw text first; the rest is
  /// normalized, pre-tokenized and encoded by the model. With `addSpecialTokens`, the
  /// post-processor adds what the tokenizer asks for (BOS for Llama-style tokenizers; nothing
  /// for SmolLM2).
  public func encode(_ text: String, addSpecialTokens: Bool = false) -> [Int] {
    var ids: [Int] = []
    ids.reserveCapacity(text.utf8.count / 3 + 1)
    // Whether the next text starts the input (Metaspace's `first` prepends only there).
    var atStart = true
    for segment in rawMatcher.split(text) {
      switch segment {
      case .token(let id):
        ids.append(id)
        atStart = false
      case .text(let raw):
        let normalized = normalizer?.normalize(raw) ?? raw
        for piece in normalizedMatcher.split(normalized) {
          switch piece {
          case .token(let id): ids.append(id)
          case .text(let t): encodePlain(t, atStart: atStart, into: &ids)
          }
          atStart = false
        }
      }
    }
    return postProcessor?.process(ids, addSpecialTokens: addSpecialTokens) ?? ids
  }

  /// The pre-tokens of `text` (after added-token matching and normalization), as the model
  /// sees them; added tokens appear as their content.
  public func preTokens(_ text: String) -> [String] {
    var out: [String] = []
    for segment in rawMatcher.split(text) {
      switch segment {
      case .token(let id): out.append(addedByID[id] ?? "")
      case .text(let raw):
        for piece in normalizedMatcher.split(normalizer?.normalize(raw) ?? raw) {
          switch piece {
          case .token(let id): out.append(addedByID[id] ?? "")
          case .text(let t): out.append(contentsOf: preTokenizer?.preTokenize(t) ?? [t])
          }
        }
      }
    }
    return out
  }

  private func encodePlain(_ text: String, atStart: Bool, into ids: inout [Int]) {
    guard let preTokenizer else {
      ids.append(contentsOf: model.tokenize(text))
      return
    }
    let pieces =
      (preTokenizer as? MetaspacePreTokenizer)?.preTokenize(text, atStart: atStart)
      ?? preTokenizer.preTokenize(text)
    for piece in pieces where !piece.isEmpty {
      ids.append(contentsOf: model.tokenize(piece))
    }
  }

  // MARK: Decoding

  /// The text of `ids`. Unknown ids are skipped; special tokens too with `skipSpecialTokens`.
  public func decode(_ ids: [Int], skipSpecialTokens: Bool = false) -> String {
    let tokens = ids.compactMap { id -> String? in
      if skipSpecialTokens && specialTokenIDs.contains(id) { return nil }
      return token(id)
    }
    guard let decoder else { return tokens.joined(separator: " ") }
    return decoder.decode(tokens)
  }

  /// A decoder that turns ids into text one at a time, as they are generated.
  public func makeStreamingDecoder(skipSpecialTokens: Bool = false) -> StreamingDecoder {
    StreamingDecoder(tokenizer: self, skipSpecialTokens: skipSpecialTokens)
  }

  // MARK: Vocabulary

  /// The token string of `id`: an added token's content (normalized, for added tokens matched
  /// against normalized text), or the model's vocabulary entry.
  public func token(_ id: Int) -> String? {
    addedByID[id] ?? model.token(for: id)
  }

  /// The id of the token string `token`.
  public func id(_ token: String) -> Int? {
    addedByContent[token] ?? model.id(for: token)
  }

  /// Whether `id` is a special added token.
  public func isSpecial(_ id: Int) -> Bool { specialTokenIDs.contains(id) }
}
