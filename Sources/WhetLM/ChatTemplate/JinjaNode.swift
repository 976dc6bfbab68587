// Abstract syntax tree of the Jinja subset. The shapes follow jinja2's own parser
// (`jinja2/parser.py`, `jinja2/nodes.py`) so that operator precedence and scoping match it.

/// A 1-based position in the template source (after jinja2's newline normalisation).
struct JinjaSourceLocation: Sendable, Equatable {
  var line: Int
  var column: Int
}

/// An expression with the location of its first token.
struct JinjaExpr: Sendable {
  var kind: JinjaExprKind
  var location: JinjaSourceLocation

  init(_ kind: JinjaExprKind, _ location: JinjaSourceLocation) {
    self.kind = kind
    self.location = location
  }
}

/// Arguments of a call, filter or test: positional first, then `name=value` keywords.
struct JinjaCallArguments: Sendable {
  var positional: [JinjaExpr] = []
  var keyword: [(name: String, value: JinjaExpr)] = []
}

/// One `| name(args)` application.
struct JinjaFilterCall: Sendable {
  var name: String
  var arguments: JinjaCallArguments
  var location: JinjaSourceLocation
}

enum JinjaBinaryOperator: String, Sendable {
  case add = "+"
  case subtract = "-"
  case multiply = "*"
  case divide = "/"
  case floorDivide = "//"
  case modulo = "%"
  case power = "**"
  case concat = "~"
}

enum JinjaCompareOperator: String, Sendable {
  case equal = "=="
  case notEqual = "!="
  case less = "<"
  case lessEqual = "<="
  case greater = ">"
  case greaterEqual = ">="
  case contains = "in"
  case notContains = "not in"
}

indirect enum JinjaExprKind: Sendable {
  case literal(JinjaValue)
  case name(String)
  case list([JinjaExpr])
  case tuple([JinjaExpr])
  case dict([(key: JinjaExpr, value: JinjaExpr)])
  /// `base.name`: attribute first, then item (jinja2's `getattr`).
  case attribute(JinjaExpr, String)
  /// `base[key]`: item first, then attribute (jinja2's `getitem`).
  case item(JinjaExpr, JinjaExpr)
  case slice(JinjaExpr, start: JinjaExpr?, stop: JinjaExpr?, step: JinjaExpr?)
  case call(JinjaExpr, JinjaCallArguments)
  case filter(JinjaExpr, JinjaFilterCall)
  case test(JinjaExpr, name: String, JinjaCallArguments)
  case not(JinjaExpr)
  case negate(JinjaExpr)
  case plus(JinjaExpr)
  case binary(JinjaBinaryOperator, JinjaExpr, JinjaExpr)
  case and(JinjaExpr, JinjaExpr)
  case or(JinjaExpr, JinjaExpr)
  /// A comparison chain `a < b < c`, evaluated pairwise like Python.
  case compare(JinjaExpr, [(op: JinjaCompareOperator, operand: JinjaExpr)])
  /// `then if test else otherwise`; a missing `else` yields undefined.
  case conditional(test: JinjaExpr, then: JinjaExpr, otherwise: JinjaExpr?)
}

/// The left-hand side of `set`, `for` and `with`.
indirect enum JinjaTarget: Sendable {
  case name(String)
  case tuple([JinjaTarget])
  /// `{% set ns.attr = ... %}` on a `namespace()` object.
  case namespaceAttribute(String, String)
}

struct JinjaForLoop: Sendable {
  var target: JinjaTarget
  var iterable: JinjaExpr
  var condition: JinjaExpr?
  var body: [JinjaNode]
  var otherwise: [JinjaNode]
  var location: JinjaSourceLocation
}

struct JinjaMacro: Sendable {
  var name: String
  var parameters: [(name: String, defaultValue: JinjaExpr?)]
  var body: [JinjaNode]
  var location: JinjaSourceLocation
}

indirect enum JinjaNode: Sendable {
  /// Literal template text, already trimmed by the lexer's whitespace rules.
  case text(String)
  /// `{{ expr }}` or `{% print expr %}`.
  case output(JinjaExpr)
  case conditional(branches: [(condition: JinjaExpr, body: [JinjaNode])], otherwise: [JinjaNode])
  case forLoop(JinjaForLoop)
  case assign(JinjaTarget, JinjaExpr, JinjaSourceLocation)
  /// `{% set x | filters %}body{% endset %}`.
  case assignBlock(JinjaTarget, [JinjaFilterCall], [JinjaNode], JinjaSourceLocation)
  case macro(JinjaMacro)
  /// `{% call %}`: the `caller` macro and the call expression it is passed to.
  case callBlock(JinjaMacro, JinjaExpr)
  /// `{% filter name %}body{% endfilter %}`.
  case filterBlock([JinjaFilterCall], [JinjaNode])
  /// `{% with a = x %}body{% endwith %}`.
  case with([(target: JinjaTarget, value: JinjaExpr)], [JinjaNode])
  /// A body rendered in its own scope (transformers' `{% generation %}` tag).
  case scoped([JinjaNode])
  case loopBreak
  case loopContinue
}
