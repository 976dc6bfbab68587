import Foundation

/// A parsed JSON value, for reading `tokenizer.json` without fixed schemas.
enum JSONValue: Decodable, Sendable {
  case null
  case bool(Bool)
  case number(Double)
  case string(String)
  case array([JSONValue])
  case object([String: JSONValue])

  init(from decoder: any Decoder) throws {
    let container = try decoder.singleValueContainer()
    if container.decodeNil() {
      self = .null
    } else if let b = try? container.decode(Bool.self) {
      self = .bool(b)
    } else if let n = try? container.decode(Double.self) {
      self = .number(n)
    } else if let s = try? container.decode(String.self) {
      self = .string(s)
    } else if let a = try? container.decode([JSONValue].self) {
      self = .array(a)
    } else {
      self = .object(try container.decode([String: JSONValue].self))
    }
  }

  /// Parses `data`; `file` names the source in errors.
  static func parse(_ data: Data, file: String) throws(TokenizerError) -> JSONValue {
    do {
      return try JSONDecoder().decode(JSONValue.self, from: data)
    } catch let error as DecodingError {
      throw .malformed(file: file, reason: "not valid JSON (\(Self.describe(error)))")
    } catch {
      throw .malformed(file: file, reason: "not valid JSON (\(error))")
    }
  }

  private static func describe(_ error: DecodingError) -> String {
    switch error {
    case .dataCorrupted(let c): return c.underlyingError.map { "\($0)" } ?? c.debugDescription
    default: return "\(error)"
    }
  }

  var kind: String {
    switch self {
    case .null: return "null"
    case .bool: return "a bool"
    case .number: return "a number"
    case .string: return "a string"
    case .array: return "an array"
    case .object: return "an object"
    }
  }

  var isNull: Bool {
    if case .null = self { return true }
    return false
  }
}

/// A JSON object with the path it was found at, for error messages.
struct JSONObject {
  let fields: [String: JSONValue]
  let path: String
  let file: String

  init(_ value: JSONValue, path: String, file: String) throws(TokenizerError) {
    guard case .object(let fields) = value else {
      throw .malformed(file: file, reason: "'\(path)' must be an object, found \(value.kind)")
    }
    self.fields = fields
    self.path = path
    self.file = file
  }

  func field(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

  /// The field `key`, treating null as absent.
  subscript(_ key: String) -> JSONValue? {
    guard let v = fields[key], !v.isNull else { return nil }
    return v
  }

  func required(_ key: String) throws(TokenizerError) -> JSONValue {
    guard let v = self[key] else { throw .missingField(file: file, field: field(key)) }
    return v
  }

  func string(_ key: String) throws(TokenizerError) -> String? {
    guard let v = self[key] else { return nil }
    guard case .string(let s) = v else {
      throw .malformed(file: file, reason: "'\(field(key))' must be a string, found \(v.kind)")
    }
    return s
  }

  func requiredString(_ key: String) throws(TokenizerError) -> String {
    guard let s = try string(key) else { throw .missingField(file: file, field: field(key)) }
    return s
  }

  func bool(_ key: String, default fallback: Bool) throws(TokenizerError) -> Bool {
    guard let v = self[key] else { return fallback }
    guard case .bool(let b) = v else {
      throw .malformed(file: file, reason: "'\(field(key))' must be a bool, found \(v.kind)")
    }
    return b
  }

  func int(_ value: JSONValue, at path: String) throws(TokenizerError) -> Int {
    guard case .number(let d) = value, let n = Int(exactly: d) else {
      throw .malformed(file: file, reason: "'\(path)' must be an integer, found \(value.kind)")
    }
    return n
  }

  func array(_ key: String) throws(TokenizerError) -> [JSONValue]? {
    guard let v = self[key] else { return nil }
    guard case .array(let a) = v else {
      throw .malformed(file: file, reason: "'\(field(key))' must be an array, found \(v.kind)")
    }
    return a
  }

  func requiredArray(_ key: String) throws(TokenizerError) -> [JSONValue] {
    guard let a = try array(key) else { throw .missingField(file: file, field: field(key)) }
    return a
  }

  func object(_ key: String) throws(TokenizerError) -> JSONObject? {
    guard let v = self[key] else { return nil }
    return try JSONObject(v, path: field(key), file: file)
  }

  /// The `"type"` field.
  func type() throws(TokenizerError) -> String { try requiredString("type") }
}
