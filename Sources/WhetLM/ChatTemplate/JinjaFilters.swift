import Foundation

// jinja2's built-in filters (3.1 semantics) plus transformers' `tojson`; the HTML, grouping and
// text-layout ones are in JinjaMarkupFilters.swift. An unknown filter fails when the template
// is parsed, or, inside an `if` block or a conditional expression, when it runs (as in jinja2).

extension JinjaInterpreter {
  static let supportedFilters: Set<String> = Set([
    "abs", "attr", "capitalize", "center", "count", "d", "default", "dictsort", "first", "float",
    "format", "indent", "int", "items", "join", "last", "length", "list", "lower", "map", "max",
    "min", "reject", "rejectattr", "replace", "reverse", "round", "select", "selectattr", "sort",
    "string", "sum", "title", "tojson", "trim", "unique", "upper", "wordcount",
  ]).union(markupFilters)

  func applyFilter(_ filter: JinjaFilterCall, to value: JinjaValue, in scope: JinjaScope)
    throws(ChatTemplateError) -> JinjaValue
  {
    let arguments = try evaluateArguments(filter.arguments, in: scope)
    do throws(ChatTemplateError) {
      return try callFilter(filter.name, value, arguments)
    } catch {
      throw error.located(at: filter.location)
    }
  }

