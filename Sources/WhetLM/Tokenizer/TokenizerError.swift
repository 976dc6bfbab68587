/// What is wrong with a tokenizer file or description. Every case names the file (a path, or a
/// short description such as `"<memory>"` for tokenizers built in code) and what was found.
public enum TokenizerError: Error, CustomStringConvertible, Equatable, Sendable {
  /// The file could not be read at all.
  case unreadable(file: String, reason: String)
  /// The file is not valid JSON, or a field has the wrong shape.
  case malformed(file: String, reason: String)
  /// A required field is absent.
  case missingField(file: String, field: String)
  /// A component (`"normalizer"`, `"pre_tokenizer"`, `"model"`, ...) has a type this
  /// implementation does not provide.
  case unsupported(file: String, component: String, type: String)
  /// The vocabulary is inconsistent (for example an id used twice, or a negative id).
  case invalidVocabulary(file: String, reason: String)
  /// Merge number `index` (`"a b"`) cannot be used.
  case invalidMerge(file: String, index: Int, merge: String, reason: String)

  /// The file, then what is wrong.
  public var description: String {
    switch self {
    case .unreadable(let f, let r): return "\(f): cannot read tokenizer file: \(r)"
    case .malformed(let f, let r): return "\(f): malformed tokenizer file: \(r)"
    case .missingField(let f, let field): return "\(f): missing field '\(field)'"
    case .unsupported(let f, let c, let t): return "\(f): unsupported \(c) type '\(t)'"
    case .invalidVocabulary(let f, let r): return "\(f): invalid vocabulary: \(r)"
    case .invalidMerge(let f, let i, let m, let r): return "\(f): merge \(i) ('\(m)'): \(r)"
    }
  }
}
