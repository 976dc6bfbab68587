/// A value in the chat-template runtime, mirroring the Python objects jinja2 works with.
///
/// Use it to pass extra template variables (`extra:` in ``ChatTemplate/render(messages:addGenerationPrompt:bosToken:eosToken:extra:)``),
/// for example tool schemas or `enable_thinking`. Literals convert directly:
/// `["enable_thinking": false, "date_string": "26 Jul 2024"]`.
public enum JinjaValue: Sendable, Equatable {
  /// A missing variable or attribute, like jinja2's default `Undefined`: renders as the empty
  /// string, is falsy, iterates as empty and fails `is defined`.
  case undefined
  /// Python `None`; renders as `None`.
  case none
  /// A boolean; renders as `True` / `False`.
  case bool(Bool)
  /// A Python `int` limited to 64 bits (overflow is reported as an error).
  case int(Int)
  /// A Python `float`; renders like Python's `repr` (`1.0`, `1e-05`).
  case double(Double)
  /// A Python `str`. Indexing, slicing and `length` count Unicode scalars, as Python does.
  case string(String)
  /// A Python list (tuples are represented as arrays too).
  case array([JinjaValue])
  /// A Python `dict` with string keys in insertion order (the order `tojson` and `items` use).
  case object(JinjaObject)
  /// A runtime-only value: a `namespace()`, macro, built-in function, bound method or `loop`.
  /// Clients cannot create these; they only exist while a template renders.
  case opaque(JinjaOpaque)
}

/// An insertion-ordered dictionary, the equivalent of a Python `dict`.
///
/// Keys are strings, numbers, booleans or `None` (Python's hashable scalars). They compare as
/// Python compares them: strings by Unicode scalars (not by Swift's canonical equivalence),
/// and `1`, `1.0` and `True` as the same key.
public struct JinjaObject: Sendable, Equatable, ExpressibleByDictionaryLiteral {
  /// The keys, in insertion order.
  public private(set) var keys: [JinjaValue] = []
  /// The values, parallel to ``keys``.
  public private(set) var values: [JinjaValue] = []

  /// An empty object.
  public init() {}

  /// An object with the given pairs in order; a repeated key keeps its first position and its
  /// last value, like a Python dict display.
  public init(_ pairs: [(String, JinjaValue)]) {
    for (key, value) in pairs { self[key] = value }
  }

  /// An object with keys of any hashable kind; see ``init(_:)-(String,JinjaValue)``.
  public init(keyed pairs: [(JinjaValue, JinjaValue)]) {
    for (key, value) in pairs { self[value: key] = value }
  }

  public init(dictionaryLiteral elements: (String, JinjaValue)...) {
    self.init(elements)
  }

  /// The number of entries.
  public var count: Int { keys.count }

  /// Whether the object has no entries.
  public var isEmpty: Bool { keys.isEmpty }

  /// Whether `key` can be a key (Python's `hash()` accepts it).
  public static func isHashable(_ key: JinjaValue) -> Bool {
    switch key {
    case .string, .int, .double, .bool, .none: return true
    default: return false
    }
  }

  /// The value for the string `key`, or `nil`. Assigning `nil` removes the entry.
  public subscript(key: String) -> JinjaValue? {
    get { self[value: .string(key)] }
    set { self[value: .string(key)] = newValue }
  }

  /// The value for `key`, or `nil`. Assigning `nil` removes the entry.
  public subscript(value key: JinjaValue) -> JinjaValue? {
    get {
      guard let index = index(of: key) else { return nil }
      return values[index]
    }
    set {
      if let index = index(of: key) {
        if let newValue {
          values[index] = newValue
        } else {
          keys.remove(at: index)
          values.remove(at: index)
        }
      } else if let newValue {
        keys.append(key)
        values.append(newValue)
      }
    }
  }

  /// The string keys, in insertion order (other keys left out).
  public var stringKeys: [String] {
    keys.compactMap { key -> String? in
      if case .string(let text) = key { return text }
      return nil
    }
  }

  private func index(of key: JinjaValue) -> Int? {
    keys.firstIndex { JinjaInterpreter.equals($0, key) }
  }

  /// Python dict equality: same keys and equal values, regardless of order.
  public static func == (lhs: JinjaObject, rhs: JinjaObject) -> Bool {
    guard lhs.count == rhs.count else { return false }
    for (key, value) in zip(lhs.keys, lhs.values) {
      guard let other = rhs[value: key], other == value else { return false }
    }
    return true
  }
}

