import Foundation

// Python conversions and formatting: `int()` / `float()` parsing, `%`-formatting,
// `str.format` and `strftime`.

extension JinjaInterpreter {
  /// jinja2's `int` filter conversion; nil means "use the default".
  func toInt(_ value: JinjaValue, base: Int) throws(ChatTemplateError) -> JinjaValue? {
    switch value {
    case .int, .bool: return value.integer.map { .int($0) }
    case .double(let double):
      guard double.isFinite else {
        if double.isNaN { return nil }
        throw JinjaError.runtime("cannot convert float infinity to integer")
      }
      guard double > -9.2e18 && double < 9.2e18 else {
        throw JinjaError.runtime("integer overflow (values are limited to 64 bits)")
      }
      return .int(Int(double.rounded(.towardZero)))
    case .string(let text):
      if let parsed = Self.parseInteger(text, base: base) { return .int(parsed) }
      guard let double = Self.parseFloat(text), double.isFinite, abs(double) < 9.2e18 else {
        return nil
      }
      return .int(Int(double.rounded(.towardZero)))
    case .undefined:
      throw JinjaError.runtime("cannot convert an undefined value to int")
    default:
      return nil
    }
  }

  /// jinja2's `float` filter conversion; nil means "use the default".
  func toFloat(_ value: JinjaValue) throws(ChatTemplateError) -> JinjaValue? {
    switch value {
    case .double: return value
    case .int, .bool: return value.number.map { .double($0.doubleValue) }
    case .string(let text): return Self.parseFloat(text).map { .double($0) }
    case .undefined: throw JinjaError.runtime("cannot convert an undefined value to float")
    default: return nil
    }
  }

  /// Python `int(text, base)`: surrounding whitespace, sign, underscores between digits.
  static func parseInteger(_ text: String, base: Int) -> Int? {
    var body = Substring(JinjaText.strip(text, chars: nil))
    var negative = false
    if let sign = body.first, sign == "+" || sign == "-" {
      negative = sign == "-"
      body = body.dropFirst()
    }
    var radix = base
    let lowered = body.lowercased()
    for (prefix, value) in [("0x", 16), ("0o", 8), ("0b", 2)]
    where lowered.hasPrefix(prefix) && (base == 0 || base == value) {
      radix = value
      body = body.dropFirst(2)
      if body.first == "_" { body = body.dropFirst() }
    }
    if radix == 0 { radix = 10 }
    guard (2...36).contains(radix), !body.isEmpty, body.first != "_", body.last != "_",
      !body.contains("__")
    else { return nil }
    guard let magnitude = Int(body.replacingOccurrences(of: "_", with: ""), radix: radix) else {
      return nil
    }
    return negative ? -magnitude : magnitude
  }

  /// Python `float(text)`.
  static func parseFloat(_ text: String) -> Double? {
    let body = JinjaText.strip(text, chars: nil)
    let lowered = body.lowercased()
    let unsigned =
      lowered.hasPrefix("-") || lowered.hasPrefix("+") ? String(lowered.dropFirst()) : lowered
    if ["inf", "infinity", "nan"].contains(unsigned) {
      let magnitude = unsigned == "nan" ? Double.nan : Double.infinity
      return lowered.hasPrefix("-") ? -magnitude : magnitude
    }
    let allowed = Set("0123456789.e+-_")
    guard !unsigned.isEmpty, lowered.allSatisfy({ allowed.contains($0) }), !body.contains("__")
    else { return nil }
    return Double(body.replacingOccurrences(of: "_", with: ""))
  }

  /// Python `format % values` (`%s`, `%r`, `%d`, `%i`, `%f`, `%x`, `%%`, flags, width, precision).
  /// A list on the right-hand side is treated as the tuple of arguments, a dict as a mapping.
  func percentFormat(_ format: String, _ values: JinjaValue) throws(ChatTemplateError) -> String {
    var arguments: [JinjaValue]
    var mapping: JinjaObject? = nil
    switch values {
    case .array(let items): arguments = items
    case .object(let object):
      arguments = [values]
      mapping = object
    default: arguments = [values]
    }
    var output = ""
    let scalars = JinjaText.scalars(format)
    var index = 0
    func nextArgument() throws(ChatTemplateError) -> JinjaValue {
      guard !arguments.isEmpty else {
        throw JinjaError.runtime("not enough arguments for format string")
      }
      return arguments.removeFirst()
    }
    while index < scalars.count {
      guard scalars[index] == "%" else {
        output.unicodeScalars.append(scalars[index])
        index += 1
        continue
      }
      index += 1
      var key: String? = nil
      if index < scalars.count, scalars[index] == "(" {
        guard let close = scalars[index...].firstIndex(of: ")") else {
          throw JinjaError.runtime("incomplete format key")
        }
        key = JinjaText.string(scalars[(index + 1)..<close])
        index = close + 1
      }
      var flags = Set<Unicode.Scalar>()
      while index < scalars.count, "-+ 0#".unicodeScalars.contains(scalars[index]) {
        flags.insert(scalars[index])
        index += 1
      }
      var width = 0
      while index < scalars.count, JinjaText.isDigit(scalars[index]) {
        width = try JinjaError.checkedSize(width * 10 + Int(scalars[index].value - 48))
        index += 1
      }
      var precision: Int? = nil
      if index < scalars.count, scalars[index] == "." {
        index += 1
        var digits = 0
        while index < scalars.count, JinjaText.isDigit(scalars[index]) {
          digits = try JinjaError.checkedSize(digits * 10 + Int(scalars[index].value - 48))
          index += 1
        }
        precision = digits
      }
      guard index < scalars.count else { throw JinjaError.runtime("incomplete format") }
      let conversion = scalars[index]
      index += 1
      if conversion == "%" {
        output += "%"
        continue
      }
      let argument: JinjaValue
      if let key {
        guard let mapping else { throw JinjaError.runtime("format requires a mapping") }
        guard let value = mapping[key] else {
          throw JinjaError.runtime("KeyError: \(JinjaText.repr(key))")
        }
        argument = value
      } else {
        argument = try nextArgument()
      }
      var body: String
      switch conversion {
      case "s": body = str(argument)
      case "r", "a": body = repr(argument)
      case "d", "i", "u", "f", "F", "x", "X", "o", "e", "E", "g", "G":
        guard let number = argument.number else {
          throw JinjaError.runtime(
            "%\(conversion) format: a real number is required, not \(argument.typeName)")
        }
        body = try Self.formatNumber(
          number, conversion: conversion, precision: precision, flags: flags)
      default:
        throw JinjaError.unsupported("'%\(conversion)' in %-formatting")
      }
      if let precision, conversion == "s" || conversion == "r" {
        body = JinjaText.string(JinjaText.scalars(body).prefix(precision))
      }
      let padding = max(0, width - body.unicodeScalars.count)
      if flags.contains("-") {
        body += String(repeating: " ", count: padding)
      } else if flags.contains("0") && conversion != "s" && conversion != "r" {
        let signed = body.hasPrefix("-") || body.hasPrefix("+")
        let sign = signed ? String(body.removeFirst()) : ""
        body = sign + String(repeating: "0", count: padding) + body
      } else {
        body = String(repeating: " ", count: padding) + body
      }
      output += body
    }
    if mapping == nil && !arguments.isEmpty {
      throw JinjaError.runtime("not all arguments converted during string formatting")
    }
    return output
  }

