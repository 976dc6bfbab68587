import Foundation

// Expression evaluation with Python operator semantics (as jinja2 compiles templates to Python):
// `bool` is an `int`, `/` is true division, `//` and `%` floor, `+` concatenates strings and
// lists, `~` concatenates string forms, and any arithmetic on undefined fails.

extension JinjaInterpreter {
  func evaluate(_ expression: JinjaExpr, in scope: JinjaScope) throws(ChatTemplateError)
    -> JinjaValue
  {
    do throws(ChatTemplateError) {
      return try evaluateUnlocated(expression, in: scope)
    } catch {
      throw error.located(at: expression.location)
    }
  }

  private func evaluateUnlocated(_ expression: JinjaExpr, in scope: JinjaScope)
    throws(ChatTemplateError) -> JinjaValue
  {
    switch expression.kind {
    case .literal(let value):
      return value
    case .name(let name):
      return scope.lookup(name) ?? .undefined
    case .list(let items), .tuple(let items):
      var values: [JinjaValue] = []
      values.reserveCapacity(items.count)
      for item in items { values.append(try evaluate(item, in: scope)) }
      return .array(values)
    case .dict(let pairs):
      var object = JinjaObject()
      for pair in pairs {
        let key = try evaluate(pair.key, in: scope)
        guard JinjaObject.isHashable(key) else {
          throw JinjaError.runtime("unhashable type: '\(key.typeName)'")
        }
        object[value: key] = try evaluate(pair.value, in: scope)
      }
      return .object(object)
    case .attribute(let base, let name):
      let value = try evaluate(base, in: scope)
      if value.isUndefined { throw undefinedError(base) }
      return attribute(of: value, name)
    case .item(let base, let key):
      let value = try evaluate(base, in: scope)
      if value.isUndefined { throw undefinedError(base) }
      return item(of: value, try evaluate(key, in: scope))
    case .slice(let base, let start, let stop, let step):
      let value = try evaluate(base, in: scope)
      if value.isUndefined { throw undefinedError(base) }
      var bounds: [JinjaValue] = []
      for bound in [start, stop, step] {
        bounds.append(
          try bound.map { (bound) throws(ChatTemplateError) in try evaluate(bound, in: scope) }
            ?? .none)
      }
      return try slice(value, bounds[0], bounds[1], bounds[2])
    case .call(let callee, let arguments):
      let function = try evaluate(callee, in: scope)
      return try call(function, try evaluateArguments(arguments, in: scope), callee: callee)
    case .filter(let input, let filter):
      return try applyFilter(filter, to: try evaluate(input, in: scope), in: scope)
    case .test(let subject, let name, let arguments):
      let value = try evaluate(subject, in: scope)
      return .bool(try applyTest(name, to: value, try evaluateArguments(arguments, in: scope)))
    case .not(let operand):
      return .bool(!(try evaluate(operand, in: scope).isTruthy))
    case .negate(let operand), .plus(let operand):
      let value = try evaluate(operand, in: scope)
      if value.isUndefined { throw undefinedError(operand) }
      guard let number = value.number else {
        let symbol = if case .negate = expression.kind { "-" } else { "+" }
        throw JinjaError.runtime("bad operand type for unary \(symbol): '\(value.typeName)'")
      }
      guard case .negate = expression.kind else { return try Self.value(of: number) }
      switch number {
      case .int(let integer):
        guard integer != Int.min else { throw JinjaError.runtime("integer overflow") }
        return .int(-integer)
      case .double(let double): return .double(-double)
      }
    case .binary(let op, let lhs, let rhs):
      let left = try evaluate(lhs, in: scope)
      let right = try evaluate(rhs, in: scope)
      if op != .concat {
        if left.isUndefined { throw undefinedError(lhs) }
        if right.isUndefined { throw undefinedError(rhs) }
      }
      return try binary(op, left, right)
    case .and(let lhs, let rhs):
      let left = try evaluate(lhs, in: scope)
      return left.isTruthy ? try evaluate(rhs, in: scope) : left
    case .or(let lhs, let rhs):
      let left = try evaluate(lhs, in: scope)
      return left.isTruthy ? left : try evaluate(rhs, in: scope)
    case .compare(let first, let operations):
      var left = try evaluate(first, in: scope)
      for operation in operations {
        let right = try evaluate(operation.operand, in: scope)
        guard try compare(operation.op, left, right) else { return .bool(false) }
        left = right
      }
      return .bool(true)
    case .conditional(let test, let then, let otherwise):
      if try evaluate(test, in: scope).isTruthy { return try evaluate(then, in: scope) }
      guard let otherwise else { return .undefined }
      return try evaluate(otherwise, in: scope)
    }
  }

