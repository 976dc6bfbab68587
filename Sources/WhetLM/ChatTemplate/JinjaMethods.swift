// Python methods reachable from templates (`content.split('</think>')`, `d.items()`,
// `loop.cycle(...)`) and the environment's global functions. Methods that mutate lists or
// dicts are refused, as in transformers' ImmutableSandboxedEnvironment.

extension JinjaInterpreter {
  static let stringMethods: Set<String> = [
    "capitalize", "casefold", "center", "count", "encode", "endswith", "expandtabs", "find",
    "format", "format_map", "index", "isalnum", "isalpha", "isascii", "isdecimal", "isdigit",
    "isidentifier", "islower", "isnumeric", "isprintable", "isspace", "istitle", "isupper", "join",
    "ljust", "lower", "lstrip", "maketrans", "partition", "removeprefix", "removesuffix",
    "replace", "rfind", "rindex", "rjust", "rpartition", "rsplit", "rstrip", "split",
    "splitlines", "startswith", "strip", "swapcase", "title", "translate", "upper", "zfill",
  ]
  static let dictMethods: Set<String> = [
    "clear", "copy", "fromkeys", "get", "items", "keys", "pop", "popitem", "setdefault", "update",
    "values",
  ]
  static let listMethods: Set<String> = [
    "append", "clear", "copy", "count", "extend", "index", "insert", "pop", "remove", "reverse",
    "sort",
  ]
  private static let mutatingMethods: Set<String> = [
    "append", "clear", "extend", "insert", "pop", "popitem", "remove", "reverse", "setdefault",
    "sort", "update",
  ]

  func callMethod(_ name: String, on receiver: JinjaValue, _ arguments: JinjaArguments)
    throws(ChatTemplateError) -> JinjaValue
  {
    func bind(_ parameters: [String]) throws(ChatTemplateError) -> [JinjaValue?] {
      try arguments.bind(parameters, to: "\(receiver.typeName).\(name)()")
    }
    if Self.mutatingMethods.contains(name), case .array = receiver {
      throw JinjaError.runtime("access to attribute '\(name)' of 'list' object is unsafe")
    }
    if Self.mutatingMethods.contains(name), case .object = receiver {
      throw JinjaError.runtime("access to attribute '\(name)' of 'dict' object is unsafe")
    }
    switch receiver {
    case .string(let text):
      return try stringMethod(name, text, arguments)
    case .object(let object):
      switch name {
      case "items":
        _ = try bind([])
        return .array(zip(object.keys, object.values).map { .array([$0, $1]) })
      case "keys":
        _ = try bind([])
        return .array(object.keys)
      case "values":
        _ = try bind([])
        return .array(object.values)
      case "get":
        let bound = try bind(["key", "default"])
        guard case .string(let key)? = bound[0] else { return bound[1] ?? .none }
        return object[key] ?? bound[1] ?? .none
      case "copy":
        _ = try bind([])
        return receiver
      default:
        break
      }
    case .array(let items):
      switch name {
      case "copy":
        _ = try bind([])
        return receiver
      case "count":
        let item = try bind(["value"])[0] ?? .undefined
        return .int(items.filter { Self.equals($0, item) }.count)
      case "index":
        let item = try bind(["value"])[0] ?? .undefined
        guard let index = items.firstIndex(where: { Self.equals($0, item) }) else {
          throw JinjaError.runtime("\(repr(item)) is not in list")
        }
        return .int(index)
      default:
        break
      }
    case .opaque(let opaque):
      if case .cycler(let id) = opaque.kind {
        _ = try bind([])
        if name == "reset" {
          cyclers[id].position = 0
          return .none
        }
        if name == "next" {
          let state = cyclers[id]
          cyclers[id].position = (state.position + 1) % state.items.count
          return state.items[state.position]
        }
      }
      if case .loop(let box) = opaque.kind, name == "cycle", case .object(let loop) = box.value {
        guard !arguments.positional.isEmpty, arguments.keyword.isEmpty else {
          throw JinjaError.runtime("no items for cycling given")
        }
        let index = loop["index0"]?.integer ?? 0
        return arguments.positional[index % arguments.positional.count]
      }
    default:
      break
    }
    throw JinjaError.unsupported("method '\(name)' of '\(receiver.typeName)'")
  }

