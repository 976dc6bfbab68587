// Expression grammar, mirroring jinja2's precedence exactly (lowest first):
//   conditional `a if c else b` > `or` > `and` > `not` > comparisons (`==`, `in`, `not in`, ...)
//   > `+ -` > `~` > `* / // %` > `**` (left-associative) > unary `- +`
//   > primary with postfix `.attr`, `[key]`, `(args)`, then filters `|f` and tests `is t`.
// Filters and tests bind tighter than binary operators: `a + b | trim` is `a + (b | trim)`.

extension JinjaParser {
  mutating func parseExpression(withCondexpr: Bool = true) throws(ChatTemplateError) -> JinjaExpr {
    try enterNesting()
    defer { nesting -= 1 }
    return withCondexpr ? try parseConditional() : try parseOr()
  }

  private mutating func enterNesting() throws(ChatTemplateError) {
    guard nesting < Self.maximumNesting else { throw syntaxError("expression nested too deeply") }
    nesting += 1
  }

  /// jinja2's `parse_tuple`: one expression, or a tuple when commas follow.
  mutating func parseTuple(
    simplified: Bool = false, withCondexpr: Bool = true, extraEndNames: [String] = [],
    explicitParentheses: Bool = false
  ) throws(ChatTemplateError) -> JinjaExpr {
    let location = current.location
    var items: [JinjaExpr] = []
    var isTuple = false
    while true {
      if !items.isEmpty { try expectOp(",") }
      if isTupleEnd(extraEndNames) { break }
      if simplified {
        items.append(try parsePrimary())
      } else {
        items.append(try parseExpression(withCondexpr: withCondexpr))
      }
      guard isOp(",") else { break }
      isTuple = true
    }
    if !isTuple {
      if let first = items.first { return first }
      if !explicitParentheses {
        throw syntaxError("expected an expression, got \(Self.describe(current))")
      }
    }
    return JinjaExpr(.tuple(items), location)
  }

  private func isTupleEnd(_ extraEndNames: [String]) -> Bool {
    switch current.kind {
    case .variableEnd, .blockEnd, .op(")"): return true
    case .name(let name): return extraEndNames.contains(name)
    default: return false
    }
  }

  private mutating func parseConditional() throws(ChatTemplateError) -> JinjaExpr {
    try enterNesting()
    defer { nesting -= 1 }
    let location = current.location
    let unknownBefore = unknownNames.count
    var expression = try parseOr()
    guard isName("if") else { return expression }
    // The whole conditional expression is a soft frame, the part before `if` included.
    unknownNames.removeSubrange(unknownBefore...)
    let outer = soft
    soft = true
    defer { soft = outer }
    while skipName("if") {
      let test = try parseOr()
      let otherwise = skipName("else") ? try parseConditional() : nil
      expression = JinjaExpr(
        .conditional(test: test, then: expression, otherwise: otherwise), location)
    }
    return expression
  }

  private mutating func parseOr() throws(ChatTemplateError) -> JinjaExpr {
    var left = try parseAnd()
    while isName("or") {
      let location = advance().location
      left = JinjaExpr(.or(left, try parseAnd()), location)
    }
    return left
  }

  private mutating func parseAnd() throws(ChatTemplateError) -> JinjaExpr {
    var left = try parseNot()
    while isName("and") {
      let location = advance().location
      left = JinjaExpr(.and(left, try parseNot()), location)
    }
    return left
  }

  private mutating func parseNot() throws(ChatTemplateError) -> JinjaExpr {
    try enterNesting()
    defer { nesting -= 1 }
    if isName("not") {
      let location = advance().location
      return JinjaExpr(.not(try parseNot()), location)
    }
    return try parseCompare()
  }

  private mutating func parseCompare() throws(ChatTemplateError) -> JinjaExpr {
    let location = current.location
    let first = try parseMath1()
    var operations: [(op: JinjaCompareOperator, operand: JinjaExpr)] = []
    while true {
      if case .op(let text) = current.kind, let op = JinjaCompareOperator(rawValue: text),
        op != .contains, op != .notContains
      {
        advance()
        operations.append((op, try parseMath1()))
      } else if skipName("in") {
        operations.append((.contains, try parseMath1()))
      } else if isName("not") && peek().kind == .name("in") {
        advance()
        advance()
        operations.append((.notContains, try parseMath1()))
      } else {
        break
      }
    }
    return operations.isEmpty ? first : JinjaExpr(.compare(first, operations), location)
  }

