import WhetLM

/// A small JSON Schema subset, enough to check structured model output.
///
/// Supported keywords: `type` (a name or a list of names among `null`, `boolean`, `number`,
/// `integer`, `string`, `array`, `object`), `enum`, `const`, `properties`, `required`,
/// `additionalProperties` (bool or schema), `items` (one schema for every element),
/// `minItems`/`maxItems`, `minimum`/`maximum`, `exclusiveMinimum`/`exclusiveMaximum` (numeric,
/// draft 6+), `minLength`/`maxLength` (counted in Unicode scalars, as the spec's code points).
/// Other keywords (`$schema`, `title`, `description`, `format`, …) are ignored. An `integer`
/// is any number with no fractional part, so `1.0` is an integer, as in the spec.
public struct JSONSchema: Sendable, Equatable {
  /// The schema document.
  public let schema: JSONValue

  /// Checks that `schema` uses the supported keywords with well-formed values.
  public init(_ schema: JSONValue) throws(VerifierError) {
    try Self.check(schema, path: "$")
    self.schema = schema
  }

  /// Parses and checks a schema given as JSON text.
  public init(text: String) throws(VerifierError) {
    let value: JSONValue
    do {
      value = try JSONValue.parse(text)
    } catch {
      throw .invalidSchema(reason: "not valid JSON (\(error))")
    }
    try self.init(value)
  }

  /// Violations of the schema by `instance`, each with a JSONPath-like location such as
  /// `$.items[2].name: expected a string, got a number`. Empty when `instance` conforms.
  public func violations(of instance: JSONValue) -> [String] {
    var out: [String] = []
    Self.validate(instance, schema, path: "$", into: &out)
    return out
  }

  /// Whether `instance` conforms.
  public func accepts(_ instance: JSONValue) -> Bool { violations(of: instance).isEmpty }

  static let typeNames: Set<String> = [
    "null", "boolean", "number", "integer", "string", "array", "object",
  ]
  static let numericKeywords = [
    "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength",
    "minItems", "maxItems",
  ]

  private static func check(_ schema: JSONValue, path: String) throws(VerifierError) {
    if case .bool = schema { return }  // `true` accepts anything, `false` nothing.
    guard let members = schema.objectValue else {
      throw .invalidSchema(
        reason: "\(path): a schema must be an object or a bool, got \(schema.kindDescription)")
    }
    if let type = members["type"] {
      let names: [JSONValue] = type.arrayValue ?? [type]
      for name in names {
        guard let s = name.stringValue, typeNames.contains(s) else {
          throw .invalidSchema(reason: "\(path).type: \(name) is not a type name")
        }
      }
    }
    for keyword in numericKeywords {
      if let v = members[keyword], v.numberValue == nil {
        throw .invalidSchema(
          reason: "\(path).\(keyword) must be a number, got \(v.kindDescription)")
      }
    }
    if let e = members["enum"], e.arrayValue == nil {
      throw .invalidSchema(reason: "\(path).enum must be an array, got \(e.kindDescription)")
    }
    if let r = members["required"] {
      guard let names = r.arrayValue, names.allSatisfy({ $0.stringValue != nil }) else {
        throw .invalidSchema(reason: "\(path).required must be an array of strings")
      }
    }
    if let p = members["properties"] {
      guard let properties = p.objectValue else {
        throw .invalidSchema(
          reason: "\(path).properties must be an object, got \(p.kindDescription)")
      }
      for (key, sub) in properties { try check(sub, path: "\(path).properties.\(key)") }
    }
    if let a = members["additionalProperties"] {
      try check(a, path: "\(path).additionalProperties")
    }
    if let items = members["items"] { try check(items, path: "\(path).items") }
  }

