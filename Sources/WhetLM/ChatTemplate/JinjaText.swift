// Python `str` semantics on Unicode scalars (code points), which is what jinja2 templates see.
// Swift's `String` compares by canonical equivalence and indexes by grapheme cluster; Python
// does neither, so everything here works on `[Unicode.Scalar]`.

enum JinjaText {
  typealias Scalars = [Unicode.Scalar]

  static func scalars(_ string: String) -> Scalars { Array(string.unicodeScalars) }

  static func string<S: Sequence>(_ scalars: S) -> String where S.Element == Unicode.Scalar {
    var view = String.UnicodeScalarView()
    view.append(contentsOf: scalars)
    return String(view)
  }

  /// Python code-point equality (UTF-8 byte equality).
  static func equal(_ lhs: String, _ rhs: String) -> Bool {
    lhs.utf8.count == rhs.utf8.count && lhs.utf8.elementsEqual(rhs.utf8)
  }

  /// Python code-point ordering (UTF-8 preserves it): -1, 0 or 1.
  static func compare(_ lhs: String, _ rhs: String) -> Int {
    var left = lhs.utf8.makeIterator()
    var right = rhs.utf8.makeIterator()
    while true {
      switch (left.next(), right.next()) {
      case (nil, nil): return 0
      case (nil, _): return -1
      case (_, nil): return 1
      case (let a?, let b?): if a != b { return a < b ? -1 : 1 }
      }
    }
  }

  /// `str.isspace()` for one code point.
  static func isSpace(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.value {
    case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F,
      0x205F, 0x3000:
      return true
    default:
      return false
    }
  }

  static func isDigit(_ scalar: Unicode.Scalar) -> Bool { ("0"..."9").contains(scalar) }

  /// Python `str.isalpha()` for one code point (categories Lu, Ll, Lt, Lm, Lo).
  static func isLetter(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.properties.generalCategory {
    case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
      return true
    default:
      return false
    }
  }

  // MARK: Searching

  static func find(_ haystack: Scalars, _ needle: Scalars, from start: Int = 0, to end: Int? = nil)
    -> Int?
  {
    let end = end ?? haystack.count
    guard needle.count <= end - start else { return nil }
    var index = start
    while index + needle.count <= end {
      if haystack[index..<(index + needle.count)].elementsEqual(needle) { return index }
      index += 1
    }
    return nil
  }

  static func findLast(
    _ haystack: Scalars, _ needle: Scalars, from start: Int = 0, to end: Int? = nil
  )
    -> Int?
  {
    let end = end ?? haystack.count
    guard needle.count <= end - start else { return nil }
    var index = end - needle.count
    while index >= start {
      if haystack[index..<(index + needle.count)].elementsEqual(needle) { return index }
      index -= 1
    }
    return nil
  }

  static func contains(_ haystack: String, _ needle: String) -> Bool {
    find(scalars(haystack), scalars(needle)) != nil
  }

  /// `str.count(sub)`: non-overlapping occurrences.
  static func count(_ haystack: String, _ needle: String) -> Int {
    let hay = scalars(haystack)
    let sub = scalars(needle)
    if sub.isEmpty { return hay.count + 1 }
    var total = 0
    var index = 0
    while let found = find(hay, sub, from: index) {
      total += 1
      index = found + sub.count
    }
    return total
  }

  // MARK: Transformations

  /// `str.strip(chars)` / `lstrip` / `rstrip`; `chars == nil` strips whitespace.
  static func strip(_ string: String, chars: String?, leading: Bool = true, trailing: Bool = true)
    -> String
  {
    let set = chars.map { Set($0.unicodeScalars) }
    let shouldStrip: (Unicode.Scalar) -> Bool = { set?.contains($0) ?? isSpace($0) }
    let items = scalars(string)
    var start = 0
    var end = items.count
    if leading { while start < end && shouldStrip(items[start]) { start += 1 } }
    if trailing { while end > start && shouldStrip(items[end - 1]) { end -= 1 } }
    return Self.string(items[start..<end])
  }

  /// `str.split(sep, maxsplit)`; `sep == nil` splits on whitespace runs. Returns nil for an
  /// empty separator (Python raises `ValueError`).
  static func split(_ string: String, separator: String?, maxSplit: Int) -> [String]? {
    let items = scalars(string)
    var remaining = maxSplit < 0 ? Int.max : maxSplit
    var result: [String] = []
    guard let separator else {
      var index = 0
      while remaining > 0 {
        while index < items.count && isSpace(items[index]) { index += 1 }
        if index == items.count { break }
        let start = index
        while index < items.count && !isSpace(items[index]) { index += 1 }
        result.append(Self.string(items[start..<index]))
        remaining -= 1
      }
      while index < items.count && isSpace(items[index]) { index += 1 }
      if index < items.count { result.append(Self.string(items[index...])) }
      return result
    }
    let sep = scalars(separator)
    guard !sep.isEmpty else { return nil }
    var start = 0
    while remaining > 0, let found = find(items, sep, from: start) {
      result.append(Self.string(items[start..<found]))
      start = found + sep.count
      remaining -= 1
    }
    result.append(Self.string(items[start...]))
    return result
  }

