/// Builds tokenizer stages from the JSON objects of a Hugging Face `tokenizer.json`, keyed on
/// their `"type"`. Unknown types throw `TokenizerError.unsupported` naming the component.
enum TokenizerJSONFactory {
  // MARK: Normalizer

  static func normalizer(_ value: JSONValue?, path: String, file: String) throws(TokenizerError)
    -> (any Normalizer)?
  {
    guard let value, !value.isNull else { return nil }
    let o = try JSONObject(value, path: path, file: file)
    let type = try o.type()
    switch type {
    case "NFC", "NFD", "NFKC", "NFKD":
      return UnicodeNormalizer(UnicodeNormalizer.Form(rawValue: type)!)
    case "Lowercase": return LowercaseNormalizer()
    case "Prepend": return PrependNormalizer(try o.requiredString("prepend"))
    case "Replace":
      let pattern = try JSONObject(try o.required("pattern"), path: o.field("pattern"), file: file)
      guard let literal = try pattern.string("String") else {
        throw .unsupported(file: file, component: path, type: "Replace with a Regex pattern")
      }
      return ReplaceNormalizer(pattern: literal, content: try o.requiredString("content"))
    case "Sequence":
      var stages: [any Normalizer] = []
      for (i, item) in try o.requiredArray("normalizers").enumerated() {
        if let stage = try normalizer(item, path: "\(o.field("normalizers"))[\(i)]", file: file) {
          stages.append(stage)
        }
      }
      return SequenceNormalizer(stages)
    default:
      throw .unsupported(file: file, component: path, type: type)
    }
  }

  // MARK: Pre-tokenizer

  static func preTokenizer(_ value: JSONValue?, path: String, file: String) throws(TokenizerError)
    -> (any PreTokenizer)?
  {
    guard let value, !value.isNull else { return nil }
    let o = try JSONObject(value, path: path, file: file)
    let type = try o.type()
    switch type {
    case "ByteLevel":
      return ByteLevelPreTokenizer(
        addPrefixSpace: try o.bool("add_prefix_space", default: true),
        useRegex: try o.bool("use_regex", default: true))
    case "Digits":
      return DigitsPreTokenizer(individualDigits: try o.bool("individual_digits", default: false))
    case "Metaspace":
      let replacement = try o.string("replacement") ?? "▁"
      guard replacement.count == 1 else {
        throw .unsupported(
          file: file, component: path, type: "Metaspace with replacement \(replacement)")
      }
      let prefixSpace = try o.bool("add_prefix_space", default: true)
      let schemeName = try o.string("prepend_scheme") ?? (prefixSpace ? "always" : "never")
      guard let scheme = MetaspacePreTokenizer.PrependScheme(rawValue: schemeName) else {
        throw .unsupported(
          file: file, component: path, type: "Metaspace prepend_scheme \(schemeName)")
      }
      return MetaspacePreTokenizer(
        replacement: replacement.first!, prependScheme: scheme,
        split: try o.bool("split", default: true))
    case "Split":
      let pattern = try JSONObject(try o.required("pattern"), path: o.field("pattern"), file: file)
      let behaviorName = try o.string("behavior") ?? "Isolated"
      guard let behavior = SplitDelimiterBehavior(name: behaviorName) else {
        throw .unsupported(file: file, component: path, type: "Split with behavior \(behaviorName)")
      }
      let invert = try o.bool("invert", default: false)
      if let literal = try pattern.string("String") {
        return SplitPreTokenizer(pattern: .literal(literal), behavior: behavior, invert: invert)
      }
      guard let source = try pattern.string("Regex") else {
        throw .unsupported(file: file, component: path, type: "Split without a Regex or String")
      }
      if let known = SplitPattern(regex: source) {
        return SplitPreTokenizer(pattern: .known(known), behavior: behavior, invert: invert)
      }
      guard let regex = SplitRegex(source) else {
        throw .unsupported(file: file, component: path, type: "Split with pattern \(source)")
      }
      return SplitPreTokenizer(pattern: .regex(regex), behavior: behavior, invert: invert)
    case "Punctuation":
      let behaviorName = try o.string("behavior") ?? "Isolated"
      guard let behavior = SplitDelimiterBehavior(name: behaviorName) else {
        throw .unsupported(
          file: file, component: path, type: "Punctuation with behavior \(behaviorName)")
      }
      return PunctuationPreTokenizer(behavior: behavior)
    case "Sequence":
      var stages: [any PreTokenizer] = []
      for (i, item) in try o.requiredArray("pretokenizers").enumerated() {
        if let stage = try preTokenizer(item, path: "\(o.field("pretokenizers"))[\(i)]", file: file)
        {
          stages.append(stage)
        }
      }
      return SequencePreTokenizer(stages)
    default:
      throw .unsupported(file: file, component: path, type: type)
    }
  }

