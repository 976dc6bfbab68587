import Foundation

// Tree-walking evaluator. Scoping follows jinja2: every `for` iteration, macro call, `with`,
// `filter`/`generation` block and block-`set` body gets a child scope, so `{% set %}` inside a
// loop does not leak out (templates use `namespace()` for that); `if` does not open a scope.

/// Variables visible at one level of the template (root, loop iteration, macro call, ...).
final class JinjaScope {
  private var variables: [String: JinjaValue]
  let parent: JinjaScope?

  init(parent: JinjaScope?, variables: [String: JinjaValue] = [:]) {
    self.parent = parent
    self.variables = variables
  }

  func lookup(_ name: String) -> JinjaValue? {
    var scope: JinjaScope? = self
    while let current = scope {
      if let value = current.variables[name] { return value }
      scope = current.parent
    }
    return nil
  }

  func set(_ name: String, _ value: JinjaValue) {
    variables[name] = value
  }
}

/// Errors raised below the expression level get their location filled in by the caller.
enum JinjaError {
  static func runtime(_ message: String) -> ChatTemplateError {
    .runtime(message: message, line: 0, column: 0)
  }

  static func unsupported(_ construct: String) -> ChatTemplateError {
    .unsupported(construct: construct, line: 0, column: 0)
  }

  /// Upper bound on sizes a template may request (repetition, padding, precision), so that
  /// hostile input fails with an error instead of exhausting memory.
  static let sizeLimit = 1 << 24

  /// Returns `count` (clamped at 0) if `count * unit` is within ``sizeLimit``.
  static func checkedSize(_ count: Int, unit: Int = 1) throws(ChatTemplateError) -> Int {
    let count = max(0, count)
    let (total, overflow) = count.multipliedReportingOverflow(by: max(1, unit))
    guard !overflow, total <= sizeLimit else {
      throw runtime("requested result of \(count) x \(unit) elements is too large")
    }
    return count
  }
}

extension ChatTemplateError {
  /// Attaches `location` to a runtime or unsupported-construct error that has none yet.
  func located(at location: JinjaSourceLocation) -> ChatTemplateError {
    switch self {
    case .runtime(let message, 0, _):
      return .runtime(message: message, line: location.line, column: location.column)
    case .unsupported(let construct, 0, _):
      return .unsupported(construct: construct, line: location.line, column: location.column)
    default:
      return self
    }
  }
}

/// Evaluated call arguments with Python-style binding to parameter names.
struct JinjaArguments {
  var positional: [JinjaValue] = []
  var keyword: [(name: String, value: JinjaValue)] = []

  /// Binds the arguments to `parameters` in order; entries are nil when not supplied.
  func bind(_ parameters: [String], to function: String) throws(ChatTemplateError) -> [JinjaValue?]
  {
    guard positional.count <= parameters.count else {
      throw JinjaError.runtime(
        "\(function) takes at most \(parameters.count) argument(s) (\(positional.count) given)")
    }
    var bound: [JinjaValue?] = positional.map { $0 }
    bound += Array(repeating: nil, count: parameters.count - positional.count)
    for (name, value) in keyword {
      guard let index = parameters.firstIndex(of: name) else {
        throw JinjaError.runtime("\(function) got an unexpected keyword argument '\(name)'")
      }
      guard bound[index] == nil else {
        throw JinjaError.runtime("\(function) got multiple values for argument '\(name)'")
      }
      bound[index] = value
    }
    return bound
  }
}

final class JinjaInterpreter {
  enum Flow {
    case normal
    case breakLoop
    case continueLoop
  }

  /// Global functions of a transformers chat-template environment.
  static let globalFunctions = [
    "range", "namespace", "dict", "raise_exception", "strftime_now", "cycler", "joiner", "lipsum",
  ]

  /// The instant `strftime_now` formats (local time); nil for the current time.
  let now: time_t?

