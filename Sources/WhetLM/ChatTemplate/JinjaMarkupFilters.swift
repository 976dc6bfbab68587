import Foundation

// jinja2's remaining built-in filters: the HTML ones (`escape`, `safe`, `striptags`, `urlize`,
// `xmlattr`, `urlencode`), the grouping ones (`batch`, `slice`, `groupby`) and the text ones
// (`truncate`, `wordwrap`, `filesizeformat`, `pprint`, `random`). `safe` and `escape` return
// `Markup` strings, which escape plain strings added to them with `+`, as markupsafe does
// (transformers renders with autoescaping off, so nothing else is escaped).

extension JinjaInterpreter {
  static let markupFilters: Set<String> = [
    "batch", "e", "escape", "filesizeformat", "forceescape", "groupby", "pprint", "random",
    "safe", "slice", "striptags", "truncate", "urlencode", "urlize", "wordwrap", "xmlattr",
  ]

  /// HTML escaping as `markupsafe.escape` does it.
  static func escapeHTML(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for scalar in text.unicodeScalars {
      switch scalar {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&#34;"
      case "'": out += "&#39;"
      default: out.unicodeScalars.append(scalar)
      }
    }
    return out
  }

  func callMarkupFilter(_ name: String, _ value: JinjaValue, _ arguments: JinjaArguments)
    throws(ChatTemplateError) -> JinjaValue
  {
    func bind(_ parameters: [String]) throws(ChatTemplateError) -> [JinjaValue?] {
      try arguments.bind(parameters, to: "filter '\(name)'")
    }
    switch name {
    case "safe":
      _ = try bind([])
      return .markup(str(value))
    case "e", "escape", "forceescape":
      _ = try bind([])
      if name != "forceescape", value.markupText != nil { return value }
      return .markup(Self.escapeHTML(str(value)))
    case "batch":
      let bound = try bind(["linecount", "fill_with"])
      guard let size = bound[0]?.integer, size > 0 else {
        throw JinjaError.runtime("batch() needs a positive line count")
      }
      let fill = bound[1].flatMap { $0 == .none ? nil : $0 }
      var batches: [JinjaValue] = []
      var current: [JinjaValue] = []
      for item in try iterate(value) {
        current.append(item)
        if current.count == size {
          batches.append(.array(current))
          current = []
        }
      }
      if !current.isEmpty {
        if let fill { current += Array(repeating: fill, count: size - current.count) }
        batches.append(.array(current))
      }
      return .generator(batches)
    case "slice":
      let bound = try bind(["slices", "fill_with"])
      guard let slices = bound[0]?.integer, slices > 0 else {
        throw JinjaError.runtime("slice() needs a positive number of slices")
      }
      let fill = bound[1].flatMap { $0 == .none ? nil : $0 }
      let items = try iterate(value)
      let perSlice = items.count / slices
      let withExtra = items.count % slices
      var offset = 0
      var out: [JinjaValue] = []
      for number in 0..<slices {
        let start = offset + number * perSlice
        if number < withExtra { offset += 1 }
        let end = offset + (number + 1) * perSlice
        var part = Array(items[min(start, items.count)..<min(end, items.count)])
        if let fill, number >= withExtra { part.append(fill) }
        out.append(.array(part))
      }
      return .generator(out)
    case "groupby":
      let bound = try bind(["attribute", "default", "case_sensitive"])
      guard let attribute = bound[0] else {
        throw JinjaError.runtime("groupby() missing required argument 'attribute'")
      }
      let caseSensitive = bound[2]?.isTruthy ?? false
      let getter = attributeGetter(attribute, default: bound[1])
      let keyed = try sortKeys(
        try iterate(value), caseSensitive: .bool(caseSensitive), attribute: attribute)
      let sorted = try Self.stableSorted(keyed) { (a, b) throws(ChatTemplateError) in
        try order(.less, a.key, b.key)
      }
      var groups: [(key: JinjaValue, items: [JinjaValue])] = []
      for entry in sorted {
        if let last = groups.last, Self.equals(last.key, entry.key) {
          groups[groups.count - 1].items.append(entry.item)
        } else {
          groups.append((entry.key, [entry.item]))
        }
      }
      var out: [JinjaValue] = []
      for group in groups {
        // The grouper is the first item's own value, not its case-folded key.
        let grouper = try caseSensitive ? group.key : getter(group.items[0])
        out.append(.array([grouper, .array(group.items)]))
      }
      return .array(out)
    case "filesizeformat":
      let bound = try bind(["binary"])
      return .string(try Self.fileSize(value, binary: bound[0]?.isTruthy ?? false))
    case "pprint":
      _ = try bind([])
      return .string(repr(value))
    case "random":
      _ = try bind([])
      let items = try iterate(value)
      guard let pick = items.randomElement() else {
        throw JinjaError.runtime("No random item, sequence was empty.")
      }
      return pick
    case "striptags":
      _ = try bind([])
      return .string(Self.stripTags(str(value)))
    case "truncate":
      let bound = try bind(["length", "killwords", "end", "leeway"])
      let limit = bound[0]?.integer ?? 255
      let killWords = bound[1]?.isTruthy ?? false
      let end = bound[2].map(str) ?? "..."
      let leeway = bound[3].flatMap { $0 == .none ? nil : $0.integer } ?? 5
      let scalars = Array(str(value).unicodeScalars)
      let endCount = end.unicodeScalars.count
      guard limit >= endCount else {
        throw JinjaError.runtime("expected length >= \(endCount), got \(limit)")
      }
      guard leeway >= 0 else { throw JinjaError.runtime("expected leeway >= 0, got \(leeway)") }
      if scalars.count <= limit + leeway { return .string(str(value)) }
      var kept = JinjaText.string(scalars[0..<(limit - endCount)])
      if !killWords, let space = kept.unicodeScalars.lastIndex(of: " ") {
        kept = String(kept.unicodeScalars[..<space])
      }
      return .string(kept + end)
    case "urlencode":
      _ = try bind([])
      switch value {
      case .object(let object):
        return .string(
          zip(object.keys, object.values).map {
            Self.urlQuote(str($0), forQuery: true) + "=" + Self.urlQuote(str($1), forQuery: true)
          }.joined(separator: "&"))
      case .string:
        return .string(Self.urlQuote(str(value), forQuery: false))
      default:
        if case .array(let items) = value,
          items.allSatisfy({
            if case .array(let pair) = $0 { return pair.count == 2 }
            return false
          })
        {
          return .string(
            items.map { item -> String in
              guard case .array(let pair) = item else { return "" }
              return Self.urlQuote(str(pair[0]), forQuery: true) + "="
                + Self.urlQuote(str(pair[1]), forQuery: true)
            }.joined(separator: "&"))
        }
        return .string(Self.urlQuote(str(value), forQuery: false))
      }
    case "urlize":
      let bound = try bind(["trim_url_limit", "nofollow", "target", "rel", "extra_schemes"])
      var rel = Set((bound[3].map(str) ?? "").split(separator: " ").map(String.init))
      if bound[1]?.isTruthy ?? false { rel.insert("nofollow") }
      rel.insert("noopener")
      return .string(
        Self.urlize(
          str(value), trimLimit: bound[0].flatMap { $0 == .none ? nil : $0.integer },
          rel: rel.sorted().joined(separator: " "),
          target: bound[2].flatMap { $0 == .none ? nil : str($0) }))
    case "wordwrap":
      let bound = try bind(["width", "break_long_words", "wrapstring", "break_on_hyphens"])
      let width = bound[0]?.integer ?? 79
      guard width > 0 else { throw JinjaError.runtime("invalid width \(width) (must be > 0)") }
      let wrap = bound[2].flatMap { $0 == .none ? nil : str($0) } ?? "\n"
      let lines = JinjaText.splitLines(str(value)).map {
        Self.wrap($0, width: width, breakLongWords: bound[1]?.isTruthy ?? true).joined(
          separator: wrap)
      }
      return .string(lines.joined(separator: wrap))
    case "xmlattr":
      let bound = try bind(["autospace"])
      guard case .object(let object) = value else {
        throw JinjaError.runtime("xmlattr needs a mapping, got '\(value.typeName)'")
      }
      var parts: [String] = []
      for (key, item) in zip(object.keys, object.values) {
        if item == .none || item.isUndefined { continue }
        let name = str(key)
        if name.unicodeScalars.contains(where: { " />=\t\n\u{0C}".unicodeScalars.contains($0) }) {
          throw JinjaError.runtime("Invalid character in attribute name: \(JinjaText.repr(name))")
        }
        parts.append("\(Self.escapeHTML(name))=\"\(Self.escapeHTML(str(item)))\"")
      }
      let text = parts.joined(separator: " ")
      return .string((bound[0]?.isTruthy ?? true) && !text.isEmpty ? " " + text : text)
    default:
      throw JinjaError.unsupported("filter '\(name)'")
    }
  }

