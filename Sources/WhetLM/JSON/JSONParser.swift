extension JSONValue {
  /// Parses JSON text (RFC 8259: any value at top level, surrounding whitespace allowed).
  ///
  /// Strict: no comments, trailing commas, single quotes, `NaN` or raw control characters in
  /// strings. Nesting is capped at ``JSONParser/maxDepth`` so hostile input cannot overflow
  /// the stack. Duplicate object keys keep the last value, as Python's `json` does.
  public static func parse(_ text: String) throws(JSONParseError) -> JSONValue {
    var parser = JSONParser<JSONValue>(bytes: Array(text.utf8))
    return try parser.parseDocument()
  }

  /// Parses UTF-8 bytes; see ``parse(_:)-(String)``.
  public static func parse(bytes: [UInt8]) throws(JSONParseError) -> JSONValue {
    var parser = JSONParser<JSONValue>(bytes: bytes)
    return try parser.parseDocument()
  }
}

/// A value a JSON document can be parsed into: ``JSONValue`` (unordered objects, numbers as
/// `Double`) or `JinjaValue` (objects in document order, integers as `int`, as Python's `json`
/// reads them).
protocol JSONTree {
  static var jsonNull: Self { get }
  static func jsonBool(_ value: Bool) -> Self
  /// `isInteger`: the literal had no fraction or exponent.
  static func jsonNumber(_ value: Double, literal: String, isInteger: Bool) -> Self
  static func jsonString(_ value: String) -> Self
  static func jsonArray(_ elements: [Self]) -> Self
  /// Members in document order; a repeated key keeps its last value.
  static func jsonObject(_ members: [(String, Self)]) -> Self
}

extension JSONValue: JSONTree {
  static var jsonNull: JSONValue { .null }
  static func jsonBool(_ value: Bool) -> JSONValue { .bool(value) }
  static func jsonNumber(_ value: Double, literal: String, isInteger: Bool) -> JSONValue {
    .number(value)
  }
  static func jsonString(_ value: String) -> JSONValue { .string(value) }
  static func jsonArray(_ elements: [JSONValue]) -> JSONValue { .array(elements) }
  static func jsonObject(_ members: [(String, JSONValue)]) -> JSONValue {
    .object(Dictionary(members, uniquingKeysWith: { _, last in last }))
  }
}

/// A recursive-descent JSON parser over UTF-8 bytes.
struct JSONParser<Tree: JSONTree> {
  /// Deepest array/object nesting accepted.
  static var maxDepth: Int { 512 }

  let bytes: [UInt8]
  var index = 0
  var depth = 0

  init(bytes: [UInt8]) { self.bytes = bytes }

  mutating func parseDocument() throws(JSONParseError) -> Tree {
    skipWhitespace()
    let value = try parseValue()
    skipWhitespace()
    if index < bytes.count { throw error("unexpected trailing characters after the JSON value") }
    return value
  }

  // MARK: values

  mutating func parseValue() throws(JSONParseError) -> Tree {
    guard index < bytes.count else { throw error("unexpected end of input, expected a value") }
    switch bytes[index] {
    case UInt8(ascii: "{"): return try parseObject()
    case UInt8(ascii: "["): return try parseArray()
    case UInt8(ascii: "\""): return .jsonString(try parseString())
    case UInt8(ascii: "t"): try expectLiteral("true"); return .jsonBool(true)
    case UInt8(ascii: "f"): try expectLiteral("false"); return .jsonBool(false)
    case UInt8(ascii: "n"): try expectLiteral("null"); return .jsonNull
    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
    default: throw error("unexpected character \(describe(bytes[index])), expected a value")
    }
  }

  mutating func parseObject() throws(JSONParseError) -> Tree {
    try enter()
    index += 1  // {
    var members: [(String, Tree)] = []
    skipWhitespace()
    if peek(UInt8(ascii: "}")) {
      index += 1
      depth -= 1
      return .jsonObject(members)
    }
    while true {
      skipWhitespace()
      guard peek(UInt8(ascii: "\"")) else { throw error("expected a string key in object") }
      let key = try parseString()
      skipWhitespace()
      guard peek(UInt8(ascii: ":")) else { throw error("expected ':' after object key") }
      index += 1
      skipWhitespace()
      members.append((key, try parseValue()))
      skipWhitespace()
      if peek(UInt8(ascii: ",")) {
        index += 1
      } else if peek(UInt8(ascii: "}")) {
        index += 1
        depth -= 1
        return .jsonObject(members)
      } else {
        throw error("expected ',' or '}' in object")
      }
    }
  }

  mutating func parseArray() throws(JSONParseError) -> Tree {
    try enter()
    index += 1  // [
    var elements: [Tree] = []
    skipWhitespace()
    if peek(UInt8(ascii: "]")) {
      index += 1
      depth -= 1
      return .jsonArray(elements)
    }
    while true {
      skipWhitespace()
      elements.append(try parseValue())
      skipWhitespace()
      if peek(UInt8(ascii: ",")) {
        index += 1
      } else if peek(UInt8(ascii: "]")) {
        index += 1
        depth -= 1
        return .jsonArray(elements)
      } else {
        throw error("expected ',' or ']' in array")
      }
    }
  }

  mutating func enter() throws(JSONParseError) {
    depth += 1
    if depth > Self.maxDepth { throw error("nesting deeper than \(Self.maxDepth) levels") }
  }

  // MARK: scalars

  mutating func expectLiteral(_ literal: String) throws(JSONParseError) {
    for byte in literal.utf8 {
      guard index < bytes.count, bytes[index] == byte else {
        throw error("invalid literal, expected '\(literal)'")
      }
      index += 1
    }
  }

