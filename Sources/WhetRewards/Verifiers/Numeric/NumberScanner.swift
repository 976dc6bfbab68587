import Foundation

/// A number found in free text.
public struct ExtractedNumber: Sendable, Equatable {
  /// The value (a fraction already divided; a percentage *not* divided by 100).
  public var value: Double
  /// The text it was read from, after LaTeX clean-up (e.g. `"-1,234.5"`, `"3/4"`).
  public var text: String
  /// Whether a `%` followed it.
  public var isPercent: Bool

  /// A number read from `text`.
  public init(value: Double, text: String, isPercent: Bool = false) {
    self.value = value
    self.text = text
    self.isPercent = isPercent
  }
}

/// Finds numbers in model output as people and LaTeX write them.
///
/// Recognised: integers and decimals (`42`, `-3.5`, `.5`), thousands separators in groups of
/// three (`1,234,567`; `1,23` is two numbers), LaTeX's `{,}` and `\,` separators, signs (`-`,
/// `+`, U+2212) when not preceded by a letter, digit or closing bracket (so `10-3` is `10` and
/// `3`), plain fractions `3/4` and `\frac{3}{4}` (`\dfrac`, `\tfrac`, `\frac34`), and a
/// trailing `%` (flagged, value unchanged). Exponents such as `1e5` are not recognised.
public enum NumberScanner {
  /// All numbers in `text`, left to right.
  public static func numbers(in text: String) -> [ExtractedNumber] {
    let chars = Array(clean(text))
    var out: [ExtractedNumber] = []
    var i = 0
    while i < chars.count {
      if chars[i] == "\\", let (value, end) = parseFrac(chars, at: i) {
        let negative = i > 0 && isSign(chars, at: i - 1) && chars[i - 1] != "+"
        let start = negative ? i - 1 : i
        out.append(
          ExtractedNumber(value: negative ? -value : value, text: String(chars[start..<end])))
        i = end
        continue
      }
      let startsNumber =
        chars[i].isASCIIDigit
        || (chars[i] == "." && i + 1 < chars.count && chars[i + 1].isASCIIDigit
          && (i == 0 || !chars[i - 1].isASCIIDigit))
      guard startsNumber, let (magnitude, afterNumber) = parseDecimal(chars, at: i, grouping: true)
      else {
        i += 1
        continue
      }
      let signed = i > 0 && isSign(chars, at: i - 1)
      let negative = signed && chars[i - 1] == "-"
      let start = signed ? i - 1 : i
      var value = negative ? -magnitude : magnitude
      var end = afterNumber
      // A fraction `a/b` (spaces allowed around the slash).
      var j = skipSpaces(chars, from: end)
      if j < chars.count, chars[j] == "/" {
        var k = skipSpaces(chars, from: j + 1)
        var denominatorNegative = false
        if k < chars.count, chars[k] == "-" {
          denominatorNegative = true
          k += 1
        }
        if k < chars.count, chars[k].isASCIIDigit,
          let (denominator, afterDenominator) = parseDecimal(chars, at: k, grouping: false),
          denominator != 0
        {
          value /= denominatorNegative ? -denominator : denominator
          end = afterDenominator
        }
      }
      j = end < chars.count && chars[end] == " " ? end + 1 : end
      var percent = false
      if j < chars.count, chars[j] == "%" {
        percent = true
        end = j + 1
      }
      out.append(
        ExtractedNumber(value: value, text: String(chars[start..<end]), isPercent: percent))
      i = end
    }
    return out
  }

  /// The value of `text` if it is exactly one number (surrounding spaces, `$` and a trailing
  /// `.` allowed), else `nil`.
  public static func exactNumber(_ text: String) -> Double? {
    var trimmed = clean(text).trimmingCharacters(in: CharacterSet(charactersIn: " \t\n$"))
    if trimmed.hasSuffix(".") { trimmed.removeLast() }
    let found = numbers(in: trimmed)
    guard found.count == 1, found[0].text == trimmed || found[0].text + "%" == trimmed else {
      return nil
    }
    return found[0].value
  }