  static func fileSize(_ value: JinjaValue, binary: Bool) throws(ChatTemplateError) -> String {
    var text = ""
    if case .string(let s) = value { text = JinjaText.strip(s, chars: nil) }
    guard let bytes = value.number?.doubleValue ?? Double(text) else {
      throw JinjaError.runtime("could not convert \(value.typeName) to float")
    }
    let base: Double = binary ? 1024 : 1000
    let prefixes =
      binary
      ? ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"]
      : ["kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"]
    if bytes == 1 { return "1 Byte" }
    if bytes < base { return "\(Int(bytes)) Bytes" }
    var unit = base
    for (i, prefix) in prefixes.enumerated() {
      unit = pow(base, Double(i + 2))
      if bytes < unit || i == prefixes.count - 1 {
        return String(format: "%.1f %@", base * bytes / unit, prefix)
      }
    }
    return ""
  }

  static func stripTags(_ text: String) -> String {
    var s = text
    while let open = s.range(of: "<!--"),
      let close = s.range(of: "-->", range: open.upperBound..<s.endIndex)
    {
      s.removeSubrange(open.lowerBound..<close.upperBound)
    }
    var out = ""
    var inTag = false
    for c in s {
      if c == "<" {
        inTag = true
      } else if c == ">" && inTag {
        inTag = false
      } else if !inTag {
        out.append(c)
      }
    }
    let entities = [
      ("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\""), ("&#34;", "\""), ("&#39;", "'"),
      ("&amp;", "&"),
    ]
    for (entity, character) in entities {
      out = out.replacingOccurrences(of: entity, with: character)
    }
    return out.split(whereSeparator: \.isWhitespace).joined(separator: " ")
  }