  private static func formatNumber(
    _ number: JinjaNumber, conversion: Unicode.Scalar, precision: Int?, flags: Set<Unicode.Scalar>
  ) throws(ChatTemplateError) -> String {
    var text: String
    switch conversion {
    case "d", "i", "u":
      switch number {
      case .int(let integer): text = String(integer)
      case .double(let double):
        guard double.isFinite, abs(double) < 9.2e18 else {
          throw JinjaError.runtime(
            "cannot convert float \(JinjaText.float(double)) to a 64-bit integer")
        }
        text = String(Int(double.rounded(.towardZero)))
      }
    case "x", "X", "o":
      guard case .int(let integer) = number else {
        throw JinjaError.runtime("%\(conversion) format: an integer is required")
      }
      text = String(integer, radix: conversion == "o" ? 8 : 16, uppercase: conversion == "X")
    default:
      let spec = "%.\(precision ?? 6)" + String(Character(conversion))
      text = String(format: spec, number.doubleValue)
    }
    if !text.hasPrefix("-") {
      if flags.contains("+") { text = "+" + text } else if flags.contains(" ") { text = " " + text }
    }
    return text
  }

  /// Python `str.format`: `{}`, `{0}`, `{name}`, `{!r}`, `{{`, `}}` (no format specs).
  func strFormat(_ format: String, _ arguments: JinjaArguments) throws(ChatTemplateError) -> String
  {
    let scalars = JinjaText.scalars(format)
    var output = ""
    var index = 0
    var automatic = 0
    while index < scalars.count {
      let scalar = scalars[index]
      if scalar == "}" {
        guard index + 1 < scalars.count, scalars[index + 1] == "}" else {
          throw JinjaError.runtime("Single '}' encountered in format string")
        }
        output += "}"
        index += 2
        continue
      }
      guard scalar == "{" else {
        output.unicodeScalars.append(scalar)
        index += 1
        continue
      }
      if index + 1 < scalars.count, scalars[index + 1] == "{" {
        output += "{"
        index += 2
        continue
      }
      guard let close = scalars[index...].firstIndex(of: "}") else {
        throw JinjaError.runtime("Single '{' encountered in format string")
      }
      var field = JinjaText.string(scalars[(index + 1)..<close])
      index = close + 1
      var conversion = "s"
      if let bang = field.firstIndex(of: "!") {
        conversion = String(field[field.index(after: bang)...])
        field = String(field[..<bang])
      }
      guard !field.contains(":"), !field.contains("."), !field.contains("["),
        conversion == "s" || conversion == "r"
      else {
        throw JinjaError.unsupported("str.format field '{\(field)}' with a format spec or lookup")
      }
      let value: JinjaValue
      if field.isEmpty {
        guard automatic < arguments.positional.count else {
          throw JinjaError.runtime(
            "Replacement index \(automatic) out of range for positional args tuple")
        }
        value = arguments.positional[automatic]
        automatic += 1
      } else if let position = Int(field) {
        guard arguments.positional.indices.contains(position) else {
          throw JinjaError.runtime(
            "Replacement index \(position) out of range for positional args tuple")
        }
        value = arguments.positional[position]
      } else {
        guard let match = arguments.keyword.first(where: { $0.name == field }) else {
          throw JinjaError.runtime("KeyError: \(JinjaText.repr(field))")
        }
        value = match.value
      }
      output += conversion == "r" ? repr(value) : str(value)
    }
    return output
  }

  /// `datetime.now().strftime(format)` in the local time zone, C locale.
  static func strftimeNow(_ format: String, at instant: time_t? = nil) -> String {
    var now = instant ?? time(nil)
    var parts = tm()
    localtime_r(&now, &parts)
    var buffer = [CChar](repeating: 0, count: 1024)
    let count = strftime(&buffer, buffer.count, format, &parts)
    return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }
}
