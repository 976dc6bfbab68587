// jinja2's built-in tests (`x is defined`, `x is string`, `x is equalto y`, ...), version 3.1.

extension JinjaInterpreter {
  static let supportedTests: Set<String> = [
    "boolean", "callable", "defined", "divisibleby", "eq", "equalto", "==", "escaped", "even",
    "false", "filter", "float", "ge", ">=", "gt", "greaterthan", ">", "in", "integer", "iterable",
    "le", "<=", "lower", "lt", "lessthan", "<", "mapping", "ne", "!=", "none", "number", "odd",
    "sameas", "sequence", "string", "test", "true", "undefined", "upper",
  ]

  func applyTest(_ name: String, to value: JinjaValue, _ arguments: JinjaArguments)
    throws(ChatTemplateError) -> Bool
  {
    func other() throws(ChatTemplateError) -> JinjaValue {
      guard let value = try arguments.bind(["other"], to: "test '\(name)'")[0] else {
        throw JinjaError.runtime("test '\(name)' requires an argument")
      }
      return value
    }
    func noArguments() throws(ChatTemplateError) {
      _ = try arguments.bind([], to: "test '\(name)'")
    }
    switch name {
    case "defined", "undefined":
      try noArguments()
      return value.isUndefined == (name == "undefined")
    case "none":
      try noArguments()
      if case .none = value { return true }
      return false
    case "boolean", "true", "false":
      try noArguments()
      guard case .bool(let flag) = value else { return false }
      return name == "boolean" || flag == (name == "true")
    case "integer":
      try noArguments()
      if case .int = value { return true }
      return false
    case "float":
      try noArguments()
      if case .double = value { return true }
      return false
    case "number":
      try noArguments()
      return value.number != nil
    case "string":
      try noArguments()
      return value.anyStringText != nil
    case "mapping":
      try noArguments()
      if case .object = value { return true }
      return false
    case "iterable", "sequence":
      try noArguments()
      switch value {
      case .string, .array, .object, .undefined: return true
      case .opaque(let opaque):
        guard case .iterator = opaque.kind else { return false }
        return name == "iterable"
      default: return false
      }
    case "callable":
      try noArguments()
      guard case .opaque(let opaque) = value else { return false }
      switch opaque.kind {
      case .namespace, .iterator: return false
      default: return true
      }
    case "escaped":
      try noArguments()
      return false
    case "sameas":
      let other = try other()
      switch (value, other) {
      case (.none, .none), (.undefined, .undefined): return true
      case (.bool(let a), .bool(let b)): return a == b
      case (.int(let a), .int(let b)): return a == b
      case (.opaque(let a), .opaque(let b)): return a == b
      default: return false
      }
    case "eq", "equalto", "==": return Self.equals(value, try other())
    case "ne", "!=": return !Self.equals(value, try other())
    case "lt", "lessthan", "<": return try order(.less, value, try other())
    case "le", "<=": return try order(.lessEqual, value, try other())
    case "gt", "greaterthan", ">": return try order(.greater, value, try other())
    case "ge", ">=": return try order(.greaterEqual, value, try other())
    case "in": return try contains(try other(), value)
    case "odd", "even":
      try noArguments()
      if value.isUndefined { throw JinjaError.runtime("undefined value in '\(name)' test") }
      let remainder = try binary(.modulo, value, .int(2))
      return Self.equals(remainder, .int(name == "odd" ? 1 : 0))
    case "divisibleby":
      let divisor = try other()
      if value.isUndefined { throw JinjaError.runtime("undefined value in 'divisibleby' test") }
      return Self.equals(try binary(.modulo, value, divisor), .int(0))
    case "lower", "upper":
      try noArguments()
      return JinjaText.hasCase(str(value), upper: name == "upper")
    case "filter", "test":
      try noArguments()
      guard case .string(let candidate) = value else { return false }
      return (name == "filter" ? Self.supportedFilters : Self.supportedTests).contains(candidate)
    default:
      throw JinjaError.unsupported("test '\(name)'")
    }
  }
}
