import Foundation

/// A judge's prompt template: text with `{{name}}` placeholders (`prompt`, `completion`, `a`,
/// `b`, `rubric`, or any extra column). The defaults ship as files in `Templates/`; a user
/// passes their own file to override one.
public struct JudgePrompt: Sendable, Equatable {
  public var text: String

  public init(text: String) { self.text = text }

  /// Reads a template file (a user override).
  public init(contentsOf url: URL) throws {
    do {
      text = try String(contentsOf: url, encoding: .utf8)
    } catch {
      throw JudgeError.unreadableTemplate(file: url.path, reason: error.localizedDescription)
    }
  }

  /// One of the bundled defaults: `pointwise_additive`, `correctness_yes_no`, `pairwise`, `rubric`.
  public static func bundled(_ name: String) throws -> JudgePrompt {
    guard
      let url = Bundle.module.url(
        forResource: name, withExtension: "txt", subdirectory: "Templates")
        ?? Bundle.module.url(forResource: name, withExtension: "txt")
    else {
      throw JudgeError.unreadableTemplate(
        file: "\(name).txt", reason: "not among the bundled templates")
    }
    return try JudgePrompt(contentsOf: url)
  }

  /// The names of the `{{name}}` placeholders the template uses, in order of first use.
  /// A placeholder is `{{` + an identifier (letters, digits, `_`, `-`; surrounding spaces
  /// allowed) + `}}`; any other `{{…}}` is literal text.
  public var placeholders: [String] {
    var names: [String] = []
    for piece in Self.pieces(of: text) {
      if case .placeholder(let name) = piece, !names.contains(name) { names.append(name) }
    }
    return names
  }

  /// The template filled from an item: `prompt`, `completion`, then the item's columns, then
  /// `defaults`. Only the placeholders the template names are looked up, so no other column
  /// reaches the judge.
  ///
  /// - Throws: ``JudgeError/missingPlaceholder(name:)`` when a named placeholder has no value.
  public func render(_ item: ScoringItem, defaults: [String: String] = [:]) throws(JudgeError)
    -> String
  {
    try render { name in
      switch name {
      case "prompt": return item.prompt
      case "completion": return item.completion
      default: return item.columns[name] ?? defaults[name]
      }
    }
  }

  /// The template with each placeholder replaced by its value.
  ///
  /// - Throws: ``JudgeError/missingPlaceholder(name:)`` when a named placeholder has no value.
  public func render(_ values: [String: String]) throws(JudgeError) -> String {
    try render { values[$0] }
  }

  /// One pass over the template: each placeholder is replaced by `value(name)`, inserted
  /// literally (a value that itself contains `{{answer}}` stays as it is), so the same values
  /// give the same text byte for byte.
  func render(_ value: (String) -> String?) throws(JudgeError) -> String {
    var out = ""
    for piece in Self.pieces(of: text) {
      switch piece {
      case .text(let t): out += t
      case .placeholder(let name):
        guard let v = value(name) else { throw .missingPlaceholder(name: name) }
        out += v
      }
    }
    return out
  }

  enum Piece: Equatable {
    case text(Substring)
    case placeholder(String)
  }

  /// The template cut into literal text and placeholders.
  static func pieces(of text: String) -> [Piece] {
    var pieces: [Piece] = []
    var rest = text[...]
    while let open = rest.range(of: "{{") {
      guard let close = rest[open.upperBound...].range(of: "}}") else { break }
      let inner = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
      let isName =
        !inner.isEmpty
        && inner.unicodeScalars.allSatisfy {
          ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)))
            || $0 == "_" || $0 == "-"
        }
      if isName {
        if open.lowerBound > rest.startIndex { pieces.append(.text(rest[..<open.lowerBound])) }
        pieces.append(.placeholder(inner))
        rest = rest[close.upperBound...]
      } else {
        pieces.append(.text(rest[..<open.upperBound]))
        rest = rest[open.upperBound...]
      }
    }
    if !rest.isEmpty { pieces.append(.text(rest)) }
    return pieces
  }
}

/// A judge could not produce a verdict.
public enum JudgeError: Error, CustomStringConvertible, Equatable {
  case unreadableTemplate(file: String, reason: String)
  /// The template names `{{name}}` and the item has no such column.
  case missingPlaceholder(name: String)
  case http(endpoint: String, status: Int, body: String)
  case timeout(endpoint: String, seconds: Double, attempts: Int)
  case transport(endpoint: String, reason: String)
  case malformedResponse(endpoint: String, reason: String)

  public var description: String {
    switch self {
    case .unreadableTemplate(let f, let r): return "\(f): cannot read judge template: \(r)"
    case .missingPlaceholder(let name):
      return "the judge template uses {{\(name)}}, and the row has no '\(name)' column"
    case .http(let e, let s, let b): return "\(e): HTTP \(s): \(b.prefix(200))"
    case .timeout(let e, let s, let n): return "\(e): no answer within \(s) s (\(n) attempts)"
    case .transport(let e, let r): return "\(e): \(r)"
    case .malformedResponse(let e, let r): return "\(e): unexpected response: \(r)"
    }
  }
}
