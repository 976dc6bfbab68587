import WhetLM

/// 1 when the completion is valid JSON (and, with a schema, conforms to it), else 0.
///
/// The JSON is the content of the last fenced code block (```` ```json ```` or plain
/// ```` ``` ````) when there is one, else the whole completion, trimmed. The schema is the one
/// given here, or else the item's ``schemaColumn`` (JSON text) when present. A malformed
/// per-item schema makes the verifier abstain rather than score.
public struct JSONVerifier: ItemVerifier {
  public let name: String
  /// A schema applied to every item; `nil` to use the item's ``schemaColumn`` if any.
  public var schema: JSONSchema?
  /// The column that may hold a per-item schema as JSON text.
  public var schemaColumn: String

  /// A JSON verifier, optionally with a fixed schema.
  /// The schema column, when no schema is given.
  public var columnsRead: Set<String> { schema == nil ? [schemaColumn] : [] }

  public init(name: String = "json", schema: JSONSchema? = nil, schemaColumn: String = "schema") {
    self.name = name
    self.schema = schema
    self.schemaColumn = schemaColumn
  }

  public func verify(_ item: ScoringItem) -> Score {
    var activeSchema = schema
    if activeSchema == nil, let text = item.columns[schemaColumn] {
      do {
        activeSchema = try JSONSchema(text: text)
      } catch {
        return .abstain(reason: "column '\(schemaColumn)': \(error)")
      }
    }
    guard let value = try? JSONValue.parse(Self.jsonText(in: item.completion)) else {
      return .value(0)
    }
    guard let activeSchema else { return .value(1) }
    return .value(activeSchema.accepts(value) ? 1 : 0)
  }

  /// The last fenced block's body, or the trimmed text.
  static func jsonText(in completion: String) -> String {
    let fence = "```"
    let parts = completion.split(separator: fence, omittingEmptySubsequences: false)
    // Odd-indexed parts are fence bodies; require a closed fence.
    if parts.count >= 3 {
      let index = parts.count % 2 == 1 ? parts.count - 2 : parts.count - 3
      var body = parts[index]
      if let newline = body.firstIndex(of: "\n"),
        !body[..<newline].contains(where: { "{[\"".contains($0) })
      {
        body = body[body.index(after: newline)...]  // drop the info string (`json`)
      }
      return trim(body)
    }
    return trim(completion[...])
  }

  static func trim(_ s: Substring) -> String {
    String(s.drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
  }
}