  /// `str.rsplit(sep, maxsplit)`.
  static func rsplit(_ string: String, separator: String?, maxSplit: Int) -> [String]? {
    let items = scalars(string)
    var remaining = maxSplit < 0 ? Int.max : maxSplit
    var result: [String] = []
    guard let separator else {
      var index = items.count - 1
      while remaining > 0 {
        while index >= 0 && isSpace(items[index]) { index -= 1 }
        if index < 0 { break }
        let end = index + 1
        while index >= 0 && !isSpace(items[index]) { index -= 1 }
        result.append(Self.string(items[(index + 1)..<end]))
        remaining -= 1
      }
      while index >= 0 && isSpace(items[index]) { index -= 1 }
      if index >= 0 { result.append(Self.string(items[0...index])) }
      return result.reversed()
    }
    let sep = scalars(separator)
    guard !sep.isEmpty else { return nil }
    var end = items.count
    while remaining > 0, let found = findLast(items, sep, to: end) {
      result.append(Self.string(items[(found + sep.count)..<end]))
      end = found
      remaining -= 1
    }
    result.append(Self.string(items[0..<end]))
    return result.reversed()
  }

  /// `str.splitlines(keepends)` with Python's set of line boundaries.
  static func splitLines(_ string: String, keepEnds: Bool = false) -> [String] {
    let items = scalars(string)
    var result: [String] = []
    var start = 0
    var index = 0
    while index < items.count {
      let value = items[index].value
      let isBreak =
        (0x0A...0x0D).contains(value) || (0x1C...0x1E).contains(value) || value == 0x85
        || value == 0x2028 || value == 0x2029
      guard isBreak else {
        index += 1
        continue
      }
      var next = index + 1
      if value == 0x0D && next < items.count && items[next] == "\n" { next += 1 }
      result.append(Self.string(items[start..<(keepEnds ? next : index)]))
      start = next
      index = next
    }
    if start < items.count { result.append(Self.string(items[start...])) }
    return result
  }

  /// `str.replace(old, new, count)`; a negative count replaces every occurrence.
  static func replace(_ string: String, _ old: String, _ new: String, count: Int = -1) -> String {
    let items = scalars(string)
    let target = scalars(old)
    let replacement = scalars(new)
    var remaining = count < 0 ? Int.max : count
    var output: Scalars = []
    if target.isEmpty {
      for item in items {
        if remaining > 0 {
          output += replacement
          remaining -= 1
        }
        output.append(item)
      }
      if remaining > 0 { output += replacement }
      return Self.string(output)
    }
    var index = 0
    while remaining > 0, let found = find(items, target, from: index) {
      output += items[index..<found]
      output += replacement
      index = found + target.count
      remaining -= 1
    }
    output += items[index...]
    return Self.string(output)
  }

  static func upper(_ string: String) -> String {
    string.unicodeScalars.map { $0.properties.uppercaseMapping }.joined()
  }

  static func lower(_ string: String) -> String {
    let items = scalars(string)
    return items.indices.map { lowerMapping(items, at: $0) }.joined()
  }

  /// CPython's `lower_ucs4`: the full lower-case mapping, except that a capital sigma becomes
  /// final sigma (U+03C2) after a cased letter when no cased letter follows.
  static func lowerMapping(_ items: Scalars, at index: Int) -> String {
    let scalar = items[index]
    guard scalar == "\u{03A3}" else { return scalar.properties.lowercaseMapping }
    func firstSignificant(_ range: some Sequence<Int>) -> Unicode.Scalar? {
      range.lazy.map { items[$0] }.first { !$0.properties.isCaseIgnorable }
    }
    let before = firstSignificant(stride(from: index - 1, through: 0, by: -1))
    guard let before, before.properties.isCased else { return "\u{03C3}" }
    let after = firstSignificant((index + 1)..<items.count)
    return after.map { $0.properties.isCased } == true ? "\u{03C3}" : "\u{03C2}"
  }

  /// Python `str.title()`: title-case after an uncased character, lower-case after a cased one.
  static func title(_ string: String) -> String {
    let items = scalars(string)
    var previousCased = false
    var output = ""
    for index in items.indices {
      output +=
        previousCased
        ? lowerMapping(items, at: index) : items[index].properties.titlecaseMapping
      previousCased = items[index].properties.isCased
    }
    return output
  }

  /// Python `str.capitalize()`: first character title-cased, the rest lower-cased.
  static func capitalize(_ string: String) -> String {
    let items = scalars(string)
    guard let first = items.first else { return "" }
    return first.properties.titlecaseMapping
      + items.indices.dropFirst().map { lowerMapping(items, at: $0) }.joined()
  }

  /// Python `str.swapcase()`.
  static func swapcase(_ string: String) -> String {
    let items = scalars(string)
    return items.indices.map { index in
      let properties = items[index].properties
      if properties.isUppercase { return lowerMapping(items, at: index) }
      if properties.isLowercase { return properties.uppercaseMapping }
      return String(items[index])
    }.joined()
  }

