// Statement parser following jinja2's `Parser.subparse` / `parse_statement`, with the tags a
// transformers environment accepts: the built-ins plus `break`/`continue` (loopcontrols) and
// `generation` (transformers' AssistantTracker). Template inheritance, includes and imports
// are rejected with `ChatTemplateError.unsupported`.

struct JinjaParser {
  private let tokens: [JinjaToken]
  private var index = 0
  /// How many `for` bodies enclose the current position (for `break`/`continue`).
  private var loopDepth = 0
  private var openBlocks: [(tag: String, location: JinjaSourceLocation)] = []
  /// Current expression nesting, bounded so hostile input cannot exhaust the stack.
  var nesting = 0
  static let maximumNesting = 256
  /// Whether the code being parsed is in one of jinja2's "soft" frames (an `if` block or a
  /// conditional expression, not inside a nested loop, macro or block). There jinja2 looks an
  /// unknown filter or test up only when it runs; elsewhere it refuses the template.
  var soft = false
  /// Unknown filters and tests met outside soft frames, in order; the first is the error.
  var unknownNames: [(construct: String, location: JinjaSourceLocation)] = []

  static func parse(_ source: String) throws(ChatTemplateError) -> [JinjaNode] {
    var parser = JinjaParser(tokens: try JinjaLexer.tokenize(source))
    let body = try parser.subparse(endTags: []).body
    if let first = parser.unknownNames.first {
      throw ChatTemplateError.unsupported(
        construct: first.construct, line: first.location.line, column: first.location.column)
    }
    return body
  }

  private init(tokens: [JinjaToken]) {
    self.tokens = tokens
  }

  // MARK: Token stream

  var current: JinjaToken { tokens[index] }

  func peek(_ offset: Int = 1) -> JinjaToken {
    tokens[min(index + offset, tokens.count - 1)]
  }

  @discardableResult
  mutating func advance() -> JinjaToken {
    let token = tokens[index]
    if index < tokens.count - 1 { index += 1 }
    return token
  }

  func isOp(_ text: String) -> Bool { current.kind == .op(text) }
  func isName(_ text: String) -> Bool { current.kind == .name(text) }

  mutating func skipOp(_ text: String) -> Bool {
    guard isOp(text) else { return false }
    advance()
    return true
  }

  mutating func skipName(_ text: String) -> Bool {
    guard isName(text) else { return false }
    advance()
    return true
  }

  mutating func expectOp(_ text: String) throws(ChatTemplateError) {
    guard skipOp(text) else {
      throw syntaxError("expected '\(text)', got \(Self.describe(current))")
    }
  }

  mutating func expectName(_ text: String? = nil) throws(ChatTemplateError) -> String {
    guard case .name(let name) = current.kind, text == nil || text == name else {
      throw syntaxError(
        "expected \(text.map { "'\($0)'" } ?? "a name"), got \(Self.describe(current))")
    }
    advance()
    return name
  }

  mutating func expect(_ kind: JinjaToken.Kind) throws(ChatTemplateError) {
    guard current.kind == kind else {
      throw syntaxError(
        "expected \(Self.describe(JinjaToken(kind: kind, location: current.location))), got \(Self.describe(current))"
      )
    }
    advance()
  }

  func syntaxError(_ message: String, at location: JinjaSourceLocation? = nil) -> ChatTemplateError
  {
    let point = location ?? current.location
    return .syntax(message: message, line: point.line, column: point.column)
  }

  func unsupported(_ construct: String, at location: JinjaSourceLocation? = nil)
    -> ChatTemplateError
  {
    let point = location ?? current.location
    return .unsupported(construct: construct, line: point.line, column: point.column)
  }

  static func describe(_ token: JinjaToken) -> String {
    switch token.kind {
    case .data: return "template data"
    case .variableBegin: return "'{{'"
    case .variableEnd: return "end of print statement '}}'"
    case .blockBegin: return "'{%'"
    case .blockEnd: return "end of statement block '%}'"
    case .name(let name): return "'\(name)'"
    case .string: return "string literal"
    case .integer(let value): return "integer \(value)"
    case .float(let value): return "float \(JinjaText.float(value))"
    case .op(let text): return "'\(text)'"
    case .eof: return "end of template"
    }
  }

  // MARK: Template structure

  /// Parses nodes until end of input or a `{% tag %}` whose name is in `endTags`; in the latter
  /// case the stream is left on that name.
  private mutating func subparse(endTags: [String]) throws(ChatTemplateError) -> (
    body: [JinjaNode], end: String?
  ) {
    var body: [JinjaNode] = []
    while true {
      switch current.kind {
      case .data(let text):
        body.append(.text(text))
        advance()
      case .variableBegin:
        advance()
        body.append(.output(try parseTuple()))
        try expect(.variableEnd)
      case .blockBegin:
        advance()
        if case .name(let name) = current.kind, endTags.contains(name) { return (body, name) }
        body += try parseStatement()
        try expect(.blockEnd)
      case .eof:
        return (body, nil)
      default:
        throw syntaxError("unexpected \(Self.describe(current))")
      }
    }
  }