  private static func value(of number: JinjaNumber) throws(ChatTemplateError) -> JinjaValue {
    switch number {
    case .int(let integer): return .int(integer)
    case .double(let double): return .double(double)
    }
  }

  // MARK: Attribute and item access (jinja2 sandbox `getattr` / `getitem`)

  /// `value.name`: the Python attribute (methods, namespace members), then the item.
  func attribute(of value: JinjaValue, _ name: String) -> JinjaValue {
    if case .object(let object) = value, !Self.dictMethods.contains(name) {
      return object[name] ?? .undefined
    }
    return pythonAttribute(of: value, name)
  }

  /// Python `getattr(value, name)` without the item fallback.
  func pythonAttribute(of value: JinjaValue, _ name: String) -> JinjaValue {
    let isMethod: Bool
    switch value {
    case .string: isMethod = Self.stringMethods.contains(name)
    case .object: isMethod = Self.dictMethods.contains(name)
    case .array: isMethod = Self.listMethods.contains(name)
    case .opaque(let opaque):
      switch opaque.kind {
      case .namespace(let id): return namespaces[id][name] ?? .undefined
      case .cycler(let id):
        if name == "current" {
          let state = cyclers[id]
          return state.items[state.position]
        }
        isMethod = name == "next" || name == "reset"
      case .loop(let box):
        if name == "cycle" || name == "changed" {
          isMethod = true
        } else if case .object(let attributes) = box.value {
          return attributes[name] ?? .undefined
        } else {
          isMethod = false
        }
      default: isMethod = false
      }
    default: isMethod = false
    }
    return isMethod ? .opaque(JinjaOpaque(.method(name, JinjaBox(value)))) : .undefined
  }

  /// `value[key]`: the item, then (for string keys) the attribute.
  func item(of value: JinjaValue, _ key: JinjaValue) -> JinjaValue {
    switch (value, key) {
    case (.array(let items), _) where key.integer != nil:
      return Self.element(of: items, at: key.integer ?? 0) ?? .undefined
    case (.string(let text), _) where key.integer != nil:
      let scalars = JinjaText.scalars(text)
      return Self.element(of: scalars, at: key.integer ?? 0).map { .string(String($0)) }
        ?? .undefined
    case (.object(let object), .string(let name)):
      return object[name] ?? pythonAttribute(of: value, name)
    case (.object(let object), _) where JinjaObject.isHashable(key):
      return object[value: key] ?? .undefined
    case (_, .string(let name)):
      return pythonAttribute(of: value, name)
    default:
      return .undefined
    }
  }

  private static func element<T>(of items: [T], at index: Int) -> T? {
    let position = index < 0 ? index + items.count : index
    return items.indices.contains(position) ? items[position] : nil
  }

  /// Python slicing of strings and lists; non-integer bounds give undefined, as in jinja2.
  func slice(_ value: JinjaValue, _ start: JinjaValue, _ stop: JinjaValue, _ step: JinjaValue)
    throws(ChatTemplateError) -> JinjaValue
  {
    func bound(_ value: JinjaValue) -> Int?? {
      if case .none = value { return .some(nil) }
      return value.integer.map { .some($0) } ?? nil
    }
    guard let start = bound(start), let stop = bound(stop), let step = bound(step) else {
      return .undefined
    }
    let stride = step ?? 1
    guard stride != 0 else { throw JinjaError.runtime("slice step cannot be zero") }
    switch value {
    case .array(let items):
      return .array(Self.sliceIndices(items.count, start, stop, stride).map { items[$0] })
    case .string(let text):
      let scalars = JinjaText.scalars(text)
      return .string(
        JinjaText.string(Self.sliceIndices(scalars.count, start, stop, stride).map { scalars[$0] }))
    default:
      return .undefined
    }
  }