  init(now: time_t? = nil) { self.now = now }

  /// Storage of `namespace()` objects, indexed by `JinjaOpaque.Kind.namespace`.
  var namespaces: [JinjaObject] = []
  /// State of `cycler()` objects: their items and the current position.
  var cyclers: [(items: [JinjaValue], position: Int)] = []
  /// State of `joiner()` objects: the separator and whether it has been called.
  var joiners: [(separator: String, used: Bool)] = []
  private var macros: [(definition: JinjaMacro, scope: JinjaScope)] = []
  private var callDepth = 0

  func render(_ nodes: [JinjaNode], context: [String: JinjaValue]) throws(ChatTemplateError)
    -> String
  {
    var globals: [String: JinjaValue] = [:]
    for name in Self.globalFunctions { globals[name] = .opaque(JinjaOpaque(.builtin(name))) }
    let root = JinjaScope(parent: JinjaScope(parent: nil, variables: globals), variables: context)
    var output = ""
    _ = try execute(nodes, in: root, into: &output)
    return output
  }

  // MARK: Statements

  func execute(_ nodes: [JinjaNode], in scope: JinjaScope, into output: inout String)
    throws(ChatTemplateError) -> Flow
  {
    for node in nodes {
      switch node {
      case .text(let text):
        output += text
      case .output(let expression):
        output += str(try evaluate(expression, in: scope))
      case .conditional(let branches, let otherwise):
        var body = otherwise
        for branch in branches {
          if try evaluate(branch.condition, in: scope).isTruthy {
            body = branch.body
            break
          }
        }
        let flow = try execute(body, in: scope, into: &output)
        if flow != .normal { return flow }
      case .forLoop(let loop):
        let flow = try executeFor(loop, in: scope, into: &output)
        if flow != .normal { return flow }
      case .assign(let target, let expression, let location):
        try assign(target, try evaluate(expression, in: scope), in: scope, at: location)
      case .assignBlock(let target, let filters, let body, let location):
        var value = JinjaValue.string(try capture(body, in: scope))
        for filter in filters { value = try applyFilter(filter, to: value, in: scope) }
        try assign(target, value, in: scope, at: location)
      case .macro(let macro):
        macros.append((macro, scope))
        scope.set(macro.name, .opaque(JinjaOpaque(.macro(macros.count - 1, name: macro.name))))
      case .callBlock(let caller, let expression):
        guard case .call(let callee, let argumentExpressions) = expression.kind else { break }
        macros.append((caller, scope))
        let callerValue = JinjaValue.opaque(JinjaOpaque(.macro(macros.count - 1, name: "caller")))
        let function = try evaluate(callee, in: scope)
        let arguments = try evaluateArguments(argumentExpressions, in: scope)
        do throws(ChatTemplateError) {
          guard case .opaque(let opaque) = function, case .macro(let id, _) = opaque.kind else {
            throw JinjaError.runtime("'{% call %}' needs a macro, got '\(function.typeName)'")
          }
          output += str(try callMacro(id, arguments, caller: callerValue))
        } catch {
          throw error.located(at: expression.location)
        }
      case .filterBlock(let filters, let body):
        var value = JinjaValue.string(try capture(body, in: scope))
        for filter in filters { value = try applyFilter(filter, to: value, in: scope) }
        output += str(value)
      case .with(let bindings, let body):
        let inner = JinjaScope(parent: scope)
        var values: [JinjaValue] = []
        for binding in bindings { values.append(try evaluate(binding.value, in: scope)) }
        for (binding, value) in zip(bindings, values) {
          try assign(binding.target, value, in: inner, at: binding.value.location)
        }
        let flow = try execute(body, in: inner, into: &output)
        if flow != .normal { return flow }
      case .scoped(let body):
        output += try capture(body, in: scope)
      case .loopBreak:
        return .breakLoop
      case .loopContinue:
        return .continueLoop
      }
    }
    return .normal
  }

