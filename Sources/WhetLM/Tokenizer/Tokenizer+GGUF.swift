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
  /// The `tokenizer.ggml.pre` values this loader knows, with their split pattern.
  static let ggufPreTokenizers: [String: SplitPattern] = [
    "default": .gpt2, "gpt2": .gpt2, "smollm": .gpt2, "starcoder": .gpt2,
    "llama-bpe": .llama3, "llama3": .llama3, "llama-v3": .llama3, "smaug-bpe": .llama3,
    "dbrx": .llama3, "falcon3": .llama3,
    "qwen2": .qwen2, "deepseek-r1-qwen": .qwen2,
  ]

  /// The pre-tokenizers whose original tokenizer splits every digit off first.
  static let ggufIndividualDigits: Set<String> = ["smollm", "starcoder"]

  /// Builds the tokenizer a GGUF file describes (`tokenizer.ggml.*` metadata), the way
  /// transformers' GGUF loader builds it.
  ///
  /// Only byte-level BPE (`tokenizer.ggml.model` = `gpt2`) is supported. The pre-tokenizer is
  /// chosen by `tokenizer.ggml.pre` (`gpt2`, `default`, `smollm`, `starcoder`, `llama-bpe`
  /// and aliases, `qwen2`); other values throw `TokenizerError.unsupported`. Tokens typed
  /// control (3) become special added tokens, user-defined (4) plain added tokens; BOS/EOS
  /// are added by `encode(_:addSpecialTokens: true)` when `tokenizer.ggml.add_bos_token` /
  /// `add_eos_token` say so.
  public static func fromGGUF(
    _ file: GGUFFile, convention: GGUFPreTokenizerConvention = .transformers
  ) throws(TokenizerError) -> Tokenizer {
    let path = file.path
    func required<T>(_ key: String, _ read: (String) throws -> T) throws(TokenizerError) -> T {
      guard file.metadata[key] != nil else { throw .missingField(file: path, field: key) }
      do { return try read(key) } catch { throw .malformed(file: path, reason: "\(error)") }
    }
    func optionalInt(_ key: String) throws(TokenizerError) -> Int? {
      guard let value = file.metadata[key] else { return nil }
      guard let n = value.intValue else {
        throw .malformed(file: path, reason: "metadata '\(key)' is not an integer")
      }
      return n
    }
    func optionalBool(_ key: String) throws(TokenizerError) -> Bool? {
      guard let value = file.metadata[key] else { return nil }
      guard let b = value.boolValue else {
        throw .malformed(file: path, reason: "metadata '\(key)' is not a bool")
      }
      return b
    }

    let modelType = try required("tokenizer.ggml.model", file.string)
    guard modelType == "gpt2" else {
      throw .unsupported(file: path, component: "tokenizer.ggml.model", type: modelType)
    }
    let preName: String
    if file.metadata["tokenizer.ggml.pre"] != nil {
      preName = try required("tokenizer.ggml.pre", file.string)
    } else {
      preName = "default"
    }
    guard let pattern = ggufPreTokenizers[preName] else {
      throw .unsupported(file: path, component: "tokenizer.ggml.pre", type: preName)
    }

    var tokens = try required("tokenizer.ggml.tokens", file.strings)
    let types: [Int] =
      file.metadata["tokenizer.ggml.token_type"] != nil
      ? try required("tokenizer.ggml.token_type", file.ints) : []
    guard types.isEmpty || types.count == tokens.count else {
      throw .malformed(
        file: path,
        reason: "tokenizer.ggml.token_type has \(types.count) entries for \(tokens.count) tokens")
    }
    let mergeLines = try required("tokenizer.ggml.merges", file.strings)

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

    let bos = try optionalInt("tokenizer.ggml.bos_token_id")
    let eos = try optionalInt("tokenizer.ggml.eos_token_id")
    let unk = try optionalInt("tokenizer.ggml.unknown_token_id")
    let pad = try optionalInt("tokenizer.ggml.padding_token_id")
    for (name, id) in [("bos", bos), ("eos", eos), ("unknown", unk), ("padding", pad)] {
      if let id, !tokens.indices.contains(id) {
        throw .invalidVocabulary(
          file: path, reason: "\(name) token id \(id) is outside 0..<\(tokens.count)")
      }
    }

    var added: [AddedToken] = []
    var seen = Set<Int>()
    let namedSpecial = Set([bos, eos, unk, pad].compactMap { $0 })
    for (id, type) in types.enumerated() where type == 3 && spelledInAlphabet[id] {
      added.append(AddedToken(id: id, content: tokens[id], special: true, normalized: false))
      seen.insert(id)
    }
    for id in namedSpecial.sorted() where !seen.contains(id) {
      added.append(AddedToken(id: id, content: tokens[id], special: true, normalized: false))
      seen.insert(id)
    }
    for (id, type) in types.enumerated() where type == 4 && !seen.contains(id) {
      added.append(AddedToken(id: id, content: tokens[id], special: false, normalized: false))
    }

    let addBOS = try optionalBool("tokenizer.ggml.add_bos_token") ?? false
    let addEOS = try optionalBool("tokenizer.ggml.add_eos_token") ?? false
    let post = TemplatePostProcessor(
      prefix: addBOS ? bos.map { [$0] } ?? [] : [], suffix: addEOS ? eos.map { [$0] } ?? [] : [])

    let preTokenizer: any PreTokenizer
    let digitsFirst = convention == .llamaCpp && ggufIndividualDigits.contains(preName)
    switch pattern {
    case .gpt2:
      let byteLevel = ByteLevelPreTokenizer(addPrefixSpace: false, useRegex: true)
      preTokenizer =
        digitsFirst
        ? SequencePreTokenizer([DigitsPreTokenizer(individualDigits: true), byteLevel]) : byteLevel
    case .llama3, .qwen2:
      preTokenizer = SequencePreTokenizer([
        SplitPreTokenizer(pattern), ByteLevelPreTokenizer(addPrefixSpace: false, useRegex: false),
      ])
    }

    return Tokenizer(
      model: model, normalizer: nil, preTokenizer: preTokenizer, postProcessor: post,
      decoder: ByteLevelDecoder(), addedTokens: added, bosTokenID: bos, eosTokenID: eos,
      padTokenID: pad,
      unknownTokenID: unk)
  }
}
