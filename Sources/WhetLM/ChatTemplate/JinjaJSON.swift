// transformers' `tojson` filter:
//   json.dumps(x, ensure_ascii=False, indent=indent, separators=separators, sort_keys=sort_keys)
// reproduced byte for byte: Python's separators (", " and ": ", or "," with an indent), float
// repr, NaN/Infinity, and escaping of only `"`, `\` and control characters unless ensure_ascii.

enum JinjaJSON {
  struct Options {
    var ensureASCII = false
    var indent: String? = nil
    var itemSeparator = ", "
    var keySeparator = ": "
    var sortKeys = false
  }

  /// `arguments` are the bound filter parameters `ensure_ascii, indent, separators, sort_keys`.
  static func dumps(_ value: JinjaValue, arguments: [JinjaValue?])
    throws(ChatTemplateError) -> String
  {
    var options = Options()
    options.ensureASCII = arguments[0]?.isTruthy ?? false
    switch arguments[1] {
    case nil, .none?: break
    case .string(let text)?: options.indent = text
    case let width?:
      guard let count = width.integer else {
        throw JinjaError.runtime("tojson indent must be an int, a str or None")
      }
      options.indent = String(repeating: " ", count: try JinjaError.checkedSize(count))
    }
    if options.indent != nil { options.itemSeparator = "," }
    switch arguments[2] {
    case nil, .none?: break
    case .array(let pair)?:
      guard pair.count == 2, case .string(let item) = pair[0], case .string(let key) = pair[1]
      else {
        throw JinjaError.runtime("tojson separators must be a pair of strings")
      }
      options.itemSeparator = item
      options.keySeparator = key
    case let other?:
      throw JinjaError.runtime("tojson separators must be a pair of strings, not \(other.typeName)")
    }
    options.sortKeys = arguments[3]?.isTruthy ?? false
    var output = ""
    try encode(value, options: options, level: 0, into: &output)
    return output
  }

  private static func encode(
    _ value: JinjaValue, options: Options, level: Int, into output: inout String
  ) throws(ChatTemplateError) {
    switch value {
    case .none: output += "null"
    case .bool(let flag): output += flag ? "true" : "false"
    case .int(let integer): output += String(integer)
    case .double(let double):
      if double.isNaN {
        output += "NaN"
      } else if double.isInfinite {
        output += double < 0 ? "-Infinity" : "Infinity"
      } else {
        output += JinjaText.float(double)
      }
    case .string(let text): output += quote(text, ensureASCII: options.ensureASCII)
    case .array(let items):
      guard !items.isEmpty else {
        output += "[]"
        return
      }
      output += "["
      for (index, item) in items.enumerated() {
        output += index == 0 ? "" : options.itemSeparator
        newline(options, level + 1, into: &output)
        try encode(item, options: options, level: level + 1, into: &output)
      }
      newline(options, level, into: &output)
      output += "]"
    case .object(let object):
      guard !object.isEmpty else {
        output += "{}"
        return
      }
      var keys = Array(object.keys.indices)
      if options.sortKeys {
        let strings: [String?] = object.keys.map { key -> String? in
          if case .string(let text) = key { return text }
          return nil
        }
        if strings.allSatisfy({ $0 != nil }) {
          keys.sort { JinjaText.compare(strings[$0]!, strings[$1]!) < 0 }
        } else if object.keys.allSatisfy({ $0.number != nil }) {
          keys.sort {
            (object.keys[$0].number?.doubleValue ?? 0) < (object.keys[$1].number?.doubleValue ?? 0)
          }
        } else {
          throw JinjaError.runtime("'<' not supported between dict keys of different types")
        }
      }
      output += "{"
      for (position, index) in keys.enumerated() {
        output += position == 0 ? "" : options.itemSeparator
        newline(options, level + 1, into: &output)
        output += quote(Self.keyText(object.keys[index]), ensureASCII: options.ensureASCII)
        output += options.keySeparator
        try encode(object.values[index], options: options, level: level + 1, into: &output)
      }
      newline(options, level, into: &output)
      output += "}"
    case .opaque where value.markupText != nil:
      output += quote(value.markupText ?? "", ensureASCII: options.ensureASCII)
    case .undefined, .opaque:
      throw JinjaError.runtime("Object of type \(value.typeName) is not JSON serializable")
    }
  }

  private static func newline(_ options: Options, _ level: Int, into output: inout String) {
    guard let indent = options.indent else { return }
    output += "\n" + String(repeating: indent, count: level)
  }

  /// Python's `json` string encoder.
  static func quote(_ text: String, ensureASCII: Bool) -> String {
    var output = "\""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\"": output += "\\\""
      case "\\": output += "\\\\"
      case "\n": output += "\\n"
      case "\r": output += "\\r"
      case "\t": output += "\\t"
      case "\u{08}": output += "\\b"
      case "\u{0C}": output += "\\f"
      default:
        if scalar.value < 0x20 || (ensureASCII && scalar.value > 0x7E) {
          if scalar.value > 0xFFFF {
            let offset = scalar.value - 0x10000
            output += hex4(0xD800 + (offset >> 10)) + hex4(0xDC00 + (offset & 0x3FF))
          } else {
            output += hex4(scalar.value)
          }
        } else {
          output.unicodeScalars.append(scalar)
        }
      }
    }
    return output + "\""
  }

  private static func hex4(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return "\\u" + String(repeating: "0", count: 4 - digits.count) + digits
  }

  /// How Python's `json` spells a non-string key: `1`, `1.5`, `true`, `null`.
  static func keyText(_ key: JinjaValue) -> String {
    switch key {
    case .string(let text): return text
    case .int(let n): return String(n)
    case .double(let x): return JinjaText.float(x)
    case .bool(let b): return b ? "true" : "false"
    default: return "null"
    }
  }
}
