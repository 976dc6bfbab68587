extension JinjaValue: JSONTree {
  static var jsonNull: JinjaValue { .none }
  static func jsonBool(_ value: Bool) -> JinjaValue { .bool(value) }
  static func jsonNumber(_ value: Double, literal: String, isInteger: Bool) -> JinjaValue {
    if isInteger, let integer = Int(literal) { return .int(integer) }
    return .double(value)
  }
  static func jsonString(_ value: String) -> JinjaValue { .string(value) }
  static func jsonArray(_ elements: [JinjaValue]) -> JinjaValue { .array(elements) }
  static func jsonObject(_ members: [(String, JinjaValue)]) -> JinjaValue {
    .object(JinjaObject(members))
  }
}

extension JinjaValue {
  /// Parses JSON text the way Python's `json.loads` reads it for a template: objects keep
  /// their keys in document order (so `tojson` and `items` see the file's order), integer
  /// literals are `int`, other numbers `float`, `null` is `None`.
  public static func parseJSON(_ text: String) throws(JSONParseError) -> JinjaValue {
    var parser = JSONParser<JinjaValue>(bytes: Array(text.utf8))
    return try parser.parseDocument()
  }

  /// The template value of a parsed JSON value. ``JSONValue`` objects are unordered, so
  /// their keys are taken in sorted order; numbers that are whole and within ±2^53 become
  /// `int`. Parse with ``parseJSON(_:)`` instead where the document's key order matters.
  public init(json: JSONValue) {
    switch json {
    case .null: self = .none
    case .bool(let b): self = .bool(b)
    case .number(let n):
      if n.rounded() == n, abs(n) <= 9_007_199_254_740_992 {
        self = .int(Int(n))
      } else {
        self = .double(n)
      }
    case .string(let s): self = .string(s)
    case .array(let a): self = .array(a.map(JinjaValue.init(json:)))
    case .object(let o):
      self = .object(
        JinjaObject(o.sorted { $0.key < $1.key }.map { ($0.key, JinjaValue(json: $0.value)) }))
    }
  }
}