  private static func validate(
    _ value: JSONValue, _ schema: JSONValue, path: String, into out: inout [String]
  ) {
    if case .bool(let accept) = schema {
      if !accept { out.append("\(path): no value is allowed here") }
      return
    }
    guard let s = schema.objectValue else { return }

    if let type = s["type"] {
      let names = (type.arrayValue ?? [type]).compactMap(\.stringValue)
      if !names.contains(where: { matches(value, type: $0) }) {
        let expected = names.map(article).joined(separator: " or ")
        out.append("\(path): expected \(expected), got \(value.kindDescription)")
        return  // Further keywords would only repeat the mismatch.
      }
    }
    if let options = s["enum"]?.arrayValue, !options.contains(where: { equalJSON($0, value) }) {
      out.append("\(path): \(value) is not one of \(JSONValue.array(options))")
    }
    if let constant = s["const"], !equalJSON(constant, value) {
      out.append("\(path): expected \(constant), got \(value)")
    }
    switch value {
    case .number(let n): validateNumber(n, s, path: path, into: &out)
    case .string(let text):
      let length = text.unicodeScalars.count
      if let min = s["minLength"]?.numberValue, Double(length) < min {
        out.append(
          "\(path): string of length \(length) is shorter than minLength \(JSONValue.number(min))")
      }
      if let max = s["maxLength"]?.numberValue, Double(length) > max {
        out.append(
          "\(path): string of length \(length) is longer than maxLength \(JSONValue.number(max))")
      }
    case .array(let elements):
      if let min = s["minItems"]?.numberValue, Double(elements.count) < min {
        out.append("\(path): \(elements.count) items, fewer than minItems \(JSONValue.number(min))")
      }
      if let max = s["maxItems"]?.numberValue, Double(elements.count) > max {
        out.append("\(path): \(elements.count) items, more than maxItems \(JSONValue.number(max))")
      }
      if let itemSchema = s["items"] {
        for (i, element) in elements.enumerated() {
          validate(element, itemSchema, path: "\(path)[\(i)]", into: &out)
        }
      }
    case .object(let members):
      for name in (s["required"]?.arrayValue ?? []).compactMap(\.stringValue).sorted()
      where members[name] == nil {
        out.append("\(path): missing required property '\(name)'")
      }
      let properties = s["properties"]?.objectValue ?? [:]
      for key in members.keys.sorted() {
        let member = members[key]!
        if let sub = properties[key] {
          validate(member, sub, path: "\(path).\(key)", into: &out)
        } else if let additional = s["additionalProperties"] {
          if additional == .bool(false) {
            out.append("\(path): property '\(key)' is not allowed")
          } else {
            validate(member, additional, path: "\(path).\(key)", into: &out)
          }
        }
      }
    case .null, .bool: break
    }
  }

  private static func validateNumber(
    _ n: Double, _ s: [String: JSONValue], path: String, into out: inout [String]
  ) {
    let shown = JSONValue.number(n)
    if let min = s["minimum"]?.numberValue, n < min {
      out.append("\(path): \(shown) is less than minimum \(JSONValue.number(min))")
    }
    if let max = s["maximum"]?.numberValue, n > max {
      out.append("\(path): \(shown) is greater than maximum \(JSONValue.number(max))")
    }
    if let min = s["exclusiveMinimum"]?.numberValue, n <= min {
      out.append("\(path): \(shown) is not greater than exclusiveMinimum \(JSONValue.number(min))")
    }
    if let max = s["exclusiveMaximum"]?.numberValue, n >= max {
      out.append("\(path): \(shown) is not less than exclusiveMaximum \(JSONValue.number(max))")
    }
  }

  private static func matches(_ value: JSONValue, type: String) -> Bool {
    switch (type, value) {
    case ("null", .null), ("boolean", .bool), ("number", .number), ("string", .string),
      ("array", .array), ("object", .object):
      return true
    case ("integer", .number(let n)): return n.isFinite && n == n.rounded()
    default: return false
    }
  }

  private static func article(_ type: String) -> String {
    switch type {
    case "null": return "null"
    case "integer", "array", "object": return "an \(type)"
    default: return "a \(type)"
    }
  }

  /// JSON equality (numbers by value, so `1` equals `1.0`; the enum's `==` already does that).
  private static func equalJSON(_ a: JSONValue, _ b: JSONValue) -> Bool { a == b }
}
