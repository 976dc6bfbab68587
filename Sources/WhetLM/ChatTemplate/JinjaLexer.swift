// Tokenizer reproducing jinja2's lexer with `trim_blocks=True, lstrip_blocks=True`:
// - newlines are normalised to `\n` and one trailing newline is dropped (keep_trailing_newline=False);
// - `{%-`, `{{-`, `{#-` strip all whitespace before the tag, `-%}`, `-}}`, `-#}` all after it;
// - lstrip_blocks removes spaces/tabs between a line start and `{%` / `{#` (not `{{`), unless `{%+`;
// - trim_blocks removes the first newline after `%}` / `#}` (not `}}`), unless `+%}`;
// - `{% raw %}...{% endraw %}` bodies are emitted verbatim as data;
// - string literals decode Python escapes (`\n`, `\x41`, `\u00e9`, ...).

struct JinjaToken: Sendable {
  enum Kind: Sendable, Equatable {
    case data(String)
    case variableBegin
    case variableEnd
    case blockBegin
    case blockEnd
    case name(String)
    case string(String)
    case integer(Int)
    case float(Double)
    case op(String)
    case eof
  }

  var kind: Kind
  var location: JinjaSourceLocation
}

struct JinjaLexer {
  private let source: [Unicode.Scalar]
  private let lineStarts: [Int]
  private var position = 0
  /// jinja2's `line_starting`: whether the previous match ended with a newline.
  private var lineStarting = true
  private var tokens: [JinjaToken] = []

  static func tokenize(_ text: String) throws(ChatTemplateError) -> [JinjaToken] {
    var lexer = JinjaLexer(text)
    try lexer.run()
    return lexer.tokens
  }

  private init(_ text: String) {
    var scalars: [Unicode.Scalar] = []
    scalars.reserveCapacity(text.unicodeScalars.count)
    var afterCarriageReturn = false
    for scalar in text.unicodeScalars {
      if scalar == "\n" && afterCarriageReturn {
        afterCarriageReturn = false
        continue
      }
      afterCarriageReturn = scalar == "\r"
      scalars.append(scalar == "\r" ? "\n" : scalar)
    }
    if scalars.last == "\n" { scalars.removeLast() }
    source = scalars
    var starts = [0]
    for (offset, scalar) in scalars.enumerated() where scalar == "\n" { starts.append(offset + 1) }
    lineStarts = starts
  }

  private func location(_ offset: Int) -> JinjaSourceLocation {
    var low = 0
    var high = lineStarts.count - 1
    while low < high {
      let middle = (low + high + 1) / 2
      if lineStarts[middle] <= offset { low = middle } else { high = middle - 1 }
    }
    return JinjaSourceLocation(line: low + 1, column: offset - lineStarts[low] + 1)
  }

  private func syntaxError(_ message: String, at offset: Int) -> ChatTemplateError {
    let point = location(offset)
    return .syntax(message: message, line: point.line, column: point.column)
  }

  private func scalar(at offset: Int) -> Unicode.Scalar? {
    offset >= 0 && offset < source.count ? source[offset] : nil
  }

  private func matches(_ text: String, at offset: Int) -> Bool {
    var index = offset
    for expected in text.unicodeScalars {
      guard scalar(at: index) == expected else { return false }
      index += 1
    }
    return true
  }

  private mutating func append(_ kind: JinjaToken.Kind, at offset: Int) {
    tokens.append(JinjaToken(kind: kind, location: location(offset)))
  }

  // MARK: Template data

  private mutating func run() throws(ChatTemplateError) {
    while position < source.count {
      guard let tagStart = nextTagStart() else {
        append(.data(JinjaText.string(source[position...])), at: position)
        position = source.count
        break
      }
      let kind = source[tagStart + 1]
      var afterBegin = tagStart + 2
      let sign = scalar(at: afterBegin).flatMap { $0 == "-" || $0 == "+" ? $0 : nil }
      if sign != nil { afterBegin += 1 }

      let textEnd = dataEnd(before: tagStart, sign: sign, lstrip: kind != "{")
      if textEnd > position {
        append(.data(JinjaText.string(source[position..<textEnd])), at: position)
      }
      position = afterBegin
      switch kind {
      case "#":
        try lexComment(start: tagStart)
      case "%":
        if try lexRawBlock(start: tagStart) { continue }
        append(.blockBegin, at: tagStart)
        try lexTag(isBlock: true, start: tagStart)
      default:
        append(.variableBegin, at: tagStart)
        try lexTag(isBlock: false, start: tagStart)
      }
    }
    append(.eof, at: source.count)
  }

