/// Which implementation a GGUF tokenizer should agree with where they differ.
public enum GGUFPreTokenizerConvention: Sendable, Equatable {
  /// transformers' GGUF loader (`AutoTokenizer.from_pretrained(..., gguf_file=...)`), the
  /// default. For `smollm`, `starcoder`, `gpt2` and `default` it uses plain GPT-2 byte-level
  /// splitting; for `llama-bpe` and its aliases, Llama 3's pattern.
  case transformers
  /// llama.cpp, which also matches the models' original `tokenizer.json` for `smollm` and
  /// `starcoder`: every number character is split off on its own before GPT-2's pattern
  /// (`Digits(individual_digits=true)`). Differs from `.transformers` only on text with
  /// non-ASCII number characters (such as `٣` or `²`) next to other numbers or spaces.
  case llamaCpp
}

extension Tokenizer {
  /// Builds the tokenizer a GGUF file describes (`tokenizer.ggml.*` metadata), the way
  /// transformers' GGUF loader and llama.cpp build it.
  ///
  /// Two models are supported:
  /// - byte-level BPE (`tokenizer.ggml.model` = `gpt2`), with the pre-tokenizer chosen by
  ///   `tokenizer.ggml.pre` (`gpt2`, `default`, `smollm`, `starcoder`, `command-r`,
  ///   `llama-bpe` and aliases, `qwen2`, `deepseek-llm`, `deepseek-coder`, `deepseek-v3`,
  ///   `falcon`); other values throw `TokenizerError.unsupported`;
  /// - SentencePiece BPE (`llama`: Llama 2, Mistral, Gemma, Phi-3), from the pieces' scores
  ///   (``BPEModel/sentencePiece(pieces:scores:mergeable:unknownToken:source:)``), as
  ///   llama.cpp's `llm_tokenizer_spm` encodes: spaces become `▁`, and with
  ///   `tokenizer.ggml.add_space_prefix` (default true) each stretch of text between special
  ///   tokens gets one `▁` in front.
  ///
  /// Tokens typed control (3) become special added tokens, user-defined (4) plain added
  /// tokens; BOS/EOS are added by `encode(_:addSpecialTokens: true)` when
  /// `tokenizer.ggml.add_bos_token` / `add_eos_token` say so (for `llama`, BOS by default, as
  /// in llama.cpp).
  public static func fromGGUF(
    _ file: GGUFFile, convention: GGUFPreTokenizerConvention = .transformers
  ) throws(TokenizerError) -> Tokenizer {
    let metadata = GGUFTokenizerMetadata(file: file)
    let modelType = try metadata.required("tokenizer.ggml.model", file.string)
    switch modelType {
    case "gpt2": return try byteLevelFromGGUF(metadata, convention: convention)
    case "llama": return try sentencePieceFromGGUF(metadata)
    default:
      throw .unsupported(file: file.path, component: "tokenizer.ggml.model", type: modelType)
    }
  }

  private static func byteLevelFromGGUF(
    _ metadata: GGUFTokenizerMetadata, convention: GGUFPreTokenizerConvention
  ) throws(TokenizerError) -> Tokenizer {
    let file = metadata.file
    let path = file.path
    let preName: String
    if file.metadata["tokenizer.ggml.pre"] != nil {
      preName = try metadata.required("tokenizer.ggml.pre", file.string)
    } else {
      preName = "default"
    }
    guard let preTokenizer = GGUFPreTokenizers.make(preName, convention: convention) else {
      throw .unsupported(file: path, component: "tokenizer.ggml.pre", type: preName)
    }

    var tokens = try metadata.tokens()
    let types = try metadata.tokenTypes(count: tokens.count)
    let mergeLines = try metadata.required("tokenizer.ggml.merges", file.strings)

    // Control tokens spelled outside the byte alphabet are llama.cpp mislabels; transformers
    // neither adds them nor leaves them unspelled.
    let spelledInAlphabet = tokens.map(ByteLevelAlphabet.contains(allOf:))
    for i in tokens.indices where !spelledInAlphabet[i] {
      tokens[i] = ByteLevelAlphabet.encode(tokens[i])
    }
    var vocabulary: [String: Int] = [:]
    vocabulary.reserveCapacity(tokens.count)
    for (id, token) in tokens.enumerated() { vocabulary[token] = id }

    var merges: [(String, String)] = []
    merges.reserveCapacity(mergeLines.count)
    for (index, line) in mergeLines.enumerated() {
      let parts = line.split(separator: " ", omittingEmptySubsequences: false)
      guard parts.count == 2 else {
        throw .invalidMerge(
          file: path, index: index, merge: line, reason: "expected two tokens separated by a space")
      }
      merges.append((String(parts[0]), String(parts[1])))
    }
    let model = try BPEModel(vocabulary: vocabulary, merges: merges, source: path)
    let special = try metadata.specialIDs(count: tokens.count)
    let added = metadata.addedTokens(
      tokens: tokens, types: types, special: special, controlAllowed: { spelledInAlphabet[$0] })

    return Tokenizer(
      model: model, normalizer: nil, preTokenizer: preTokenizer,
      postProcessor: try metadata.postProcessor(special, addBOSByDefault: false),
      decoder: ByteLevelDecoder(), addedTokens: added, bosTokenID: special.bos,
      eosTokenID: special.eos, padTokenID: special.pad, unknownTokenID: special.unk)
  }

