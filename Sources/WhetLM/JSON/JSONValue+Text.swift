extension JSONValue: CustomStringConvertible {
  /// Compact JSON text with sorted keys.
  public var description: String { jsonText() }

  /// Compact JSON text (no spaces), keys sorted by default so equal values print equally.
  ///
  /// Integral numbers below 2^53 print without a fraction (`3`, not `3.0`), others in Swift's
  /// shortest round-trip form; non-finite numbers, which JSON cannot hold, print as `null`.
  /// Non-ASCII text is written as UTF-8, not `\u` escapes.
  public func jsonText(sortedKeys: Bool = true) -> String {
    var out = ""
    write(to: &out, sortedKeys: sortedKeys)
    return out
  }

  private func write(to out: inout String, sortedKeys: Bool) {
    switch self {
    case .null: out += "null"
    case .bool(let b): out += b ? "true" : "false"
    case .number(let n): out += Self.numberText(n)
    case .string(let s): Self.writeString(s, to: &out)
    case .array(let elements):
      out += "["
      for (i, element) in elements.enumerated() {
        if i > 0 { out += "," }
        element.write(to: &out, sortedKeys: sortedKeys)
      }
      out += "]"
    case .object(let members):
      out += "{"
      let keys = sortedKeys ? members.keys.sorted() : Array(members.keys)
      for (i, key) in keys.enumerated() {
        if i > 0 { out += "," }
        Self.writeString(key, to: &out)
        out += ":"
        members[key]!.write(to: &out, sortedKeys: sortedKeys)
      }
      out += "}"
    }
  }

  /// JSON text of one number.
  static func numberText(_ n: Double) -> String {
    guard n.isFinite else { return "null" }
    if n == n.rounded(), abs(n) < 9_007_199_254_740_992 {
      return n == 0 ? "0" : String(Int64(n))
    }
    return "\(n)"
  }

  static func writeString(_ s: String, to out: inout String) {
    out += "\""
    for scalar in s.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      case "\u{08}": out += "\\b"
      case "\u{0C}": out += "\\f"
      default:
        if scalar.value < 0x20 {
          let hex = String(scalar.value, radix: 16)
          out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        } else {
          out.unicodeScalars.append(scalar)
        }
      }
    }
    out += "\""
  }
}
