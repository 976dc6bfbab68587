// Decoding of string literals inside tags.

struct JinjaLexerMessage: Error {
  var text: String
}

extension JinjaLexer {
  /// Decodes a string literal body the way jinja2 does (`backslashreplace` encoding followed by
  /// Python's `unicode-escape` codec): Python escapes are interpreted, unknown escapes are kept
  /// verbatim, and a backslash before a non-ASCII character yields its `\xNN`-style spelling.
  static func decodeEscapes(_ raw: ArraySlice<Unicode.Scalar>) -> Result<String, JinjaLexerMessage>
  {
    var output = String.UnicodeScalarView()
    var index = raw.startIndex
    func hexValue(count: Int) -> UInt32? {
      guard raw.endIndex - index >= count else { return nil }
      var value: UInt32 = 0
      for scalar in raw[index..<(index + count)] {
        guard let digit = Character(scalar).hexDigitValue, scalar.isASCII else { return nil }
        value = value * 16 + UInt32(digit)
      }
      index += count
      return value
    }
    while index < raw.endIndex {
      let current = raw[index]
      index += 1
      guard current == "\\", index < raw.endIndex else {
        output.append(current)
        continue
      }
      let escape = raw[index]
      index += 1
      let simple: [Unicode.Scalar: Unicode.Scalar] = [
        "\\": "\\", "'": "'", "\"": "\"", "a": "\u{07}", "b": "\u{08}", "f": "\u{0C}", "n": "\n",
        "r": "\r", "t": "\t", "v": "\u{0B}",
      ]
      if escape == "\n" { continue }
      if let mapped = simple[escape] {
        output.append(mapped)
      } else if ("0"..."7").contains(escape) {
        var value = escape.value - 48
        var digits = 1
        while digits < 3, index < raw.endIndex, ("0"..."7").contains(raw[index]) {
          value = value * 8 + raw[index].value - 48
          index += 1
          digits += 1
        }
        output.append(Unicode.Scalar(value) ?? "\u{FFFD}")
      } else if escape == "x" || escape == "u" || escape == "U" {
        let width = escape == "x" ? 2 : escape == "u" ? 4 : 8
        guard let value = hexValue(count: width) else {
          return .failure(JinjaLexerMessage(text: "truncated \\\(escape) escape in string literal"))
        }
        guard let decoded = Unicode.Scalar(value) else {
          return .failure(JinjaLexerMessage(text: "illegal Unicode character in string literal"))
        }
        output.append(decoded)
      } else if escape == "N" {
        return .failure(JinjaLexerMessage(text: "\\N{...} escapes are not supported"))
      } else if escape.isASCII {
        output.append("\\")
        output.append(escape)
      } else {
        output.append(contentsOf: JinjaText.hexEscape(escape).unicodeScalars)
      }
    }
    return .success(String(output))
  }
}