  private static func sentencePieceFromGGUF(
    _ metadata: GGUFTokenizerMetadata
  ) throws(TokenizerError) -> Tokenizer {
    let file = metadata.file
    let path = file.path
    let tokens = try metadata.tokens()
    let types = try metadata.tokenTypes(count: tokens.count)
    let scores = try metadata.required("tokenizer.ggml.scores", file.floats)
    let special = try metadata.specialIDs(count: tokens.count)
    let normal = 1
    let model = try BPEModel.sentencePiece(
      pieces: tokens, scores: scores,
      mergeable: { types.isEmpty || types[$0] == normal },
      unknownToken: special.unk.map { tokens[$0] }, source: path)
    let added = metadata.addedTokens(
      tokens: tokens, types: types, special: special, controlAllowed: { _ in true })
    let addSpacePrefix = try metadata.optionalBool("tokenizer.ggml.add_space_prefix") ?? true

    var normalizers: [any Normalizer] = []
    if addSpacePrefix { normalizers.append(PrependNormalizer(" ")) }
    normalizers.append(ReplaceNormalizer(pattern: " ", content: "▁"))
    var decoders: [any TokenDecoder] = [
      ReplaceDecoder(pattern: "▁", content: " "), ByteFallbackDecoder(), FuseDecoder(),
    ]
    if addSpacePrefix { decoders.append(StripDecoder(content: " ", start: 1, stop: 0)) }

    return Tokenizer(
      model: model, normalizer: SequenceNormalizer(normalizers), preTokenizer: nil,
      postProcessor: try metadata.postProcessor(special, addBOSByDefault: true),
      decoder: SequenceDecoder(decoders), addedTokens: added, bosTokenID: special.bos,
      eosTokenID: special.eos, padTokenID: special.pad, unknownTokenID: special.unk)
  }
}

/// Typed reads of a GGUF file's `tokenizer.ggml.*` metadata, each error naming the file and
/// the key.
struct GGUFTokenizerMetadata {
  let file: GGUFFile

  /// The ids named in `tokenizer.ggml.*_token_id`.
  struct SpecialIDs {
    var bos: Int?
    var eos: Int?
    var unk: Int?
    var pad: Int?
    var all: [Int] { [bos, eos, unk, pad].compactMap { $0 } }
  }

  func required<T>(_ key: String, _ read: (String) throws -> T) throws(TokenizerError) -> T {
    guard file.metadata[key] != nil else { throw .missingField(file: file.path, field: key) }
    do { return try read(key) } catch { throw .malformed(file: file.path, reason: "\(error)") }
  }

  func optionalInt(_ key: String) throws(TokenizerError) -> Int? {
    guard let value = file.metadata[key] else { return nil }
    guard let n = value.intValue else {
      throw .malformed(file: file.path, reason: "metadata '\(key)' is not an integer")
    }
    return n
  }

  func optionalBool(_ key: String) throws(TokenizerError) -> Bool? {
    guard let value = file.metadata[key] else { return nil }
    guard let b = value.boolValue else {
      throw .malformed(file: file.path, reason: "metadata '\(key)' is not a bool")
    }
    return b
  }

  func tokens() throws(TokenizerError) -> [String] {
    try required("tokenizer.ggml.tokens", file.strings)
  }

  /// `tokenizer.ggml.token_type`, or empty when the file has none.
  func tokenTypes(count: Int) throws(TokenizerError) -> [Int] {
    guard file.metadata["tokenizer.ggml.token_type"] != nil else { return [] }
    let types = try required("tokenizer.ggml.token_type", file.ints)
    guard types.count == count else {
      throw .malformed(
        file: file.path,
        reason: "tokenizer.ggml.token_type has \(types.count) entries for \(count) tokens")
    }
    return types
  }

  func specialIDs(count: Int) throws(TokenizerError) -> SpecialIDs {
    let ids = SpecialIDs(
      bos: try optionalInt("tokenizer.ggml.bos_token_id"),
      eos: try optionalInt("tokenizer.ggml.eos_token_id"),
      unk: try optionalInt("tokenizer.ggml.unknown_token_id"),
      pad: try optionalInt("tokenizer.ggml.padding_token_id"))
    for (name, id) in [
      ("bos", ids.bos), ("eos", ids.eos), ("unknown", ids.unk), ("padding", ids.pad),
    ] {
      if let id, !(0..<count).contains(id) {
        throw .invalidVocabulary(
          file: file.path, reason: "\(name) token id \(id) is outside 0..<\(count)")
      }
    }
    return ids
  }

  /// Control tokens (type 3) the caller allows and the named special ids, as special added
  /// tokens; user-defined ones (type 4) as plain added tokens.
  func addedTokens(
    tokens: [String], types: [Int], special: SpecialIDs, controlAllowed: (Int) -> Bool
  ) -> [AddedToken] {
    var added: [AddedToken] = []
    var seen = Set<Int>()
    for (id, type) in types.enumerated() where type == 3 && controlAllowed(id) {
      added.append(AddedToken(id: id, content: tokens[id], special: true, normalized: false))
      seen.insert(id)
    }
    for id in Set(special.all).sorted() where !seen.contains(id) {
      added.append(AddedToken(id: id, content: tokens[id], special: true, normalized: false))
      seen.insert(id)
    }
    for (id, type) in types.enumerated() where type == 4 && !seen.contains(id) {
      added.append(AddedToken(id: id, content: tokens[id], special: false, normalized: false))
    }
    return added
  }

  func postProcessor(
    _ special: SpecialIDs, addBOSByDefault: Bool
  ) throws(TokenizerError) -> TemplatePostProcessor {
    let addBOS = try optionalBool("tokenizer.ggml.add_bos_token") ?? addBOSByDefault
    let addEOS = try optionalBool("tokenizer.ggml.add_eos_token") ?? false
    return TemplatePostProcessor(
      prefix: addBOS ? special.bos.map { [$0] } ?? [] : [],
      suffix: addEOS ? special.eos.map { [$0] } ?? [] : [])
  }
}