  /// Renders `body` in a child scope and returns its output.
  private func capture(_ body: [JinjaNode], in scope: JinjaScope) throws(ChatTemplateError)
    -> String
  {
    var buffer = ""
    _ = try execute(body, in: JinjaScope(parent: scope), into: &buffer)
    return buffer
  }

  private func executeFor(_ loop: JinjaForLoop, in scope: JinjaScope, into output: inout String)
    throws(ChatTemplateError) -> Flow
  {
    let iterable = try evaluate(loop.iterable, in: scope)
    var items: [JinjaValue]
    do throws(ChatTemplateError) {
      items = try iterate(iterable)
    } catch {
      throw error.located(at: loop.iterable.location)
    }
    if let condition = loop.condition {
      var kept: [JinjaValue] = []
      for item in items {
        let probe = JinjaScope(parent: scope)
        try assign(loop.target, item, in: probe, at: loop.location)
        if try evaluate(condition, in: probe).isTruthy { kept.append(item) }
      }
      items = kept
    }
    if items.isEmpty { return try execute(loop.otherwise, in: scope, into: &output) }
    for index in items.indices {
      let iteration = JinjaScope(parent: scope)
      iteration.set("loop", loopObject(index: index, items: items))
      try assign(loop.target, items[index], in: iteration, at: loop.location)
      if try execute(loop.body, in: iteration, into: &output) == .breakLoop { break }
    }
    return .normal
  }

  private func loopObject(index: Int, items: [JinjaValue]) -> JinjaValue {
    var attributes: JinjaObject = [
      "index": .int(index + 1), "index0": .int(index), "revindex": .int(items.count - index),
      "revindex0": .int(items.count - index - 1), "first": .bool(index == 0),
      "last": .bool(index == items.count - 1), "length": .int(items.count), "depth": 1,
      "depth0": 0,
    ]
    if index > 0 { attributes["previtem"] = items[index - 1] }
    if index + 1 < items.count { attributes["nextitem"] = items[index + 1] }
    return .opaque(JinjaOpaque(.loop(JinjaBox(.object(attributes)))))
  }

  private func assign(
    _ target: JinjaTarget, _ value: JinjaValue, in scope: JinjaScope,
    at location: JinjaSourceLocation
  ) throws(ChatTemplateError) {
    switch target {
    case .name(let name):
      scope.set(name, value)
    case .tuple(let targets):
      let items: [JinjaValue]
      do throws(ChatTemplateError) {
        items = try iterate(value)
      } catch {
        throw error.located(at: location)
      }
      guard items.count == targets.count else {
        let message =
          items.count < targets.count
          ? "not enough values to unpack (expected \(targets.count), got \(items.count))"
          : "too many values to unpack (expected \(targets.count))"
        throw JinjaError.runtime(message).located(at: location)
      }
      for (target, item) in zip(targets, items) {
        try assign(target, item, in: scope, at: location)
      }
    case .namespaceAttribute(let name, let attribute):
      guard case .opaque(let opaque)? = scope.lookup(name), case .namespace(let id) = opaque.kind
      else {
        throw JinjaError.runtime(
          "cannot assign attribute '\(attribute)' on non-namespace '\(name)'"
        )
        .located(at: location)
      }
      namespaces[id][attribute] = value
    }
  }

  // MARK: Calls

  func call(_ function: JinjaValue, _ arguments: JinjaArguments, callee: JinjaExpr)
    throws(ChatTemplateError) -> JinjaValue
  {
    guard case .opaque(let opaque) = function else {
      if function.isUndefined { throw undefinedError(callee) }
      throw JinjaError.runtime("'\(function.typeName)' object is not callable")
    }
    switch opaque.kind {
    case .builtin(let name):
      return try callGlobal(name, arguments)
    case .macro(let id, _):
      return try callMacro(id, arguments)
    case .method(let name, let receiver):
      return try callMethod(name, on: receiver.value, arguments)
    case .joiner(let id):
      _ = try arguments.bind([], to: "joiner()")
      defer { joiners[id].used = true }
      return .string(joiners[id].used ? joiners[id].separator : "")
    case .namespace, .loop, .iterator, .markup, .cycler:
      throw JinjaError.runtime("'\(function.typeName)' object is not callable")
    }
  }