  /// JSON number grammar: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
  mutating func parseNumber() throws(JSONParseError) -> Tree {
    let start = index
    var isInteger = true
    if peek(UInt8(ascii: "-")) { index += 1 }
    guard index < bytes.count, isDigit(bytes[index]) else {
      throw error("expected a digit in number")
    }
    if bytes[index] == UInt8(ascii: "0") {
      index += 1
      if index < bytes.count, isDigit(bytes[index]) {
        throw error("leading zeros are not allowed in numbers")
      }
    } else {
      while index < bytes.count, isDigit(bytes[index]) { index += 1 }
    }
    if peek(UInt8(ascii: ".")) {
      index += 1
      isInteger = false
      guard index < bytes.count, isDigit(bytes[index]) else {
        throw error("expected a digit after '.'")
      }
      while index < bytes.count, isDigit(bytes[index]) { index += 1 }
    }
    if peek(UInt8(ascii: "e")) || peek(UInt8(ascii: "E")) {
      index += 1
      isInteger = false
      if peek(UInt8(ascii: "+")) || peek(UInt8(ascii: "-")) { index += 1 }
      guard index < bytes.count, isDigit(bytes[index]) else {
        throw error("expected a digit in exponent")
      }
      while index < bytes.count, isDigit(bytes[index]) { index += 1 }
    }
    let text = String(decoding: bytes[start..<index], as: UTF8.self)
    guard let value = Double(text) else { throw error("number out of range") }
    return .jsonNumber(value, literal: text, isInteger: isInteger)
  }

  mutating func parseString() throws(JSONParseError) -> String {
    index += 1  // opening quote
    var buffer: [UInt8] = []
    while true {
      guard index < bytes.count else { throw error("unterminated string") }
      let byte = bytes[index]
      switch byte {
      case UInt8(ascii: "\""):
        index += 1
        return String(decoding: buffer, as: UTF8.self)
      case UInt8(ascii: "\\"):
        index += 1
        guard index < bytes.count else { throw error("unterminated escape in string") }
        let escape = bytes[index]
        index += 1
        switch escape {
        case UInt8(ascii: "\""): buffer.append(UInt8(ascii: "\""))
        case UInt8(ascii: "\\"): buffer.append(UInt8(ascii: "\\"))
        case UInt8(ascii: "/"): buffer.append(UInt8(ascii: "/"))
        case UInt8(ascii: "b"): buffer.append(0x08)
        case UInt8(ascii: "f"): buffer.append(0x0C)
        case UInt8(ascii: "n"): buffer.append(0x0A)
        case UInt8(ascii: "r"): buffer.append(0x0D)
        case UInt8(ascii: "t"): buffer.append(0x09)
        case UInt8(ascii: "u"): buffer.append(contentsOf: try parseUnicodeEscape())
        default:
          index -= 1
          throw error("invalid escape '\\\(describeRaw(escape))' in string")
        }
      default:
        if byte < 0x20 { throw error("unescaped control character \(describe(byte)) in string") }
        buffer.append(byte)
        index += 1
      }
    }
  }

  /// After `\u`: four hex digits, combining a surrogate pair when one follows. A lone
  /// surrogate becomes U+FFFD, as most decoders do.
  mutating func parseUnicodeEscape() throws(JSONParseError) -> [UInt8] {
    let high = try parseHex4()
    var scalarValue = high
    if (0xD800...0xDBFF).contains(high) {
      if index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"),
        bytes[index + 1] == UInt8(ascii: "u")
      {
        let save = index
        index += 2
        let low = try parseHex4()
        if (0xDC00...0xDFFF).contains(low) {
          scalarValue = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
        } else {
          index = save
          scalarValue = 0xFFFD
        }
      } else {
        scalarValue = 0xFFFD
      }
    } else if (0xDC00...0xDFFF).contains(high) {
      scalarValue = 0xFFFD
    }
    let scalar = Unicode.Scalar(scalarValue) ?? "\u{FFFD}"
    return Array(String(Character(scalar)).utf8)
  }

  mutating func parseHex4() throws(JSONParseError) -> UInt32 {
    var value: UInt32 = 0
    for _ in 0..<4 {
      guard index < bytes.count, let digit = hexValue(bytes[index]) else {
        throw error("expected four hex digits after '\\u'")
      }
      value = value << 4 | digit
      index += 1
    }
    return value
  }

  // MARK: helpers

  mutating func skipWhitespace() {
    while index < bytes.count {
      switch bytes[index] {
      case 0x20, 0x09, 0x0A, 0x0D: index += 1
      default: return
      }
    }
  }

  func peek(_ byte: UInt8) -> Bool { index < bytes.count && bytes[index] == byte }

  func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

  func hexValue(_ b: UInt8) -> UInt32? {
    switch b {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(b - UInt8(ascii: "0"))
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt32(b - UInt8(ascii: "a") + 10)
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt32(b - UInt8(ascii: "A") + 10)
    default: return nil
    }
  }

  func describeRaw(_ b: UInt8) -> String {
    b >= 0x20 && b < 0x7F ? String(UnicodeScalar(b)) : "0x" + String(b, radix: 16)
  }

  func describe(_ b: UInt8) -> String {
    b >= 0x20 && b < 0x7F
      ? "'\(String(UnicodeScalar(b)))'" : "0x" + String(b, radix: 16, uppercase: true)
  }

  /// An error at the current position, with line and column computed from the bytes.
  func error(_ message: String) -> JSONParseError {
    var line = 1
    var lineStart = 0
    let end = min(index, bytes.count)
    for i in 0..<end where bytes[i] == 0x0A {
      line += 1
      lineStart = i + 1
    }
    return JSONParseError(message: message, line: line, column: end - lineStart + 1)
  }
}