/// A value that only exists while a template renders (namespace, macro, function, bound method,
/// loop object). Its contents are internal to the engine.
public struct JinjaOpaque: Sendable, Equatable {
  enum Kind: Sendable, Equatable {
    /// A `namespace()` object; the id indexes the interpreter's namespace storage.
    case namespace(Int)
    /// A global function such as `range` or `raise_exception`.
    case builtin(String)
    /// A macro; the id indexes the interpreter's macro table.
    case macro(Int, name: String)
    /// A method bound to its receiver, e.g. `content.split`.
    case method(String, JinjaBox)
    /// The `loop` variable of a `for` block; the box holds its attributes as an object.
    case loop(JinjaBox)
    /// A lazy iterator such as the generator `map` and `select` return, or `reverse`'s
    /// `list_reverseiterator`; the box holds its items as an array. It iterates, but has no
    /// length, no index and no JSON form, and it is always true, as in Python.
    case iterator(JinjaBox, typeName: String)
    /// A `markupsafe.Markup` string (what `safe` and `escape` return): it prints as its text,
    /// and a plain string added to it with `+` is HTML-escaped first.
    case markup(String)
    /// A `cycler(...)`; the id indexes the interpreter's cycler storage.
    case cycler(Int)
    /// A `joiner(sep)`; the id indexes the interpreter's joiner storage.
    case joiner(Int)
  }

  let kind: Kind

  init(_ kind: Kind) {
    self.kind = kind
  }
}

extension JinjaValue {
  /// A generator over `items` (what jinja2's `map`, `select`, `batch`, ... return).
  static func generator(_ items: [JinjaValue], typeName: String = "generator") -> JinjaValue {
    .opaque(JinjaOpaque(.iterator(JinjaBox(.array(items)), typeName: typeName)))
  }

  /// A `Markup` string.
  static func markup(_ text: String) -> JinjaValue { .opaque(JinjaOpaque(.markup(text))) }

  /// The text of a `Markup` string, or nil.
  var markupText: String? {
    if case .opaque(let opaque) = self, case .markup(let text) = opaque.kind { return text }
    return nil
  }

  /// The text of a `str` or `Markup`, or nil.
  var anyStringText: String? {
    if case .string(let text) = self { return text }
    return markupText
  }
}

/// Immutable reference wrapper that lets an opaque value refer to another value.
final class JinjaBox: Sendable, Equatable {
  let value: JinjaValue

  init(_ value: JinjaValue) {
    self.value = value
  }

  static func == (lhs: JinjaBox, rhs: JinjaBox) -> Bool {
    lhs === rhs || lhs.value == rhs.value
  }
}

extension JinjaValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
  ExpressibleByFloatLiteral, ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral,
  ExpressibleByDictionaryLiteral
{
  public init(stringLiteral value: String) { self = .string(value) }
  public init(integerLiteral value: Int) { self = .int(value) }
  public init(floatLiteral value: Double) { self = .double(value) }
  public init(booleanLiteral value: Bool) { self = .bool(value) }
  public init(arrayLiteral elements: JinjaValue...) { self = .array(elements) }
  public init(dictionaryLiteral elements: (String, JinjaValue)...) {
    self = .object(JinjaObject(elements))
  }
}

extension JinjaValue {
  /// Python truthiness: `None`, `False`, zero, empty strings and empty containers are falsy,
  /// and so is undefined.
  var isTruthy: Bool {
    switch self {
    case .undefined, .none: return false
    case .bool(let value): return value
    case .int(let value): return value != 0
    case .double(let value): return value != 0
    case .string(let value): return !value.isEmpty
    case .array(let value): return !value.isEmpty
    case .object(let value): return !value.isEmpty
    case .opaque: return true
    }
  }

  var isUndefined: Bool {
    if case .undefined = self { return true }
    return false
  }

  /// The Python type name, for error messages.
  var typeName: String {
    switch self {
    case .undefined: return "Undefined"
    case .none: return "NoneType"
    case .bool: return "bool"
    case .int: return "int"
    case .double: return "float"
    case .string: return "str"
    case .array: return "list"
    case .object: return "dict"
    case .opaque(let opaque):
      switch opaque.kind {
      case .namespace: return "Namespace"
      case .builtin: return "function"
      case .macro: return "Macro"
      case .method: return "builtin_function_or_method"
      case .loop: return "LoopContext"
      case .iterator(_, let typeName): return typeName
      case .markup: return "Markup"
      case .cycler: return "Cycler"
      case .joiner: return "Joiner"
      }
    }
  }

  /// The value as a Python number (`bool` counts as `int`), or `nil`.
  var number: JinjaNumber? {
    switch self {
    case .bool(let value): return .int(value ? 1 : 0)
    case .int(let value): return .int(value)
    case .double(let value): return .double(value)
    default: return nil
    }
  }

  /// The value as a Python integer index (`int` or `bool`), or `nil`.
  var integer: Int? {
    switch self {
    case .bool(let value): return value ? 1 : 0
    case .int(let value): return value
    default: return nil
    }
  }
}

/// A Python number after `bool` has been folded into `int`.
enum JinjaNumber {
  case int(Int)
  case double(Double)

  var doubleValue: Double {
    switch self {
    case .int(let value): return Double(value)
    case .double(let value): return value
    }
  }
}