  // MARK: Model

  static func model(_ value: JSONValue?, path: String, file: String) throws(TokenizerError)
    -> BPEModel
  {
    guard let value, !value.isNull else { throw .missingField(file: file, field: path) }
    let o = try JSONObject(value, path: path, file: file)
    // Old files leave out the type of BPE models.
    let type = try o.string("type") ?? "BPE"
    guard type == "BPE" else { throw .unsupported(file: file, component: path, type: type) }
    if case .number(let p)? = o["dropout"], p > 0 {
      throw .unsupported(file: file, component: o.field("dropout"), type: "BPE dropout \(p)")
    }
    for key in ["continuing_subword_prefix", "end_of_word_suffix"] {
      if let s = try o.string(key), !s.isEmpty {
        throw .unsupported(file: file, component: o.field(key), type: s)
      }
    }
    let vocab = try JSONObject(try o.required("vocab"), path: o.field("vocab"), file: file)
    var vocabulary: [String: Int] = [:]
    vocabulary.reserveCapacity(vocab.fields.count)
    for (token, id) in vocab.fields {
      vocabulary[token] = try vocab.int(id, at: "\(vocab.path)[\(token)]")
    }
    var merges: [(String, String)] = []
    let mergeItems = try o.array("merges") ?? []
    merges.reserveCapacity(mergeItems.count)
    for (i, item) in mergeItems.enumerated() {
      switch item {
      case .string(let line):
        let parts = line.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 2 else {
          throw .invalidMerge(
            file: file, index: i, merge: line, reason: "expected two tokens separated by a space")
        }
        merges.append((String(parts[0]), String(parts[1])))
      case .array(let pair):
        guard pair.count == 2, case .string(let a) = pair[0], case .string(let b) = pair[1] else {
          throw .invalidMerge(
            file: file, index: i, merge: "\(pair.map(\.kindDescription))",
            reason: "expected a pair of strings"
          )
        }
        merges.append((a, b))
      default:
        throw .invalidMerge(
          file: file, index: i, merge: item.kindDescription,
          reason: "expected \"a b\" or [\"a\", \"b\"]")
      }
    }
    return try BPEModel(
      vocabulary: vocabulary, merges: merges, unknownToken: try o.string("unk_token"),
      byteFallback: try o.bool("byte_fallback", default: false),
      fuseUnknown: try o.bool("fuse_unk", default: false),
      ignoreMerges: try o.bool("ignore_merges", default: false), source: file)
  }

  // MARK: Added tokens

  static func addedTokens(_ value: JSONValue?, path: String, file: String) throws(TokenizerError)
    -> [AddedToken]
  {
    guard let value, !value.isNull else { return [] }
    guard case .array(let items) = value else {
      throw .malformed(
        file: file, reason: "'\(path)' must be an array, found \(value.kindDescription)")
    }
    var out: [AddedToken] = []
    for (i, item) in items.enumerated() {
      let o = try JSONObject(item, path: "\(path)[\(i)]", file: file)
      let special = try o.bool("special", default: false)
      out.append(
        AddedToken(
          id: try o.int(try o.required("id"), at: o.field("id")),
          content: try o.requiredString("content"),
          special: special, normalized: try o.bool("normalized", default: !special),
          lstrip: try o.bool("lstrip", default: false),
          rstrip: try o.bool("rstrip", default: false),
          singleWord: try o.bool("single_word", default: false)))
    }
    return out
  }

  // MARK: Post-processor