  private func callMacro(_ id: Int, _ arguments: JinjaArguments, caller: JinjaValue? = nil)
    throws(ChatTemplateError) -> JinjaValue
  {
    let (definition, closure) = macros[id]
    guard callDepth < 100 else {
      throw JinjaError.runtime("maximum macro recursion depth exceeded in '\(definition.name)'")
    }
    let bound = try arguments.bind(
      definition.parameters.map(\.name), to: "macro '\(definition.name)'")
    let scope = JinjaScope(parent: closure)
    if let caller { scope.set("caller", caller) }
    for (parameter, value) in zip(definition.parameters, bound) {
      if let value {
        scope.set(parameter.name, value)
      } else if let defaultValue = parameter.defaultValue {
        scope.set(parameter.name, try evaluate(defaultValue, in: scope))
      } else {
        scope.set(parameter.name, .undefined)
      }
    }
    callDepth += 1
    defer { callDepth -= 1 }
    var output = ""
    _ = try execute(definition.body, in: scope, into: &output)
    return .string(output)
  }

  func evaluateArguments(_ arguments: JinjaCallArguments, in scope: JinjaScope)
    throws(ChatTemplateError) -> JinjaArguments
  {
    var result = JinjaArguments()
    for expression in arguments.positional {
      result.positional.append(try evaluate(expression, in: scope))
    }
    for (name, expression) in arguments.keyword {
      result.keyword.append((name, try evaluate(expression, in: scope)))
    }
    return result
  }

  /// Iterates like Python's `iter()`: lists, dict keys, string code points; undefined is empty.
  func iterate(_ value: JinjaValue) throws(ChatTemplateError) -> [JinjaValue] {
    switch value {
    case .array(let items): return items
    case .object(let object): return object.keys
    case .string(let text): return text.unicodeScalars.map { .string(String($0)) }
    case .undefined: return []
    case .opaque(let opaque):
      guard case .iterator(let box, _) = opaque.kind, case .array(let items) = box.value else {
        throw JinjaError.runtime("'\(value.typeName)' object is not iterable")
      }
      return items
    default: throw JinjaError.runtime("'\(value.typeName)' object is not iterable")
    }
  }

  /// Python `len()`; undefined has length 0.
  func length(_ value: JinjaValue) throws(ChatTemplateError) -> Int {
    switch value {
    case .array(let items): return items.count
    case .object(let object): return object.count
    case .string(let text): return text.unicodeScalars.count
    case .undefined: return 0
    default: throw JinjaError.runtime("object of type '\(value.typeName)' has no len()")
    }
  }

  func undefinedError(_ expression: JinjaExpr) -> ChatTemplateError {
    JinjaError.runtime("'\(Self.describe(expression))' is undefined").located(
      at: expression.location)
  }

  /// A source-like rendering of an expression for error messages.
  static func describe(_ expression: JinjaExpr) -> String {
    switch expression.kind {
    case .name(let name): return name
    case .attribute(let base, let name): return describe(base) + "." + name
    case .item(let base, let key):
      if case .literal(.string(let text)) = key.kind {
        return describe(base) + "[" + JinjaText.repr(text) + "]"
      }
      if case .literal(.int(let value)) = key.kind { return describe(base) + "[\(value)]" }
      return describe(base) + "[...]"
    case .call(let callee, _): return describe(callee) + "(...)"
    case .filter(let base, let filter): return describe(base) + " | " + filter.name
    default: return "expression"
    }
  }
}