  /// CPython's `PySlice_AdjustIndices`.
  static func sliceIndices(_ count: Int, _ start: Int?, _ stop: Int?, _ step: Int) -> [Int] {
    func adjust(_ value: Int?, _ fallback: Int, low: Int, high: Int) -> Int {
      guard var value else { return fallback }
      if value < 0 {
        value += count
        if value < 0 { value = low }
      } else if value > high {
        value = high
      }
      return value
    }
    if step > 0 {
      let from = adjust(start, 0, low: 0, high: count)
      let to = adjust(stop, count, low: 0, high: count)
      return from < to ? Array(Swift.stride(from: from, to: to, by: step)) : []
    }
    let from = adjust(start, count - 1, low: -1, high: count - 1)
    let to = adjust(stop, -1, low: -1, high: count - 1)
    return from > to ? Array(Swift.stride(from: from, to: to, by: step)) : []
  }

  // MARK: Comparisons

  func compare(_ op: JinjaCompareOperator, _ lhs: JinjaValue, _ rhs: JinjaValue)
    throws(ChatTemplateError) -> Bool
  {
    switch op {
    case .equal: return Self.equals(lhs, rhs)
    case .notEqual: return !Self.equals(lhs, rhs)
    case .contains: return try contains(rhs, lhs)
    case .notContains: return !(try contains(rhs, lhs))
    case .less, .lessEqual, .greater, .greaterEqual: return try order(op, lhs, rhs)
    }
  }

  /// Python `==`: numbers compare by value across int/float/bool, containers element-wise.
  static func equals(_ lhs: JinjaValue, _ rhs: JinjaValue) -> Bool {
    switch (lhs, rhs) {
    case (.undefined, .undefined), (.none, .none): return true
    case (.string(let a), .string(let b)): return JinjaText.equal(a, b)
    case _ where lhs.markupText != nil || rhs.markupText != nil:
      guard let a = lhs.anyStringText, let b = rhs.anyStringText else { return false }
      return JinjaText.equal(a, b)
    case (.array(let a), .array(let b)):
      return a.count == b.count && zip(a, b).allSatisfy { equals($0, $1) }
    case (.object(let a), .object(let b)):
      return a.count == b.count
        && zip(a.keys, a.values).allSatisfy { key, value in
          b[value: key].map { equals($0, value) } ?? false
        }
    case (.opaque(let a), .opaque(let b)): return a == b
    default:
      guard let a = lhs.number, let b = rhs.number else { return false }
      switch (a, b) {
      case (.int(let x), .int(let y)): return x == y
      case (.double(let x), .double(let y)): return x == y
      case (.int(let x), .double(let y)), (.double(let y), .int(let x)):
        guard y.rounded() == y, y >= -9.223_372_036_854_775_808e18, y < 9.223_372_036_854_775_808e18
        else { return false }
        return Int(y) == x
      }
    }
  }

  /// Python `<`, `<=`, `>`, `>=` for numbers, strings (code points) and lists.
  func order(_ op: JinjaCompareOperator, _ lhs: JinjaValue, _ rhs: JinjaValue)
    throws(ChatTemplateError) -> Bool
  {
    func apply<T: Comparable>(_ a: T, _ b: T) -> Bool {
      switch op {
      case .less: return a < b
      case .lessEqual: return a <= b
      case .greater: return a > b
      default: return a >= b
      }
    }
    if let a = lhs.number, let b = rhs.number {
      if case .int(let x) = a, case .int(let y) = b { return apply(x, y) }
      return apply(a.doubleValue, b.doubleValue)
    }
    switch (lhs, rhs) {
    case (.string(let a), .string(let b)):
      return apply(JinjaText.compare(a, b), 0)
    case (.array(let a), .array(let b)):
      for (x, y) in zip(a, b) where !Self.equals(x, y) { return try order(op, x, y) }
      return apply(a.count, b.count)
    default:
      if lhs.isUndefined || rhs.isUndefined {
        throw JinjaError.runtime("cannot compare an undefined value with '\(op.rawValue)'")
      }
      throw JinjaError.runtime(
        "'\(op.rawValue)' not supported between instances of '\(lhs.typeName)' and '\(rhs.typeName)'"
      )
    }
  }