  private mutating func parseBinary(
    _ operators: [String], next: (inout JinjaParser) throws(ChatTemplateError) -> JinjaExpr
  ) throws(ChatTemplateError) -> JinjaExpr {
    var left = try next(&self)
    while case .op(let text) = current.kind, operators.contains(text),
      let op = JinjaBinaryOperator(rawValue: text)
    {
      let location = advance().location
      left = JinjaExpr(.binary(op, left, try next(&self)), location)
    }
    return left
  }

  private mutating func parseMath1() throws(ChatTemplateError) -> JinjaExpr {
    try parseBinary(["+", "-"]) { (parser) throws(ChatTemplateError) in try parser.parseConcat() }
  }

  private mutating func parseConcat() throws(ChatTemplateError) -> JinjaExpr {
    try parseBinary(["~"]) { (parser) throws(ChatTemplateError) in try parser.parseMath2() }
  }

  private mutating func parseMath2() throws(ChatTemplateError) -> JinjaExpr {
    try parseBinary(["*", "/", "//", "%"]) { (parser) throws(ChatTemplateError) in
      try parser.parsePow()
    }
  }

  private mutating func parsePow() throws(ChatTemplateError) -> JinjaExpr {
    try parseBinary(["**"]) { (parser) throws(ChatTemplateError) in try parser.parseUnary() }
  }

  private mutating func parseUnary(withFilter: Bool = true) throws(ChatTemplateError) -> JinjaExpr {
    try enterNesting()
    defer { nesting -= 1 }
    let location = current.location
    var node: JinjaExpr
    if skipOp("-") {
      node = JinjaExpr(.negate(try parseUnary(withFilter: false)), location)
    } else if skipOp("+") {
      node = JinjaExpr(.plus(try parseUnary(withFilter: false)), location)
    } else {
      node = try parsePrimary()
    }
    node = try parsePostfix(node)
    if withFilter { node = try parseFilterExpression(node) }
    return node
  }

  mutating func parsePrimary() throws(ChatTemplateError) -> JinjaExpr {
    let token = current
    switch token.kind {
    case .name(let name):
      advance()
      switch name {
      case "true", "True": return JinjaExpr(.literal(.bool(true)), token.location)
      case "false", "False": return JinjaExpr(.literal(.bool(false)), token.location)
      case "none", "None": return JinjaExpr(.literal(.none), token.location)
      default: return JinjaExpr(.name(name), token.location)
      }
    case .string(var value):
      advance()
      while case .string(let next) = current.kind {
        value += next
        advance()
      }
      return JinjaExpr(.literal(.string(value)), token.location)
    case .integer(let value):
      advance()
      return JinjaExpr(.literal(.int(value)), token.location)
    case .float(let value):
      advance()
      return JinjaExpr(.literal(.double(value)), token.location)
    case .op("("):
      advance()
      let inner = try parseTuple(explicitParentheses: true)
      try expectOp(")")
      return inner
    case .op("["):
      advance()
      var items: [JinjaExpr] = []
      while !isOp("]") {
        if !items.isEmpty { try expectOp(",") }
        if isOp("]") { break }
        items.append(try parseExpression())
      }
      try expectOp("]")
      return JinjaExpr(.list(items), token.location)
    case .op("{"):
      advance()
      var pairs: [(key: JinjaExpr, value: JinjaExpr)] = []
      while !isOp("}") {
        if !pairs.isEmpty { try expectOp(",") }
        if isOp("}") { break }
        let key = try parseExpression()
        try expectOp(":")
        pairs.append((key, try parseExpression()))
      }
      try expectOp("}")
      return JinjaExpr(.dict(pairs), token.location)
    default:
      throw syntaxError("unexpected \(Self.describe(token))")
    }
  }

  private mutating func parsePostfix(_ start: JinjaExpr) throws(ChatTemplateError) -> JinjaExpr {
    var node = start
    while true {
      if isOp(".") || isOp("[") {
        node = try parseSubscript(node)
      } else if isOp("(") {
        let location = current.location
        node = JinjaExpr(.call(node, try parseCallArguments()), location)
      } else {
        return node
      }
    }
  }

