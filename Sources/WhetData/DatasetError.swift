/// A dataset file that cannot be read as intended. Row-level cases name the file and the
/// 1-based line, as in `train.jsonl:12: field 'label' must be a bool, got a string`.
public enum DatasetError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The file could not be opened, read or written.
  case unreadable(file: String, reason: String)
  /// The line is not valid JSON.
  case invalidJSON(file: String, line: Int, reason: String)
  /// The line is valid JSON but not an object.
  case notAnObject(file: String, line: Int, found: String)
  /// A field the caller requires is absent.
  case missingField(file: String, line: Int, field: String)
  /// A field has the wrong JSON type (`field` may be a path such as `messages[2].role`).
  case wrongType(file: String, line: Int, field: String, expected: String, found: String)
  /// The object has none of TRL's field combinations.
  case unrecognizedFormat(file: String, line: Int, fields: [String])

  /// The file concerned.
  public var file: String {
    switch self {
    case .unreadable(let file, _), .invalidJSON(let file, _, _), .notAnObject(let file, _, _),
      .missingField(let file, _, _), .wrongType(let file, _, _, _, _),
      .unrecognizedFormat(let file, _, _):
      return file
    }
  }

  /// The 1-based line concerned, for row-level errors.
  public var line: Int? {
    switch self {
    case .unreadable: return nil
    case .invalidJSON(_, let line, _), .notAnObject(_, let line, _), .missingField(_, let line, _),
      .wrongType(_, let line, _, _, _), .unrecognizedFormat(_, let line, _):
      return line
    }
  }

  public var description: String {
    switch self {
    case .unreadable(let file, let reason):
      return "\(file): \(reason)"
    case .invalidJSON(let file, let line, let reason):
      return "\(file):\(line): invalid JSON: \(reason)"
    case .notAnObject(let file, let line, let found):
      return "\(file):\(line): each line must be a JSON object, got \(found)"
    case .missingField(let file, let line, let field):
      return "\(file):\(line): missing required field '\(field)'"
    case .wrongType(let file, let line, let field, let expected, let found):
      return "\(file):\(line): field '\(field)' must be \(expected), got \(found)"
    case .unrecognizedFormat(let file, let line, let fields):
      let present = fields.isEmpty ? "none" : fields.joined(separator: ", ")
      return "\(file):\(line): no TRL dataset fields (expected text, prompt, prompt+completion, "
        + "prompt/chosen/rejected, prompt/completion/label or messages); fields present: \(present)"
    }
  }
}