  /// jinja2's `title` filter: each run split at `-`, whitespace, `(`, `{`, `[`, `<` becomes
  /// `run[0].upper() + run[1:].lower()`.
  static func jinjaTitle(_ string: String) -> String {
    func isBoundary(_ scalar: Unicode.Scalar) -> Bool {
      isSpace(scalar) || "-({[<".unicodeScalars.contains(scalar)
    }
    var output = ""
    var run: Scalars = []
    func flush() {
      guard let first = run.first else { return }
      output += first.properties.uppercaseMapping + lower(Self.string(run.dropFirst()))
      run.removeAll()
    }
    for scalar in string.unicodeScalars {
      if let last = run.last, isBoundary(last) != isBoundary(scalar) { flush() }
      run.append(scalar)
    }
    flush()
    return output
  }

  /// Python `str.islower()` (`upper == false`) or `str.isupper()` (`upper == true`).
  static func hasCase(_ string: String, upper: Bool) -> Bool {
    var cased = false
    for scalar in string.unicodeScalars {
      let properties = scalar.properties
      if properties.generalCategory == .titlecaseLetter
        || (upper ? properties.isLowercase : properties.isUppercase)
      {
        return false
      }
      if upper ? properties.isUppercase : properties.isLowercase { cased = true }
    }
    return cased
  }

  // MARK: Python repr

  /// Python `repr(str)`.
  static func repr(_ string: String) -> String {
    let hasSingle = string.unicodeScalars.contains("'")
    let hasDouble = string.unicodeScalars.contains("\"")
    let quote: Unicode.Scalar = hasSingle && !hasDouble ? "\"" : "'"
    var output = String(quote)
    for scalar in string.unicodeScalars {
      switch scalar {
      case quote, "\\": output += "\\" + String(scalar)
      case "\t": output += "\\t"
      case "\n": output += "\\n"
      case "\r": output += "\\r"
      default:
        if isPrintable(scalar) {
          output.unicodeScalars.append(scalar)
        } else {
          output += hexEscape(scalar)
        }
      }
    }
    output.unicodeScalars.append(quote)
    return output
  }

  /// Python's `\xNN`, `\uNNNN` or `\UNNNNNNNN` form of a code point (lower-case hex).
  static func hexEscape(_ scalar: Unicode.Scalar) -> String {
    let hex = String(scalar.value, radix: 16)
    let (prefix, width) =
      scalar.value < 0x100 ? ("x", 2) : scalar.value < 0x10000 ? ("u", 4) : ("U", 8)
    return "\\" + prefix + String(repeating: "0", count: width - hex.count) + hex
  }

  /// Python `str.isprintable()` for one code point.
  static func isPrintable(_ scalar: Unicode.Scalar) -> Bool {
    if scalar.value < 0x80 { return scalar.value >= 0x20 && scalar.value != 0x7F }
    switch scalar.properties.generalCategory {
    case .control, .format, .surrogate, .privateUse, .unassigned, .lineSeparator,
      .paragraphSeparator, .spaceSeparator:
      return false
    default:
      return true
    }
  }

  /// Python `repr(float)`: the shortest round-tripping digits, positional notation when the
  /// decimal exponent is in [-4, 16), scientific (`1e-05`, `1e+16`) otherwise.
  static func float(_ value: Double) -> String {
    if value.isNaN { return "nan" }
    if value.isInfinite { return value < 0 ? "-inf" : "inf" }
    if value == 0 { return value.sign == .minus ? "-0.0" : "0.0" }
    // Swift's description also produces the shortest round-tripping digits; re-lay them out.
    let text = value.magnitude.description
    var mantissa = Substring(text)
    var exponent = 0
    if let marker = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
      mantissa = text[..<marker]
      exponent = Int(text[text.index(after: marker)...]) ?? 0
    }
    let parts = mantissa.split(separator: ".", omittingEmptySubsequences: false)
    let integerPart = parts.first.map(String.init) ?? ""
    let fraction = parts.count > 1 ? String(parts[1]) : ""
    var digits = Array(integerPart + fraction)
    var point = integerPart.count + exponent
    while digits.first == "0" {
      digits.removeFirst()
      point -= 1
    }
    while digits.last == "0" { digits.removeLast() }
    let sign = value < 0 ? "-" : ""
    if digits.isEmpty { return sign + "0.0" }
    if point > 16 || point <= -4 {
      var result = sign + String(digits[0])
      if digits.count > 1 { result += "." + String(digits[1...]) }
      let power = point - 1
      let magnitude = String(abs(power))
      return result + "e" + (power < 0 ? "-" : "+") + (magnitude.count < 2 ? "0" : "") + magnitude
    }
    if point <= 0 {
      return sign + "0." + String(repeating: "0", count: -point) + String(digits)
    }
    if point >= digits.count {
      return sign + String(digits) + String(repeating: "0", count: point - digits.count) + ".0"
    }
    return sign + String(digits[..<point]) + "." + String(digits[point...])
  }
}