  /// Where the data between `position` and a tag at `tagStart` ends once whitespace control
  /// is applied: `-` strips all whitespace; otherwise lstrip_blocks (for block and comment
  /// tags, unless `+`) drops spaces between the start of the tag's line and the tag.
  private func dataEnd(before tagStart: Int, sign: Unicode.Scalar?, lstrip: Bool) -> Int {
    var textEnd = tagStart
    if sign == "-" {
      while textEnd > position && JinjaText.isSpace(source[textEnd - 1]) { textEnd -= 1 }
    } else if sign != "+" && lstrip {
      var lineStart = textEnd
      while lineStart > position && source[lineStart - 1] != "\n" { lineStart -= 1 }
      if (lineStart > position || lineStarting) && lineStart < textEnd
        && source[lineStart..<textEnd].allSatisfy(JinjaText.isSpace)
      {
        textEnd = lineStart
      }
    }
    return textEnd
  }

  private func nextTagStart() -> Int? {
    var index = position
    while index + 1 < source.count {
      if source[index] == "{",
        source[index + 1] == "{" || source[index + 1] == "%"
          || source[index + 1] == "#"
      {
        return index
      }
      index += 1
    }
    return nil
  }

  /// Matches `\s*<word>\s*` followed by a block end at `offset`; returns the end's offset.
  private func keywordTag(_ word: String, at offset: Int) -> Int? {
    var index = offset
    while let next = scalar(at: index), JinjaText.isSpace(next) { index += 1 }
    guard matches(word, at: index) else { return nil }
    index += word.unicodeScalars.count
    while let next = scalar(at: index), JinjaText.isSpace(next) { index += 1 }
    return index
  }

  /// `{% raw %}...{% endraw %}`: the body is emitted as data, with the usual whitespace rules
  /// applied around both tags. Returns false when the block tag is not `raw`.
  private mutating func lexRawBlock(start: Int) throws(ChatTemplateError) -> Bool {
    guard let end = keywordTag("raw", at: position) else { return false }
    if matches("-%}", at: end) {
      position = end + 3
      skipWhitespaceAfterTag()
    } else if matches("%}", at: end) {
      position = end + 2
      lineStarting = false
    } else {
      return false
    }
    var index = position
    while index + 1 < source.count {
      if matches("{%", at: index) {
        var afterBegin = index + 2
        let sign = scalar(at: afterBegin).flatMap { $0 == "-" || $0 == "+" ? $0 : nil }
        if sign != nil { afterBegin += 1 }
        if let close = keywordTag("endraw", at: afterBegin),
          matches("%}", at: close) || matches("-%}", at: close) || matches("+%}", at: close)
        {
          let textEnd = dataEnd(before: index, sign: sign, lstrip: true)
          if textEnd > position {
            append(.data(JinjaText.string(source[position..<textEnd])), at: position)
          }
          position = close
          _ = matchTagEnd(isBlock: true)
          tokens.removeLast()
          return true
        }
      }
      index += 1
    }
    throw syntaxError("missing end of raw directive '{% endraw %}'", at: start)
  }

  private mutating func lexComment(start: Int) throws(ChatTemplateError) {
    var index = position
    while index < source.count {
      if matches("+#}", at: index) {
        position = index + 3
        lineStarting = false
        return
      }
      if matches("-#}", at: index) {
        position = index + 3
        skipWhitespaceAfterTag()
        return
      }
      if matches("#}", at: index) {
        position = index + 2
        if scalar(at: position) == "\n" { position += 1 }
        lineStarting = source[position - 1] == "\n"
        return
      }
      index += 1
    }
    throw syntaxError("missing end of comment tag '#}'", at: start)
  }

  private mutating func skipWhitespaceAfterTag() {
    while let next = scalar(at: position), JinjaText.isSpace(next) { position += 1 }
    lineStarting = source[position - 1] == "\n"
  }

  // MARK: Tags

  private mutating func lexTag(isBlock: Bool, start: Int) throws(ChatTemplateError) {
    var brackets: [Unicode.Scalar] = []
    while true {
      if brackets.isEmpty && matchTagEnd(isBlock: isBlock) { return }
      guard let next = scalar(at: position) else {
        let opener = isBlock ? "{%" : "{{"
        let closer = isBlock ? "%}" : "}}"
        throw syntaxError(
          "unexpected end of template: '\(opener)' tag is never closed with '\(closer)'",
          at: start)
      }
      if JinjaText.isSpace(next) {
        position += 1
      } else if JinjaText.isDigit(next) {
        try lexNumber()
      } else if next == "_" || next.properties.isAlphabetic {
        lexName()
      } else if next == "'" || next == "\"" {
        try lexString()
      } else {
        try lexOperator(&brackets)
      }
    }
  }

  private mutating func matchTagEnd(isBlock: Bool) -> Bool {
    let closer = isBlock ? "%}" : "}}"
    let start = position
    if isBlock && matches("+%}", at: position) {
      position += 3
      lineStarting = false
    } else if matches("-" + closer, at: position) {
      position += 3
      skipWhitespaceAfterTag()
    } else if matches(closer, at: position) {
      position += 2
      if isBlock && scalar(at: position) == "\n" { position += 1 }
      lineStarting = source[position - 1] == "\n"
    } else {
      return false
    }
    append(isBlock ? .blockEnd : .variableEnd, at: start)
    return true
  }