  /// LaTeX and typographic spellings rewritten to plain ones.
  static func clean(_ text: String) -> String {
    var s = text
    let replacements: [(String, String)] = [
      ("\\dfrac", "\\frac"), ("\\tfrac", "\\frac"), ("{,}", ","), ("\\,", ""), ("\\!", ""),
      ("\\$", "$"), ("\\%", "%"), ("\\left", ""), ("\\right", ""), ("\u{2212}", "-"),
    ]
    for (from, to) in replacements where s.contains(from) {
      s = s.replacingOccurrences(of: from, with: to)
    }
    return s
  }

  /// An unsigned decimal at `i`: digits (with `,ddd` groups when `grouping` and the leading
  /// run has at most three digits), then an optional `.digits`.
  static func parseDecimal(_ c: [Character], at i: Int, grouping: Bool) -> (Double, Int)? {
    var digits = ""
    var j = i
    while j < c.count, c[j].isASCIIDigit {
      digits.append(c[j])
      j += 1
    }
    if grouping, !digits.isEmpty, digits.count <= 3 {
      while j + 3 < c.count, c[j] == ",", c[j + 1].isASCIIDigit, c[j + 2].isASCIIDigit,
        c[j + 3].isASCIIDigit, j + 4 >= c.count || !c[j + 4].isASCIIDigit
      {
        digits += String(c[(j + 1)...(j + 3)])
        j += 4
      }
    }
    if j + 1 < c.count, c[j] == ".", c[j + 1].isASCIIDigit {
      digits.append(".")
      j += 1
      while j < c.count, c[j].isASCIIDigit {
        digits.append(c[j])
        j += 1
      }
    }
    if digits.hasPrefix(".") { digits = "0" + digits }
    guard let value = Double(digits) else { return nil }
    return (value, j)
  }

  /// `\frac{a}{b}` or `\frac ab` at `i`, each part exactly one number.
  static func parseFrac(_ c: [Character], at i: Int) -> (Double, Int)? {
    let keyword: [Character] = Array("\\frac")
    guard i + keyword.count <= c.count, Array(c[i..<(i + keyword.count)]) == keyword else {
      return nil
    }
    var j = skipSpaces(c, from: i + keyword.count)
    guard let (numerator, afterNumerator) = fracPart(c, at: j) else { return nil }
    j = skipSpaces(c, from: afterNumerator)
    guard let (denominator, afterDenominator) = fracPart(c, at: j), denominator != 0 else {
      return nil
    }
    return (numerator / denominator, afterDenominator)
  }

  /// One argument of `\frac`: a braced number or a single digit.
  static func fracPart(_ c: [Character], at j: Int) -> (Double, Int)? {
    guard j < c.count else { return nil }
    if c[j].isASCIIDigit, let d = c[j].wholeNumberValue { return (Double(d), j + 1) }
    guard c[j] == "{" else { return nil }
    var depth = 0
    var k = j
    while k < c.count {
      if c[k] == "{" { depth += 1 }
      if c[k] == "}" {
        depth -= 1
        if depth == 0 { break }
      }
      k += 1
    }
    guard k < c.count else { return nil }
    let inner = String(c[(j + 1)..<k]).trimmingCharacters(in: .whitespaces)
    let found = numbers(in: inner)
    guard found.count == 1, found[0].text == inner, !found[0].isPercent else { return nil }
    return (found[0].value, k + 1)
  }

  /// Whether `c[k]` is a sign: `-` or `+` not preceded by a letter, digit or closing bracket.
  static func isSign(_ c: [Character], at k: Int) -> Bool {
    guard c[k] == "-" || c[k] == "+" else { return false }
    guard k > 0 else { return true }
    let before = c[k - 1]
    return !(before.isLetter || before.isNumber || before == ")" || before == "]" || before == "}")
  }

  static func skipSpaces(_ c: [Character], from i: Int) -> Int {
    var j = i
    while j < c.count, c[j] == " " { j += 1 }
    return j
  }
}

extension Character {
  fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