  /// `urllib.parse.quote` on UTF-8, keeping `/` outside query strings; `+` for spaces in them.
  static func urlQuote(_ text: String, forQuery: Bool) -> String {
    let unreserved = Set(
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~".utf8)
    var out = ""
    for byte in text.utf8 {
      if unreserved.contains(byte) || (!forQuery && byte == UInt8(ascii: "/")) {
        out.unicodeScalars.append(Unicode.Scalar(byte))
      } else if forQuery && byte == UInt8(ascii: " ") {
        out += "+"
      } else {
        out += String(format: "%%%02X", byte)
      }
    }
    return out
  }

  /// jinja2's `urlize` for http(s) URLs, `www.` hosts and e-mail addresses in whitespace-
  /// separated words, with surrounding punctuation left outside the link.
  static func urlize(_ text: String, trimLimit: Int?, rel: String, target: String?) -> String {
    let relAttribute = rel.isEmpty ? "" : " rel=\"\(escapeHTML(rel))\""
    let targetAttribute = target.map { " target=\"\(escapeHTML($0))\"" } ?? ""
    func shorten(_ url: String) -> String {
      guard let limit = trimLimit, url.count > limit else { return url }
      return String(url.prefix(limit)) + (limit > 3 ? "..." : "")
    }
    var out = ""
    var word = ""
    func flush() {
      guard !word.isEmpty else { return }
      var head = ""
      var middle = Substring(word)
      var tail = ""
      // jinja2 takes `(`, `<` off the front and `)`, `>`, `.`, `,` off the end.
      while let first = middle.first, "(<".contains(first) {
        head.append(first)
        middle = middle.dropFirst()
      }
      while let last = middle.last, ".,)>".contains(last) {
        tail = String(last) + tail
        middle = middle.dropLast()
      }
      let m = String(middle)
      let escaped = escapeHTML(m)
      if m.hasPrefix("http://") || m.hasPrefix("https://") {
        out +=
          escapeHTML(head) + "<a href=\"\(escaped)\"\(relAttribute)\(targetAttribute)>"
          + escapeHTML(shorten(m)) + "</a>" + escapeHTML(tail)
      } else if m.hasPrefix("www.") {
        out +=
          escapeHTML(head) + "<a href=\"https://\(escaped)\"\(relAttribute)\(targetAttribute)>"
          + escapeHTML(shorten(m)) + "</a>" + escapeHTML(tail)
      } else if !m.hasPrefix("www."), !m.contains(":"), isEmail(m) {
        out += escapeHTML(head) + "<a href=\"mailto:\(escaped)\">\(escaped)</a>" + escapeHTML(tail)
      } else {
        out += escapeHTML(word)
      }
      word = ""
    }
    for c in text {
      if c.isWhitespace {
        flush()
        out.append(c)
      } else {
        word.append(c)
      }
    }
    flush()
    return out
  }

  /// jinja2's `^\S+@\w[\w.-]*\.\w+$`.
  static func isEmail(_ text: String) -> Bool {
    func word(_ c: Character) -> Bool { c.isLetter || c.isNumber || c == "_" }
    guard let at = text.lastIndex(of: "@"), at != text.startIndex else { return false }
    let local = text[..<at]
    let domain = Array(text[text.index(after: at)...])
    guard !local.contains(where: \.isWhitespace), let first = domain.first, word(first),
      let dot = domain.lastIndex(of: "."), dot > 0, dot < domain.count - 1
    else { return false }
    return domain[1..<dot].allSatisfy { word($0) || $0 == "." || $0 == "-" }
      && domain[(dot + 1)...].allSatisfy(word)
  }

  /// Greedy wrapping at spaces, as `textwrap.wrap` with `replace_whitespace=False` and
  /// `expand_tabs=False` does for text without hyphens.
  static func wrap(_ line: String, width: Int, breakLongWords: Bool) -> [String] {
    var chunks: [String] = []
    var current = ""
    var currentIsSpace: Bool? = nil
    for c in line {
      let isSpace = c == " " || c == "\t"
      if currentIsSpace != nil, currentIsSpace != isSpace {
        chunks.append(current)
        current = ""
      }
      current.append(c)
      currentIsSpace = isSpace
    }
    if !current.isEmpty { chunks.append(current) }
    var lines: [String] = []
    var lineChunks: [String] = []
    var length = 0
    var index = 0
    while index < chunks.count {
      // A line never starts with whitespace (textwrap drops it), except the very first.
      if lineChunks.isEmpty, !lines.isEmpty,
        chunks[index].first == " " || chunks[index].first == "\t"
      {
        index += 1
        continue
      }
      let chunk = chunks[index]
      if length + chunk.count <= width {
        lineChunks.append(chunk)
        length += chunk.count
        index += 1
        continue
      }
      if chunk.count > width && breakLongWords {
        let room = max(width - length, 1)
        lineChunks.append(String(chunk.prefix(room)))
        chunks[index] = String(chunk.dropFirst(room))
      } else if lineChunks.isEmpty {
        lineChunks.append(chunk)
        index += 1
      }
      while let last = lineChunks.last, last.allSatisfy({ $0 == " " || $0 == "\t" }),
        lineChunks.count > 1
      {
        lineChunks.removeLast()
      }
      lines.append(lineChunks.joined())
      lineChunks = []
      length = 0
    }
    while let last = lineChunks.last, last.allSatisfy({ $0 == " " || $0 == "\t" }) {
      lineChunks.removeLast()
    }
    if !lineChunks.isEmpty { lines.append(lineChunks.joined()) }
    return lines
  }
}