  /// Python `item in container`.
  func contains(_ container: JinjaValue, _ item: JinjaValue) throws(ChatTemplateError) -> Bool {
    switch container {
    case .string(let text):
      guard case .string(let needle) = item else {
        throw JinjaError.runtime(
          "'in <string>' requires string as left operand, not \(item.typeName)")
      }
      return JinjaText.contains(text, needle)
    case .array(let items):
      return items.contains { Self.equals($0, item) }
    case .object(let object):
      guard JinjaObject.isHashable(item) else {
        throw JinjaError.runtime("unhashable type: '\(item.typeName)'")
      }
      return object[value: item] != nil
    case .undefined:
      return false
    case .opaque(let opaque):
      guard case .iterator = opaque.kind else { fallthrough }
      return try iterate(container).contains { Self.equals($0, item) }
    default:
      throw JinjaError.runtime("argument of type '\(container.typeName)' is not iterable")
    }
  }

  // MARK: Arithmetic

  func binary(_ op: JinjaBinaryOperator, _ lhs: JinjaValue, _ rhs: JinjaValue)
    throws(ChatTemplateError) -> JinjaValue
  {
    switch (op, lhs, rhs) {
    case (.concat, _, _):
      return .string(str(lhs) + str(rhs))
    case (.add, .string(let a), .string(let b)):
      return .string(a + b)
    case (.add, _, _) where lhs.markupText != nil || rhs.markupText != nil:
      // Markup.__add__ / __radd__: the plain string side is escaped.
      guard let a = lhs.anyStringText, let b = rhs.anyStringText else {
        throw JinjaError.runtime(
          "unsupported operand type(s) for +: '\(lhs.typeName)' and '\(rhs.typeName)'")
      }
      return .markup(
        (lhs.markupText ?? Self.escapeHTML(a)) + (rhs.markupText ?? Self.escapeHTML(b)))
    case (.add, .array(let a), .array(let b)):
      return .array(a + b)
    case (.multiply, .string(let text), _) where rhs.integer != nil,
      (.multiply, _, .string(let text)) where lhs.integer != nil:
      let count = try JinjaError.checkedSize(
        rhs.integer ?? lhs.integer ?? 0, unit: text.unicodeScalars.count)
      return .string(String(repeating: text, count: count))
    case (.multiply, .array(let items), _) where rhs.integer != nil,
      (.multiply, _, .array(let items)) where lhs.integer != nil:
      let count = try JinjaError.checkedSize(rhs.integer ?? lhs.integer ?? 0, unit: items.count)
      return .array(Array(repeating: items, count: count).flatMap { $0 })
    case (.modulo, .string(let format), _):
      return .string(try percentFormat(format, rhs))
    default:
      break
    }
    guard let a = lhs.number, let b = rhs.number else {
      throw JinjaError.runtime(
        "unsupported operand type(s) for \(op.rawValue): '\(lhs.typeName)' and '\(rhs.typeName)'")
    }
    if case .int(let x) = a, case .int(let y) = b { return try integerArithmetic(op, x, y) }
    return try floatArithmetic(op, a.doubleValue, b.doubleValue)
  }

  private func integerArithmetic(_ op: JinjaBinaryOperator, _ x: Int, _ y: Int)
    throws(ChatTemplateError) -> JinjaValue
  {
    func checked(_ result: (partialValue: Int, overflow: Bool)) throws(ChatTemplateError) -> Int {
      guard !result.overflow else {
        throw JinjaError.runtime("integer overflow (values are limited to 64 bits)")
      }
      return result.partialValue
    }
    switch op {
    case .add: return .int(try checked(x.addingReportingOverflow(y)))
    case .subtract: return .int(try checked(x.subtractingReportingOverflow(y)))
    case .multiply: return .int(try checked(x.multipliedReportingOverflow(by: y)))
    case .divide:
      guard y != 0 else { throw JinjaError.runtime("division by zero") }
      return .double(Double(x) / Double(y))
    case .floorDivide, .modulo:
      guard y != 0 else { throw JinjaError.runtime("integer division or modulo by zero") }
      let quotient = try checked(x.dividedReportingOverflow(by: y))
      let remainder = x - quotient * y
      let adjust = remainder != 0 && ((remainder < 0) != (y < 0))
      if op == .modulo { return .int(adjust ? remainder + y : remainder) }
      return .int(adjust ? quotient - 1 : quotient)
    case .power:
      guard y >= 0 else {
        guard x != 0 else { throw JinjaError.runtime("0.0 cannot be raised to a negative power") }
        return .double(Foundation.pow(Double(x), Double(y)))
      }
      var result = 1
      var base = x
      var exponent = y
      while exponent > 0 {
        if exponent & 1 == 1 { result = try checked(result.multipliedReportingOverflow(by: base)) }
        exponent >>= 1
        if exponent > 0 { base = try checked(base.multipliedReportingOverflow(by: base)) }
      }
      return .int(result)
    case .concat:
      return .string(String(x) + String(y))
    }
  }