  func callFilter(_ name: String, _ value: JinjaValue, _ arguments: JinjaArguments)
    throws(ChatTemplateError) -> JinjaValue
  {
    func bind(_ parameters: [String]) throws(ChatTemplateError) -> [JinjaValue?] {
      try arguments.bind(parameters, to: "filter '\(name)'")
    }
    switch name {
    case "abs":
      _ = try bind([])
      switch value.number {
      case .int(let integer)? where integer != Int.min: return .int(abs(integer))
      case .double(let double)?: return .double(abs(double))
      default: throw JinjaError.runtime("bad operand type for abs(): '\(value.typeName)'")
      }
    case "attr":
      let name = try bind(["name"])[0] ?? .undefined
      guard case .string(let attribute) = name else {
        throw JinjaError.runtime("attribute name must be a string")
      }
      return pythonAttribute(of: value, attribute)
    case "capitalize":
      _ = try bind([])
      return .string(JinjaText.capitalize(str(value)))
    case "center":
      let width = try bind(["width"])[0]?.integer ?? 80
      return .string(try Self.pad(str(value), width: width, fill: " ", alignment: .center))
    case "count", "length":
      _ = try bind([])
      return .int(try length(value))
    case "d", "default":
      let bound = try bind(["default_value", "boolean"])
      let useDefault = value.isUndefined || (bound[1]?.isTruthy == true && !value.isTruthy)
      return useDefault ? bound[0] ?? .string("") : value
    case "dictsort":
      return try dictsort(value, try bind(["case_sensitive", "by", "reverse"]))
    case "first":
      _ = try bind([])
      return try iterate(value).first ?? .undefined
    case "last":
      _ = try bind([])
      if case .opaque = value {
        throw JinjaError.runtime("'\(value.typeName)' object is not reversible")
      }
      return try iterate(value).last ?? .undefined
    case "float":
      let fallback = try bind(["default"])[0] ?? .double(0)
      return try toFloat(value) ?? fallback
    case "int":
      let bound = try bind(["default", "base"])
      return try toInt(value, base: bound[1]?.integer ?? 10) ?? bound[0] ?? .int(0)
    case "format":
      if !arguments.positional.isEmpty && !arguments.keyword.isEmpty {
        throw JinjaError.runtime("can't handle positional and keyword arguments at the same time")
      }
      let values: JinjaValue =
        arguments.keyword.isEmpty
        ? .array(arguments.positional)
        : .object(JinjaObject(arguments.keyword.map { ($0.name, $0.value) }))
      return .string(try percentFormat(str(value), values))
    case "indent":
      return .string(try indent(str(value), try bind(["width", "first", "blank"])))
    case "items":
      _ = try bind([])
      switch value {
      case .object(let object):
        return .array(zip(object.keys, object.values).map { .array([$0, $1]) })
      case .undefined: return .array([])
      default: throw JinjaError.runtime("Can only get item pairs from a mapping.")
      }
    case "join":
      let bound = try bind(["d", "attribute"])
      var items = try iterate(value)
      if let attribute = bound[1], !(attribute == .none) {
        items = try items.map(attributeGetter(attribute))
      }
      return .string(items.map(str).joined(separator: str(bound[0] ?? .string(""))))
    case "list":
      _ = try bind([])
      return .array(try iterate(value))
    case "lower":
      _ = try bind([])
      return .string(JinjaText.lower(str(value)))
    case "upper":
      _ = try bind([])
      return .string(JinjaText.upper(str(value)))
    case "title":
      _ = try bind([])
      return .string(JinjaText.jinjaTitle(str(value)))
    case "trim":
      let chars = try bind(["chars"])[0]
      return .string(JinjaText.strip(str(value), chars: chars.flatMap(optionalString)))
    case "string":
      _ = try bind([])
      return .string(str(value))
    case "map":
      return .generator(try map(value, arguments))
    case "select", "reject", "selectattr", "rejectattr":
      return .generator(
        try select(
          value, arguments, keep: name.hasPrefix("select"), byAttribute: name.hasSuffix("attr")))
    case "max", "min":
      let bound = try bind(["case_sensitive", "attribute"])
      let keyed = try sortKeys(try iterate(value), caseSensitive: bound[0], attribute: bound[1])
      guard var best = keyed.first else { return .undefined }
      for candidate in keyed.dropFirst() {
        let better = try order(name == "max" ? .greater : .less, candidate.key, best.key)
        if better { best = candidate }
      }
      return best.item
    case "replace":
      let bound = try bind(["old", "new", "count"])
      let count = bound[2].flatMap { $0 == .none ? nil : $0.integer } ?? -1
      return .string(
        JinjaText.replace(
          str(value), str(bound[0] ?? .undefined), str(bound[1] ?? .undefined), count: count))
    case "reverse":
      _ = try bind([])
      if case .string(let text) = value {
        return .string(JinjaText.string(text.unicodeScalars.reversed()))
      }
      // Python's reversed(): an iterator over a list, a list for other iterables.
      if case .array(let items) = value {
        return .generator(items.reversed(), typeName: "list_reverseiterator")
      }
      return .array(try iterate(value).reversed())
    case "round":
      return try round(value, try bind(["precision", "method"]))
    case "sort":
      let bound = try bind(["reverse", "case_sensitive", "attribute"])
      var keyed = try sortKeys(try iterate(value), caseSensitive: bound[1], attribute: bound[2])
      let descending = bound[0]?.isTruthy ?? false
      keyed = try Self.stableSorted(keyed) { (a, b) throws(ChatTemplateError) in
        try order(.less, descending ? b.key : a.key, descending ? a.key : b.key)
      }
      return .array(keyed.map(\.item))
    case "sum":
      let bound = try bind(["attribute", "start"])
      var items = try iterate(value)
      if let attribute = bound[0], !(attribute == .none) {
        items = try items.map(attributeGetter(attribute))
      }
      var total = bound[1] ?? .int(0)
      for item in items { total = try binary(.add, total, item) }
      return total
    case "tojson":
      let bound = try bind(["ensure_ascii", "indent", "separators", "sort_keys"])
      return .string(try JinjaJSON.dumps(value, arguments: bound))
    case "unique":
      let bound = try bind(["case_sensitive", "attribute"])
      var seen: [JinjaValue] = []
      var result: [JinjaValue] = []
      for entry in try sortKeys(try iterate(value), caseSensitive: bound[0], attribute: bound[1])
      where !seen.contains(where: { Self.equals($0, entry.key) }) {
        seen.append(entry.key)
        result.append(entry.item)
      }
      return .array(result)
    case "wordcount":
      _ = try bind([])
      let words = str(value).unicodeScalars.split {
        !($0 == "_" || $0.properties.isAlphabetic || $0.properties.numericType != nil)
      }
      return .int(words.count)
    default:
      return try callMarkupFilter(name, value, arguments)
    }
  }

  private func optionalString(_ value: JinjaValue) -> String? {
    if case .none = value { return nil }
    return str(value)
  }

  // MARK: Helpers shared by several filters

  /// jinja2's `make_attrgetter`: dotted path, integer parts index lists, optional default.
  func attributeGetter(_ attribute: JinjaValue, default fallback: JinjaValue? = nil)
    -> (JinjaValue) throws(ChatTemplateError) -> JinjaValue
  {
    let parts: [JinjaValue]
    if case .string(let path) = attribute {
      parts = path.split(separator: ".", omittingEmptySubsequences: false).map { part in
        part.allSatisfy(\.isNumber)
          ? Int(part).map { .int($0) } ?? .string(String(part)) : .string(String(part))
      }
    } else {
      parts = [attribute]
    }
    return { (item) throws(ChatTemplateError) -> JinjaValue in
      var current = item
      var path: [String] = []
      for part in parts {
        if current.isUndefined {
          throw JinjaError.runtime("'\(path.joined(separator: "."))' is undefined")
        }
        path.append(self.str(part))
        current = self.item(of: current, part)
        if let fallback, current.isUndefined, fallback != .none { current = fallback }
      }
      return current
    }
  }