  /// Parses the body of a block tag up to one of `endTags`, consuming the end tag's name.
  private mutating func parseBlockBody(
    _ endTags: [String], for tag: String, at location: JinjaSourceLocation
  ) throws(ChatTemplateError) -> (body: [JinjaNode], end: String) {
    _ = skipOp(":")
    try expect(.blockEnd)
    guard openBlocks.count < Self.maximumNesting else {
      throw syntaxError("blocks nested too deeply")
    }
    openBlocks.append((tag, location))
    let (body, end) = try subparse(endTags: endTags)
    openBlocks.removeLast()
    guard let end else {
      let expected = endTags.map { "'\($0)'" }.joined(separator: " or ")
      throw syntaxError(
        "unexpected end of template: expected \(expected) to close the '\(tag)' block opened at line \(location.line)"
      )
    }
    advance()
    return (body, end)
  }

  private mutating func parseStatement() throws(ChatTemplateError) -> [JinjaNode] {
    guard case .name(let tag) = current.kind else {
      throw syntaxError("expected a tag name, got \(Self.describe(current))")
    }
    switch tag {
    case "for": return [try parseFor()]
    case "if": return [try parseIf()]
    case "set": return [try parseSet()]
    case "macro": return [try parseMacro()]
    case "with": return [try parseWith()]
    case "filter": return [try parseFilterBlock()]
    case "print":
      advance()
      var nodes: [JinjaNode] = []
      while current.kind != .blockEnd {
        if !nodes.isEmpty { try expectOp(",") }
        nodes.append(.output(try parseExpression()))
      }
      return nodes
    case "break", "continue":
      guard loopDepth > 0 else { throw syntaxError("'\(tag)' outside of a for loop") }
      advance()
      return [tag == "break" ? .loopBreak : .loopContinue]
    case "generation":
      let location = advance().location
      let savedDepth = loopDepth
      loopDepth = 0
      let body = try parseBlockBody(["endgeneration"], for: tag, at: location).body
      loopDepth = savedDepth
      return [.scoped(body)]
    case "call": return [try parseCall()]
    case "extends", "block", "include", "import", "from", "autoescape", "raw":
      throw unsupported("{% \(tag) %} tag")
    default:
      if tag.hasPrefix("end") || tag == "else" || tag == "elif" {
        let context = openBlocks.last.map {
          "; the innermost open block is '\($0.tag)' from line \($0.location.line)"
        }
        throw syntaxError("unexpected '{% \(tag) %}'\(context ?? "")")
      }
      throw syntaxError("unknown tag '\(tag)'")
    }
  }

  private mutating func parseFor() throws(ChatTemplateError) -> JinjaNode {
    let location = advance().location
    let target = try parseAssignTarget(extraEndNames: ["in"])
    _ = try expectName("in")
    let iterable = try parseTuple(withCondexpr: false, extraEndNames: ["recursive"])
    var condition: JinjaExpr? = nil
    if skipName("if") {
      let outer = soft
      soft = false
      condition = try parseExpression()
      soft = outer
    }
    if isName("recursive") { throw unsupported("recursive for loop") }
    loopDepth += 1
    let (body, end) = try innerBody(["endfor", "else"], for: "for", at: location)
    loopDepth -= 1
    var otherwise: [JinjaNode] = []
    if end == "else" {
      otherwise = try parseBlockBody(["endfor"], for: "for", at: location).body
    }
    return .forLoop(
      JinjaForLoop(
        target: target, iterable: iterable, condition: condition, body: body,
        otherwise: otherwise, location: location))
  }

  /// A block body parsed in a frame of its own, as jinja2 compiles loop, macro, call, `with`,
  /// `filter` and `set` bodies: not soft, whatever encloses it; macro and call bodies also
  /// leave any enclosing loop (`break` there is an error).
  private mutating func innerBody(
    _ ends: [String], for tag: String, at location: JinjaSourceLocation, leavesLoop: Bool = false
  ) throws(ChatTemplateError) -> (body: [JinjaNode], end: String) {
    let (outerSoft, outerDepth) = (soft, loopDepth)
    soft = false
    if leavesLoop { loopDepth = 0 }
    defer { (soft, loopDepth) = (outerSoft, outerDepth) }
    return try parseBlockBody(ends, for: tag, at: location)
  }