  private mutating func parseFilterExpression(_ start: JinjaExpr) throws(ChatTemplateError)
    -> JinjaExpr
  {
    var node = start
    while true {
      if skipOp("|") {
        node = JinjaExpr(.filter(node, try parseFilterCall()), node.location)
      } else if isName("is") {
        node = try parseTest(node)
      } else if isOp("(") {
        let location = current.location
        node = JinjaExpr(.call(node, try parseCallArguments()), location)
      } else {
        return node
      }
    }
  }

  private mutating func parseSubscript(_ base: JinjaExpr) throws(ChatTemplateError) -> JinjaExpr {
    let token = advance()
    if token.kind == .op(".") {
      let attribute = advance()
      switch attribute.kind {
      case .name(let name): return JinjaExpr(.attribute(base, name), token.location)
      case .integer(let value):
        return JinjaExpr(
          .item(base, JinjaExpr(.literal(.int(value)), attribute.location)), token.location)
      default: throw syntaxError("expected name or number after '.'", at: attribute.location)
      }
    }
    var start: JinjaExpr? = nil
    if !isOp(":") {
      let key = try parseExpression()
      if isOp(",") { throw unsupported("tuple subscript") }
      if !isOp(":") {
        try expectOp("]")
        return JinjaExpr(.item(base, key), token.location)
      }
      start = key
    }
    advance()  // ':'
    var stop: JinjaExpr? = nil
    var step: JinjaExpr? = nil
    if !isOp(":") && !isOp("]") && !isOp(",") { stop = try parseExpression() }
    if skipOp(":") && !isOp("]") && !isOp(",") { step = try parseExpression() }
    if isOp(",") { throw unsupported("tuple subscript") }
    try expectOp("]")
    return JinjaExpr(.slice(base, start: start, stop: stop, step: step), token.location)
  }

  private mutating func parseCallArguments() throws(ChatTemplateError) -> JinjaCallArguments {
    try expectOp("(")
    var arguments = JinjaCallArguments()
    var needComma = false
    while !isOp(")") {
      if needComma {
        try expectOp(",")
        if isOp(")") { break }
      }
      if isOp("*") || isOp("**") {
        throw unsupported("'\(isOp("*") ? "*args" : "**kwargs")' in a call")
      }
      if case .name(let name) = current.kind, peek().kind == .op("=") {
        advance()
        advance()
        arguments.keyword.append((name, try parseExpression()))
      } else {
        guard arguments.keyword.isEmpty else {
          throw syntaxError("positional argument follows keyword argument")
        }
        arguments.positional.append(try parseExpression())
      }
      needComma = true
    }
    try expectOp(")")
    return arguments
  }

  /// Parses `name` or `name(args)` after a `|`.
  mutating func parseFilterCall() throws(ChatTemplateError) -> JinjaFilterCall {
    let location = current.location
    var name = try expectName()
    while skipOp(".") { name += "." + (try expectName()) }
    if !JinjaInterpreter.supportedFilters.contains(name), !soft {
      unknownNames.append(("filter '\(name)'", location))
    }
    let arguments = isOp("(") ? try parseCallArguments() : JinjaCallArguments()
    return JinjaFilterCall(name: name, arguments: arguments, location: location)
  }

  private mutating func parseTest(_ subject: JinjaExpr) throws(ChatTemplateError) -> JinjaExpr {
    let location = advance().location  // 'is'
    let negated = skipName("not")
    let nameLocation = current.location
    var name = try expectName()
    while skipOp(".") { name += "." + (try expectName()) }
    if !JinjaInterpreter.supportedTests.contains(name), !soft {
      unknownNames.append(("test '\(name)'", nameLocation))
    }
    var arguments = JinjaCallArguments()
    if isOp("(") {
      arguments = try parseCallArguments()
    } else {
      switch current.kind {
      case .name("else"), .name("or"), .name("and"):
        break
      case .name("is"):
        throw syntaxError("you cannot chain multiple tests with 'is'")
      case .name, .string, .integer, .float, .op("["), .op("{"):
        arguments.positional = [try parsePostfix(try parsePrimary())]
      default:
        break
      }
    }
    let test = JinjaExpr(.test(subject, name: name, arguments), location)
    return negated ? JinjaExpr(.not(test), location) : test
  }
}