  private mutating func lexName() {
    let start = position
    while let next = scalar(at: position),
      next == "_" || next.properties.isAlphabetic || next.properties.numericType != nil
        || next.properties.generalCategory == .nonspacingMark
    {
      position += 1
    }
    append(.name(JinjaText.string(source[start..<position])), at: start)
  }

  /// Scans `\d(_?\d)*` from `offset` and returns its end.
  private func digitsEnd(from offset: Int, allowed: (Unicode.Scalar) -> Bool = JinjaText.isDigit)
    -> Int
  {
    var index = offset
    while let next = scalar(at: index) {
      if allowed(next) {
        index += 1
      } else if next == "_", index > offset, let after = scalar(at: index + 1), allowed(after) {
        index += 1
      } else {
        break
      }
    }
    return index
  }

  private mutating func lexNumber() throws(ChatTemplateError) {
    let start = position
    let integerEnd = digitsEnd(from: start)
    var floatEnd: Int? = nil
    // jinja2's float rule has a `(?<!\.)` look-behind so that `x.0.1` is two subscripts.
    if scalar(at: start - 1) != "." {
      var end = integerEnd
      var fraction = false
      if scalar(at: end) == ".", let after = scalar(at: end + 1), JinjaText.isDigit(after) {
        end = digitsEnd(from: end + 1)
        fraction = true
      }
      if let marker = scalar(at: end), marker == "e" || marker == "E" {
        var exponentStart = end + 1
        if let sign = scalar(at: exponentStart), sign == "+" || sign == "-" { exponentStart += 1 }
        if let digit = scalar(at: exponentStart), JinjaText.isDigit(digit) {
          floatEnd = digitsEnd(from: exponentStart)
        }
      }
      if floatEnd == nil && fraction { floatEnd = end }
    }
    if let floatEnd {
      let text = JinjaText.string(source[start..<floatEnd].filter { $0 != "_" })
      guard let value = Double(text) else { throw syntaxError("invalid float literal", at: start) }
      position = floatEnd
      append(.float(value), at: start)
      return
    }
    var radix = 10
    var digitsStart = start
    var end: Int
    if source[start] == "0", let marker = scalar(at: start + 1),
      let base = Self.radixPrefixes[marker]
    {
      radix = base
      digitsStart = start + 2
      var index = digitsStart
      while let next = scalar(at: index),
        next == "_" || (Character(next).hexDigitValue.map { $0 < base } ?? false)
      {
        index += 1
      }
      end = index
    } else if source[start] == "0" {
      end = digitsEnd(from: start) { $0 == "0" }
    } else {
      end = integerEnd
    }
    let digits = JinjaText.string(source[digitsStart..<end].filter { $0 != "_" })
    guard let value = Int(digits, radix: radix) else {
      throw syntaxError("integer literal out of range or malformed", at: start)
    }
    position = end
    append(.integer(value), at: start)
  }

  private mutating func lexString() throws(ChatTemplateError) {
    let start = position
    let quote = source[start]
    var index = start + 1
    while index < source.count && source[index] != quote {
      index += source[index] == "\\" ? 2 : 1
    }
    guard index < source.count else { throw syntaxError("unterminated string literal", at: start) }
    let decoded = JinjaLexer.decodeEscapes(source[(start + 1)..<index])
    switch decoded {
    case .success(let value):
      position = index + 1
      append(.string(value), at: start)
    case .failure(let message):
      throw syntaxError(message.text, at: start)
    }
  }

  private static let radixPrefixes: [Unicode.Scalar: Int] = [
    "b": 2, "B": 2, "o": 8, "O": 8, "x": 16, "X": 16,
  ]

  private static let operators: Set<String> = [
    "//", "**", "==", "!=", "<=", ">=", "+", "-", "/", "*", "%", "~", "[", "]", "(", ")", "{", "}",
    "<", ">", "=", ".", ":", "|", ",", ";",
  ]

  private mutating func lexOperator(_ brackets: inout [Unicode.Scalar]) throws(ChatTemplateError) {
    let start = position
    let first = source[start]
    var text = String(first)
    if let second = scalar(at: start + 1), Self.operators.contains(text + String(second)) {
      text += String(second)
    }
    guard Self.operators.contains(text) else {
      throw syntaxError("unexpected character \(JinjaText.repr(text))", at: start)
    }
    switch first {
    case "(": brackets.append(")")
    case "[": brackets.append("]")
    case "{": brackets.append("}")
    case ")", "]", "}":
      guard let expected = brackets.popLast() else {
        throw syntaxError("unexpected '\(first)'", at: start)
      }
      guard expected == first else {
        throw syntaxError("unexpected '\(first)', expected '\(expected)'", at: start)
      }
    default: break
    }
    position += text.unicodeScalars.count
    append(.op(text), at: start)
  }
}