  private mutating func parseIf() throws(ChatTemplateError) -> JinjaNode {
    let location = advance().location
    let outer = soft
    soft = true
    defer { soft = outer }
    var branches: [(condition: JinjaExpr, body: [JinjaNode])] = []
    var otherwise: [JinjaNode] = []
    while true {
      let condition = try parseTuple(withCondexpr: false)
      let (body, end) = try parseBlockBody(["elif", "else", "endif"], for: "if", at: location)
      branches.append((condition, body))
      if end == "elif" { continue }
      if end == "else" {
        otherwise = try parseBlockBody(["endif"], for: "if", at: location).body
      }
      return .conditional(branches: branches, otherwise: otherwise)
    }
  }

  private mutating func parseSet() throws(ChatTemplateError) -> JinjaNode {
    let location = advance().location
    let target = try parseAssignTarget(withNamespace: true)
    if skipOp("=") { return .assign(target, try parseTuple(), location) }
    var filters: [JinjaFilterCall] = []
    while skipOp("|") { filters.append(try parseFilterCall()) }
    let body = try innerBody(["endset"], for: "set", at: location).body
    return .assignBlock(target, filters, body, location)
  }

  private mutating func parseMacro() throws(ChatTemplateError) -> JinjaNode {
    let location = advance().location
    let name = try expectName()
    let parameters = try parseParameters()
    let body = try innerBody(["endmacro"], for: "macro", at: location, leavesLoop: true).body
    return .macro(JinjaMacro(name: name, parameters: parameters, body: body, location: location))
  }

  /// `{% call [(params)] macro(args) %}body{% endcall %}`: the body becomes the `caller`
  /// macro the called macro can invoke.
  private mutating func parseCall() throws(ChatTemplateError) -> JinjaNode {
    let location = advance().location
    let parameters = isOp("(") ? try parseParameters() : []
    let expression = try parseExpression()
    guard case .call = expression.kind else {
      throw syntaxError("expected a call expression after '{% call %}'")
    }
    let body = try innerBody(["endcall"], for: "call", at: location, leavesLoop: true).body
    return .callBlock(
      JinjaMacro(name: "caller", parameters: parameters, body: body, location: location),
      expression)
  }

  /// A macro's parameter list, `(a, b=1)`.
  private mutating func parseParameters() throws(ChatTemplateError)
    -> [(name: String, defaultValue: JinjaExpr?)]
  {
    try expectOp("(")
    var parameters: [(name: String, defaultValue: JinjaExpr?)] = []
    while !isOp(")") {
      if !parameters.isEmpty { try expectOp(",") }
      let parameter = try expectName()
      if skipOp("=") {
        parameters.append((parameter, try parseExpression()))
      } else if parameters.contains(where: { $0.defaultValue != nil }) {
        throw syntaxError("non-default argument follows default argument")
      } else {
        parameters.append((parameter, nil))
      }
    }
    try expectOp(")")
    return parameters
  }

  private mutating func parseWith() throws(ChatTemplateError) -> JinjaNode {
    let location = advance().location
    var bindings: [(target: JinjaTarget, value: JinjaExpr)] = []
    while current.kind != .blockEnd {
      if !bindings.isEmpty { try expectOp(",") }
      let target = try parseAssignTarget()
      try expectOp("=")
      bindings.append((target, try parseExpression()))
    }
    let body = try innerBody(["endwith"], for: "with", at: location).body
    return .with(bindings, body)
  }

  private mutating func parseFilterBlock() throws(ChatTemplateError) -> JinjaNode {
    let location = advance().location
    var filters = [try parseFilterCall()]
    while skipOp("|") { filters.append(try parseFilterCall()) }
    let body = try innerBody(["endfilter"], for: "filter", at: location).body
    return .filterBlock(filters, body)
  }

  // MARK: Assignment targets

  mutating func parseAssignTarget(withNamespace: Bool = false, extraEndNames: [String] = [])
    throws(ChatTemplateError) -> JinjaTarget
  {
    if withNamespace, case .name(let namespace) = current.kind, peek().kind == .op(".") {
      advance()
      advance()
      return .namespaceAttribute(namespace, try expectName())
    }
    let expression = try parseTuple(simplified: true, extraEndNames: extraEndNames)
    return try assignTarget(from: expression)
  }

  private func assignTarget(from expression: JinjaExpr) throws(ChatTemplateError) -> JinjaTarget {
    switch expression.kind {
    case .name(let name):
      return .name(name)
    case .tuple(let items):
      var targets: [JinjaTarget] = []
      for item in items { targets.append(try assignTarget(from: item)) }
      return .tuple(targets)
    default:
      throw syntaxError("can't assign to this expression", at: expression.location)
    }
  }
}