  private func floatArithmetic(_ op: JinjaBinaryOperator, _ x: Double, _ y: Double)
    throws(ChatTemplateError) -> JinjaValue
  {
    switch op {
    case .add: return .double(x + y)
    case .subtract: return .double(x - y)
    case .multiply: return .double(x * y)
    case .divide:
      guard y != 0 else { throw JinjaError.runtime("float division by zero") }
      return .double(x / y)
    case .floorDivide, .modulo:
      guard y != 0 else { throw JinjaError.runtime("float floor division or modulo by zero") }
      // CPython's float_divmod.
      var remainder = fmod(x, y)
      var quotient = (x - remainder) / y
      if remainder != 0 {
        if (y < 0) != (remainder < 0) {
          remainder += y
          quotient -= 1
        }
      } else {
        remainder = copysign(0, y)
      }
      if op == .modulo { return .double(remainder) }
      if quotient != 0 {
        var floored = quotient.rounded(.down)
        if quotient - floored > 0.5 { floored += 1 }
        return .double(floored)
      }
      return .double(copysign(0, x / y))
    case .power:
      if x == 0 && y < 0 { throw JinjaError.runtime("0.0 cannot be raised to a negative power") }
      if x < 0 && y.rounded() != y {
        throw JinjaError.unsupported("complex result of a negative number to a fractional power")
      }
      return .double(Foundation.pow(x, y))
    case .concat:
      return .string(JinjaText.float(x) + JinjaText.float(y))
    }
  }

  // MARK: String conversion

  /// Python `str()`, which is what `{{ }}` prints; undefined prints as the empty string.
  func str(_ value: JinjaValue) -> String {
    switch value {
    case .undefined: return ""
    case .string(let text): return text
    default: return value.markupText ?? repr(value)
    }
  }

  /// Python `repr()`, used for values nested in lists and dicts.
  func repr(_ value: JinjaValue) -> String {
    switch value {
    case .undefined: return "Undefined"
    case .none: return "None"
    case .bool(let flag): return flag ? "True" : "False"
    case .int(let integer): return String(integer)
    case .double(let double): return JinjaText.float(double)
    case .string(let text): return JinjaText.repr(text)
    case .array(let items): return "[" + items.map(repr).joined(separator: ", ") + "]"
    case .object(let object):
      let pairs = zip(object.keys, object.values).map { repr($0) + ": " + repr($1) }
      return "{" + pairs.joined(separator: ", ") + "}"
    case .opaque(let opaque):
      switch opaque.kind {
      case .namespace(let id): return "<Namespace " + repr(.object(namespaces[id])) + ">"
      case .builtin(let name): return "<function \(name)>"
      case .macro(_, let name): return "<Macro '\(name)'>"
      case .method(let name, let receiver):
        return "<built-in method \(name) of \(receiver.value.typeName) object>"
      case .loop(let box):
        guard case .object(let attributes) = box.value else { return "<LoopContext>" }
        let index = attributes["index"].map(str) ?? "?"
        let length = attributes["length"].map(str) ?? "?"
        return "<LoopContext \(index)/\(length)>"
      case .iterator(_, let typeName): return "<\(typeName) object>"
      case .markup(let text): return "Markup(" + JinjaText.repr(text) + ")"
      case .cycler: return "<jinja2.utils.Cycler object>"
      case .joiner: return "<jinja2.utils.Joiner object>"
      }
    }
  }
}
