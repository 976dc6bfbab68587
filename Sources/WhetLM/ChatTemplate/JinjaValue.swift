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

/// An insertion-ordered dictionary with string keys, the equivalent of a Python `dict`.
///
/// Keys compare by Unicode scalars (like Python), not by Swift's canonical string equivalence.
public struct JinjaObject: Sendable, Equatable, ExpressibleByDictionaryLiteral {
  /// The keys, in insertion order.
  public private(set) var keys: [String] = []
  /// The values, parallel to ``keys``.
  public private(set) var values: [JinjaValue] = []

  /// An empty object.
  public init() {}

  /// An object with the given pairs in order; a repeated key keeps its first position and its
  /// last value, like a Python dict display.
  public init(_ pairs: [(String, JinjaValue)]) {
    for (key, value) in pairs { self[key] = value }
  }

  public init(dictionaryLiteral elements: (String, JinjaValue)...) {
    self.init(elements)
  }

  /// The number of entries.
  public var count: Int { keys.count }

  /// Whether the object has no entries.
  public var isEmpty: Bool { keys.isEmpty }

  /// The value for `key`, or `nil`. Assigning `nil` removes the entry.
  public subscript(key: String) -> JinjaValue? {
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

  /// The entries in insertion order.
  public var entries: [(key: String, value: JinjaValue)] {
    Array(zip(keys, values)).map { (key: $0.0, value: $0.1) }
  }

  private func index(of key: String) -> Int? {
    keys.firstIndex { JinjaText.equal($0, key) }
  }

  /// Python dict equality: same keys and equal values, regardless of order.
  public static func == (lhs: JinjaObject, rhs: JinjaObject) -> Bool {
    guard lhs.count == rhs.count else { return false }
    for (key, value) in zip(lhs.keys, lhs.values) {
      guard let other = rhs[key], other == value else { return false }
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
  }

  let kind: Kind

  init(_ kind: Kind) {
    self.kind = kind
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