  static func postProcessor(
    _ value: JSONValue?, path: String, file: String, idOf: (String) -> Int?
  ) throws(TokenizerError) -> (any PostProcessor)? {
    guard let value, !value.isNull else { return nil }
    let o = try JSONObject(value, path: path, file: file)
    let type = try o.type()
    switch type {
    case "TemplateProcessing":
      return try template(o, file: file, idOf: idOf)
    case "BertProcessing", "RobertaProcessing":
      func pair(_ key: String) throws(TokenizerError) -> Int {
        let v = try o.required(key)
        guard case .array(let a) = v, a.count == 2 else {
          throw .malformed(file: file, reason: "'\(o.field(key))' must be [token, id]")
        }
        return try o.int(a[1], at: "\(o.field(key))[1]")
      }
      return TemplatePostProcessor(prefix: [try pair("cls")], suffix: [try pair("sep")])
    case "ByteLevel":
      return IdentityPostProcessor()
    case "Sequence":
      var stages: [any PostProcessor] = []
      for (i, item) in try o.requiredArray("processors").enumerated() {
        if let stage = try postProcessor(
          item, path: "\(o.field("processors"))[\(i)]", file: file, idOf: idOf)
        {
          stages.append(stage)
        }
      }
      return SequencePostProcessor(stages)
    default:
      throw .unsupported(file: file, component: path, type: type)
    }
  }

  /// `TemplateProcessing`'s single-sequence template: the special tokens before and after
  /// `$A`.
  private static func template(
    _ o: JSONObject, file: String, idOf: (String) -> Int?
  ) throws(TokenizerError) -> TemplatePostProcessor {
    let specials = try o.object("special_tokens")
    var prefix: [Int] = []
    var suffix: [Int] = []
    var seenSequence = false
    for (i, item) in try o.requiredArray("single").enumerated() {
      let piece = try JSONObject(item, path: "\(o.field("single"))[\(i)]", file: file)
      if piece["Sequence"] != nil {
        seenSequence = true
        continue
      }
      guard let special = try piece.object("SpecialToken") else {
        throw .malformed(
          file: file, reason: "'\(piece.path)' must hold 'Sequence' or 'SpecialToken'")
      }
      let name = try special.requiredString("id")
      var ids: [Int]
      if let entry = try specials?.object(name), let listed = try entry.array("ids") {
        ids = []
        for (k, v) in listed.enumerated() {
          ids.append(try entry.int(v, at: "\(entry.field("ids"))[\(k)]"))
        }
      } else if let id = idOf(name) {
        ids = [id]
      } else {
        throw .invalidVocabulary(
          file: file, reason: "template token '\(name)' is not in the vocabulary")
      }
      if seenSequence { suffix += ids } else { prefix += ids }
    }
    return TemplatePostProcessor(prefix: prefix, suffix: suffix)
  }

  // MARK: Decoder

  static func decoder(_ value: JSONValue?, path: String, file: String) throws(TokenizerError) -> (
    any TokenDecoder
  )? {
    guard let value, !value.isNull else { return nil }
    let o = try JSONObject(value, path: path, file: file)
    let type = try o.type()
    switch type {
    case "ByteLevel":
      return ByteLevelDecoder()
    case "Replace":
      let pattern = try JSONObject(try o.required("pattern"), path: o.field("pattern"), file: file)
      guard let literal = try pattern.string("String") else {
        throw .unsupported(file: file, component: path, type: "Replace with a Regex pattern")
      }
      return ReplaceDecoder(pattern: literal, content: try o.requiredString("content"))
    case "ByteFallback":
      return ByteFallbackDecoder()
    case "Fuse":
      return FuseDecoder()
    case "Strip":
      let content = try o.requiredString("content")
      guard content.count == 1 else {
        throw .unsupported(
          file: file, component: path, type: "Strip of \(content.debugDescription)")
      }
      var bounds = [0, 0]
      for (k, key) in ["start", "stop"].enumerated() {
        if let v = o[key] { bounds[k] = try o.int(v, at: o.field(key)) }
      }
      return StripDecoder(content: content.first!, start: bounds[0], stop: bounds[1])
    case "Metaspace":
      let replacement = try o.string("replacement") ?? "▁"
      let prefixSpace = try o.bool("add_prefix_space", default: true)
      let schemeName = try o.string("prepend_scheme") ?? (prefixSpace ? "always" : "never")
      guard replacement.count == 1,
        let scheme = MetaspacePreTokenizer.PrependScheme(rawValue: schemeName)
      else {
        throw .unsupported(
          file: file, component: path, type: "Metaspace \(replacement) \(schemeName)")
      }
      return MetaspaceDecoder(replacement: replacement.first!, prependScheme: scheme)
    case "Sequence":
      var stages: [any TokenDecoder] = []
      for (i, item) in try o.requiredArray("decoders").enumerated() {
        if let stage = try decoder(item, path: "\(o.field("decoders"))[\(i)]", file: file) {
          stages.append(stage)
        }
      }
      return SequenceDecoder(stages)
    default:
      throw .unsupported(file: file, component: path, type: type)
    }
  }
}