  private func stringMethod(_ name: String, _ text: String, _ arguments: JinjaArguments)
    throws(ChatTemplateError) -> JinjaValue
  {
    func bind(_ parameters: [String]) throws(ChatTemplateError) -> [JinjaValue?] {
      try arguments.bind(parameters, to: "str.\(name)()")
    }
    func string(_ value: JinjaValue?, _ role: String) throws(ChatTemplateError) -> String? {
      switch value {
      case nil, .none?: return nil
      case .string(let text)?: return text
      case let other?:
        throw JinjaError.runtime("str.\(name)() \(role) must be str or None, not \(other.typeName)")
      }
    }
    func integer(_ value: JinjaValue?) -> Int? {
      value?.integer
    }
    func classify(_ predicate: (Unicode.Scalar) -> Bool) throws(ChatTemplateError) -> JinjaValue {
      _ = try bind([])
      return .bool(!text.isEmpty && text.unicodeScalars.allSatisfy(predicate))
    }
    let scalars = JinjaText.scalars(text)
    switch name {
    case "upper", "lower", "title", "capitalize", "swapcase":
      _ = try bind([])
      switch name {
      case "upper": return .string(JinjaText.upper(text))
      case "title": return .string(JinjaText.title(text))
      case "capitalize": return .string(JinjaText.capitalize(text))
      case "swapcase": return .string(JinjaText.swapcase(text))
      default: return .string(JinjaText.lower(text))
      }
    case "strip", "lstrip", "rstrip":
      let chars = try string(try bind(["chars"])[0], "argument")
      return .string(
        JinjaText.strip(text, chars: chars, leading: name != "rstrip", trailing: name != "lstrip"))
    case "split", "rsplit":
      let bound = try bind(["sep", "maxsplit"])
      let separator = try string(bound[0], "separator")
      let maxSplit = integer(bound[1]) ?? -1
      let parts =
        name == "split"
        ? JinjaText.split(text, separator: separator, maxSplit: maxSplit)
        : JinjaText.rsplit(text, separator: separator, maxSplit: maxSplit)
      guard let parts else { throw JinjaError.runtime("empty separator") }
      return .array(parts.map { .string($0) })
    case "splitlines":
      let keepEnds = try bind(["keepends"])[0]?.isTruthy ?? false
      return .array(JinjaText.splitLines(text, keepEnds: keepEnds).map { .string($0) })
    case "startswith", "endswith":
      let bound = try bind(["prefix", "start", "end"])
      let candidates: [JinjaValue]
      switch bound[0] {
      case .string?: candidates = [bound[0] ?? .undefined]
      case .array(let items)?: candidates = items
      default:
        throw JinjaError.runtime("\(name) first arg must be str or a tuple of str")
      }
      let range = Self.sliceIndices(scalars.count, integer(bound[1]), integer(bound[2]), 1)
      if let start = integer(bound[1]), start > scalars.count { return .bool(false) }
      let window = Array(range.map { scalars[$0] })
      for candidate in candidates {
        guard case .string(let affix) = candidate else {
          throw JinjaError.runtime("tuple for \(name) must only contain str")
        }
        let affixScalars = JinjaText.scalars(affix)
        let matched =
          name == "startswith"
          ? window.starts(with: affixScalars)
          : window.reversed().starts(with: affixScalars.reversed())
        if matched { return .bool(true) }
      }
      return .bool(false)
    case "replace":
      let bound = try bind(["old", "new", "count"])
      guard let old = try string(bound[0], "old"), let new = try string(bound[1], "new") else {
        throw JinjaError.runtime("str.replace() takes at least 2 arguments")
      }
      return .string(JinjaText.replace(text, old, new, count: integer(bound[2]) ?? -1))
    case "find", "rfind", "index", "rindex", "count":
      let bound = try bind(["sub", "start", "end"])
      guard let sub = try string(bound[0], "argument") else {
        throw JinjaError.runtime("str.\(name)() missing argument")
      }
      let range = Self.sliceIndices(scalars.count, integer(bound[1]), integer(bound[2]), 1)
      let window = Array(range.map { scalars[$0] })
      let offset = range.first ?? 0
      if name == "count" { return .int(JinjaText.count(JinjaText.string(window), sub)) }
      let needle = JinjaText.scalars(sub)
      let found =
        name.hasPrefix("r") ? JinjaText.findLast(window, needle) : JinjaText.find(window, needle)
      if let found { return .int(found + offset) }
      if name.hasSuffix("index") { throw JinjaError.runtime("substring not found") }
      return .int(-1)
    case "join":
      let items = try iterate(try bind(["iterable"])[0] ?? .undefined)
      var parts: [String] = []
      for (index, item) in items.enumerated() {
        guard case .string(let part) = item else {
          throw JinjaError.runtime(
            "sequence item \(index): expected str instance, \(item.typeName) found")
        }
        parts.append(part)
      }
      return .string(parts.joined(separator: text))
    case "format":
      return .string(try strFormat(text, arguments))
    case "removeprefix", "removesuffix":
      guard let affix = try string(try bind(["affix"])[0], "argument") else {
        throw JinjaError.runtime("str.\(name)() takes exactly one argument")
      }
      let affixScalars = JinjaText.scalars(affix)
      if name == "removeprefix", scalars.starts(with: affixScalars) {
        return .string(JinjaText.string(scalars.dropFirst(affixScalars.count)))
      }
      if name == "removesuffix", !affixScalars.isEmpty,
        scalars.reversed().starts(with: affixScalars.reversed())
      {
        return .string(JinjaText.string(scalars.dropLast(affixScalars.count)))
      }
      return .string(text)
    case "center", "ljust", "rjust":
      let bound = try bind(["width", "fillchar"])
      let fill = try string(bound[1], "fill character").map(JinjaText.scalars) ?? [" "]
      guard let width = integer(bound[0]), fill.count == 1 else {
        throw JinjaError.runtime("str.\(name)() needs an integer width and one fill character")
      }
      let alignment: Alignment = name == "center" ? .center : name == "ljust" ? .left : .right
      return .string(try Self.pad(text, width: width, fill: fill[0], alignment: alignment))
    case "isdigit", "isdecimal":
      return try classify {
        $0.properties.numericType == .decimal || $0.properties.numericType == .digit
      }
    case "isnumeric":
      return try classify { $0.properties.numericType != nil }
    case "isalpha":
      return try classify { JinjaText.isLetter($0) }
    case "isalnum":
      return try classify { JinjaText.isLetter($0) || $0.properties.numericType != nil }
    case "isspace":
      return try classify(JinjaText.isSpace)
    case "zfill":
      guard let width = integer(try bind(["width"])[0]) else {
        throw JinjaError.runtime("str.zfill() needs an integer width")
      }
      let signed = scalars.first == "+" || scalars.first == "-"
      let padding = String(repeating: "0", count: try JinjaError.checkedSize(width - scalars.count))
      return .string(
        signed
          ? String(scalars[0]) + padding + JinjaText.string(scalars.dropFirst()) : padding + text)
    case "isascii":
      _ = try bind([])
      return .bool(text.unicodeScalars.allSatisfy(\.isASCII))
    case "islower", "isupper":
      _ = try bind([])
      return .bool(JinjaText.hasCase(text, upper: name == "isupper"))
    default:
      throw JinjaError.unsupported("method 'str.\(name)'")
    }
  }

