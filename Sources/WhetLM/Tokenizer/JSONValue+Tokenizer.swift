import Foundation

extension JSONValue {
  /// Parses `tokenizer.json`-style data; `file` names the source in errors.
  static func parse(_ data: Data, file: String) throws(TokenizerError) -> JSONValue {
    do {
      return try parse(bytes: Array(data))
    } catch {
      throw .malformed(file: file, reason: "not valid JSON (\(error))")
    }
  }
}

/// A JSON object with the path it was found at, for error messages.
struct JSONObject {
  let fields: [String: JSONValue]
  let path: String
  let file: String

  init(_ value: JSONValue, path: String, file: String) throws(TokenizerError) {
    guard case .object(let fields) = value else {
      throw .malformed(
        file: file, reason: "'\(path)' must be an object, found \(value.kindDescription)")
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
      throw .malformed(
        file: file, reason: "'\(field(key))' must be a string, found \(v.kindDescription)")
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
      throw .malformed(
        file: file, reason: "'\(field(key))' must be a bool, found \(v.kindDescription)")
    }
    return b
  }

  func int(_ value: JSONValue, at path: String) throws(TokenizerError) -> Int {
    guard case .number(let d) = value, let n = Int(exactly: d) else {
      throw .malformed(
        file: file, reason: "'\(path)' must be an integer, found \(value.kindDescription)")
    }
    return n
  }

  func array(_ key: String) throws(TokenizerError) -> [JSONValue]? {
    guard let v = self[key] else { return nil }
    guard case .array(let a) = v else {
      throw .malformed(
        file: file, reason: "'\(field(key))' must be an array, found \(v.kindDescription)")
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