  /// Items paired with their sort key (attribute lookup, lower-cased unless case-sensitive).
  func sortKeys(_ items: [JinjaValue], caseSensitive: JinjaValue?, attribute: JinjaValue?)
    throws(ChatTemplateError) -> [(item: JinjaValue, key: JinjaValue)]
  {
    let ignoreCase = !(caseSensitive?.isTruthy ?? false)
    var getters: [(JinjaValue) throws(ChatTemplateError) -> JinjaValue] = []
    if let attribute, attribute != .none {
      if case .string(let names) = attribute {
        for name in names.split(separator: ",", omittingEmptySubsequences: false) {
          getters.append(attributeGetter(.string(String(name))))
        }
      } else {
        getters.append(attributeGetter(attribute))
      }
    }
    var result: [(item: JinjaValue, key: JinjaValue)] = []
    for item in items {
      var keys: [JinjaValue] = []
      for getter in getters { keys.append(try getter(item)) }
      if getters.isEmpty { keys = [item] }
      if ignoreCase {
        keys = keys.map {
          if case .string(let text) = $0 { .string(JinjaText.lower(text)) } else { $0 }
        }
      }
      result.append((item, keys.count == 1 ? keys[0] : .array(keys)))
    }
    return result
  }

  /// A stable merge sort with a throwing comparator.
  static func stableSorted<T>(_ items: [T], by less: (T, T) throws(ChatTemplateError) -> Bool)
    throws(ChatTemplateError) -> [T]
  {
    guard items.count > 1 else { return items }
    let middle = items.count / 2
    let left = try stableSorted(Array(items[..<middle]), by: less)
    let right = try stableSorted(Array(items[middle...]), by: less)
    var merged: [T] = []
    merged.reserveCapacity(items.count)
    var i = 0
    var j = 0
    while i < left.count && j < right.count {
      if try less(right[j], left[i]) {
        merged.append(right[j])
        j += 1
      } else {
        merged.append(left[i])
        i += 1
      }
    }
    merged += left[i...]
    merged += right[j...]
    return merged
  }

  private func dictsort(_ value: JinjaValue, _ bound: [JinjaValue?]) throws(ChatTemplateError)
    -> JinjaValue
  {
    guard case .object(let object) = value else {
      throw JinjaError.runtime("dictsort requires a mapping, got '\(value.typeName)'")
    }
    let by = bound[1].map(str) ?? "key"
    guard by == "key" || by == "value" else {
      throw JinjaError.runtime("You can only sort by either 'key' or 'value'")
    }
    let pairs: [JinjaValue] = zip(object.keys, object.values).map { .array([$0, $1]) }
    let keyed = try sortKeys(pairs, caseSensitive: bound[0], attribute: .int(by == "key" ? 0 : 1))
    let descending = bound[2]?.isTruthy ?? false
    let sorted = try Self.stableSorted(keyed) { (a, b) throws(ChatTemplateError) in
      try order(.less, descending ? b.key : a.key, descending ? a.key : b.key)
    }
    return .array(sorted.map(\.item))
  }

  private func map(_ value: JinjaValue, _ arguments: JinjaArguments) throws(ChatTemplateError)
    -> [JinjaValue]
  {
    // jinja2 iterates only a true value (`if value: for item in value`), so `none | map(...)`
    // is empty.
    guard value.isTruthy else { return [] }
    let items = try iterate(value)
    guard !items.isEmpty else { return [] }
    if arguments.positional.isEmpty,
      let attribute = arguments.keyword.first(where: { $0.name == "attribute" })
    {
      var fallback: JinjaValue? = nil
      for (name, value) in arguments.keyword where name != "attribute" {
        guard name == "default" else {
          throw JinjaError.runtime("Unexpected keyword argument '\(name)'")
        }
        fallback = value
      }
      return try items.map(attributeGetter(attribute.value, default: fallback))
    }
    guard case .string(let filter)? = arguments.positional.first else {
      throw JinjaError.runtime("map requires a filter argument")
    }
    guard Self.supportedFilters.contains(filter) else {
      throw JinjaError.unsupported("filter '\(filter)'")
    }
    let rest = JinjaArguments(
      positional: Array(arguments.positional.dropFirst()), keyword: arguments.keyword)
    var result: [JinjaValue] = []
    for item in items { result.append(try callFilter(filter, item, rest)) }
    return result
  }