  // MARK: Global functions

  func callGlobal(_ name: String, _ arguments: JinjaArguments) throws(ChatTemplateError)
    -> JinjaValue
  {
    switch name {
    case "raise_exception":
      let message = try arguments.bind(["message"], to: "raise_exception()")[0] ?? .undefined
      throw .raised(message: str(message))
    case "strftime_now":
      let format = try arguments.bind(["format"], to: "strftime_now()")[0] ?? .undefined
      guard case .string(let pattern) = format else {
        throw JinjaError.runtime("strftime_now() argument must be str, not \(format.typeName)")
      }
      return .string(Self.strftimeNow(pattern, at: now))
    case "range":
      guard arguments.keyword.isEmpty, (1...3).contains(arguments.positional.count) else {
        throw JinjaError.runtime("range expected 1 to 3 integer arguments")
      }
      var bounds: [Int] = []
      for value in arguments.positional {
        guard let integer = value.integer else {
          throw JinjaError.runtime("'\(value.typeName)' object cannot be interpreted as an integer")
        }
        bounds.append(integer)
      }
      let (start, stop) = bounds.count == 1 ? (0, bounds[0]) : (bounds[0], bounds[1])
      let step = bounds.count == 3 ? bounds[2] : 1
      guard step != 0 else { throw JinjaError.runtime("range() arg 3 must not be zero") }
      let values = Array(stride(from: start, to: stop, by: step).prefix(100_001))
      guard values.count <= 100_000 else {
        throw JinjaError.runtime("Range too big. The sandbox blocks ranges larger than 100000.")
      }
      return .array(values.map { .int($0) })
    case "cycler":
      guard arguments.keyword.isEmpty, !arguments.positional.isEmpty else {
        throw JinjaError.runtime("at least one item has to be provided")
      }
      cyclers.append((arguments.positional, 0))
      return .opaque(JinjaOpaque(.cycler(cyclers.count - 1)))
    case "joiner":
      let separator = try arguments.bind(["sep"], to: "joiner()")[0].map(str) ?? ", "
      joiners.append((separator, false))
      return .opaque(JinjaOpaque(.joiner(joiners.count - 1)))
    case "lipsum":
      let bound = try arguments.bind(["n", "html", "min", "max"], to: "lipsum()")
      return Self.lipsum(
        paragraphs: bound[0]?.integer ?? 5, html: bound[1]?.isTruthy ?? true,
        minWords: bound[2]?.integer ?? 20, maxWords: bound[3]?.integer ?? 100)
    case "namespace", "dict":
      guard arguments.positional.count <= 1 else {
        throw JinjaError.runtime("\(name)() expected at most 1 positional argument")
      }
      var object = JinjaObject()
      if let initial = arguments.positional.first {
        guard case .object(let mapping) = initial else {
          throw JinjaError.unsupported("\(name)() from a '\(initial.typeName)' (only a dict)")
        }
        object = mapping
      }
      for (key, value) in arguments.keyword { object[key] = value }
      guard name == "namespace" else { return .object(object) }
      namespaces.append(object)
      return .opaque(JinjaOpaque(.namespace(namespaces.count - 1)))
    default:
      throw JinjaError.unsupported("global function '\(name)()'")
    }
  }

  /// jinja2's `lipsum()`: random lorem-ipsum paragraphs (random in jinja2 too).
  static func lipsum(paragraphs: Int, html: Bool, minWords: Int, maxWords: Int) -> JinjaValue {
    let words = """
      lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt \
      ut labore et dolore magna aliqua enim ad minim veniam quis nostrud exercitation ullamco \
      laboris nisi aliquip ex ea commodo consequat duis aute irure in reprehenderit voluptate \
      velit esse cillum fugiat nulla pariatur excepteur sint occaecat cupidatat non proident \
      sunt culpa qui officia deserunt mollit anim id est laborum
      """.split(separator: " ").map(String.init)
    var out: [String] = []
    for _ in 0..<max(0, min(paragraphs, 1000)) {
      let count = Int.random(in: min(minWords, maxWords)...max(minWords, maxWords, 1))
      var text = (0..<count).map { _ in words.randomElement() ?? "lorem" }.joined(separator: " ")
      text = JinjaText.capitalize(text) + "."
      out.append(html ? "<p>" + escapeHTML(text) + "</p>" : text)
    }
    let joined = out.joined(separator: html ? "\n" : "\n\n")
    return html ? .markup(joined) : .string(joined)
  }
}