  private func select(
    _ value: JinjaValue, _ arguments: JinjaArguments, keep: Bool, byAttribute: Bool
  )
    throws(ChatTemplateError) -> [JinjaValue]
  {
    guard value.isTruthy else { return [] }
    var positional = arguments.positional
    var transform: ((JinjaValue) throws(ChatTemplateError) -> JinjaValue)? = nil
    if byAttribute {
      guard !positional.isEmpty else {
        throw JinjaError.runtime("Missing parameter for attribute name")
      }
      transform = attributeGetter(positional.removeFirst())
    }
    var test: String? = nil
    if !positional.isEmpty {
      guard case .string(let name) = positional.removeFirst() else {
        throw JinjaError.runtime("test name must be a string")
      }
      guard Self.supportedTests.contains(name) else {
        throw JinjaError.unsupported("test '\(name)'")
      }
      test = name
    }
    let testArguments = JinjaArguments(positional: positional, keyword: arguments.keyword)
    var result: [JinjaValue] = []
    for item in try iterate(value) {
      let subject = try transform?(item) ?? item
      let passed =
        try test.map { (name) throws(ChatTemplateError) in
          try applyTest(name, to: subject, testArguments)
        } ?? subject.isTruthy
      if passed == keep { result.append(item) }
    }
    return result
  }

  private func indent(_ text: String, _ bound: [JinjaValue?]) throws(ChatTemplateError) -> String {
    let indentation: String
    switch bound[0] {
    case .string(let custom)?: indentation = custom
    case nil: indentation = "    "
    case let width?:
      guard let count = width.integer else {
        throw JinjaError.runtime("indent width must be an integer or string")
      }
      indentation = String(repeating: " ", count: try JinjaError.checkedSize(count))
    }
    let lines = JinjaText.splitLines(text + "\n")
    var result: String
    if bound[2]?.isTruthy ?? false {
      result = lines.joined(separator: "\n" + indentation)
    } else {
      result = lines.first ?? ""
      let rest = lines.dropFirst().map { $0.isEmpty ? $0 : indentation + $0 }
      if !rest.isEmpty { result += "\n" + rest.joined(separator: "\n") }
    }
    if bound[1]?.isTruthy ?? false { result = indentation + result }
    return result
  }

  private func round(_ value: JinjaValue, _ bound: [JinjaValue?]) throws(ChatTemplateError)
    -> JinjaValue
  {
    guard let number = value.number else {
      throw JinjaError.runtime("type \(value.typeName) doesn't define __round__ method")
    }
    let precision = bound[0]?.integer ?? 0
    let method = bound[1].map(str) ?? "common"
    let x = number.doubleValue
    let scale = Foundation.pow(10.0, Double(precision))
    switch method {
    case "common":
      if case .int(let integer) = number { return .int(try Self.roundInteger(integer, precision)) }
      guard x.isFinite, precision < 20 else { return .double(x) }
      if precision == 0 { return .double(x.rounded(.toNearestOrEven)) }
      // Correctly rounded decimal conversion, like CPython's round(x, n).
      let text = String(format: "%.\(max(0, precision))f", x)
      return .double(
        precision > 0 ? Double(text) ?? x : (x * scale).rounded(.toNearestOrEven) / scale)
    case "ceil": return .double((x * scale).rounded(.up) / scale)
    case "floor": return .double((x * scale).rounded(.down) / scale)
    default: throw JinjaError.runtime("method must be 'common', 'ceil' or 'floor'")
    }
  }

  /// Python `round(int, ndigits)`: an int, rounded half to even for negative `ndigits`.
  private static func roundInteger(_ value: Int, _ precision: Int) throws(ChatTemplateError) -> Int
  {
    guard precision < 0 else { return value }
    guard precision > -19 else { return 0 }
    var power = 1
    for _ in 0..<(-precision) { power *= 10 }
    var quotient = value / power
    var remainder = value - quotient * power
    if remainder < 0 {
      quotient -= 1
      remainder += power
    }
    if remainder * 2 > power || (remainder * 2 == power && quotient % 2 != 0) { quotient += 1 }
    let (result, overflow) = quotient.multipliedReportingOverflow(by: power)
    guard !overflow else { throw JinjaError.runtime("integer overflow in round()") }
    return result
  }

  enum Alignment { case left, right, center }

  /// Python `str.center` / `ljust` / `rjust`.
  static func pad(_ text: String, width: Int, fill: Unicode.Scalar, alignment: Alignment)
    throws(ChatTemplateError) -> String
  {
    let length = text.unicodeScalars.count
    guard try JinjaError.checkedSize(width) > length else { return text }
    let margin = width - length
    let left: Int
    switch alignment {
    case .left: left = 0
    case .right: left = margin
    case .center: left = margin / 2 + (margin & width & 1)
    }
    let fillText = String(Character(fill))
    return String(repeating: fillText, count: left) + text
      + String(repeating: fillText, count: margin - left)
  }
}
