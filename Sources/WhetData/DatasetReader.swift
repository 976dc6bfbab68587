import Foundation

/// Reads a JSONL dataset as typed ``DatasetRow``s, streaming.
///
/// ```swift
/// let reader = try DatasetReader(url: url, required: ["answer"])
/// while let entry = try reader.next() { print(entry.line, entry.row.format) }
/// ```
public final class DatasetReader {
  private let lines: JSONLReader
  /// Extra columns every row must have.
  public let required: [String]

  /// Opens the JSONL file at `url`; rows must have the `required` extra columns.
  public init(url: URL, required: [String] = []) throws(DatasetError) {
    lines = try JSONLReader(url: url)
    self.required = required
  }

  /// Reads JSONL held in memory; `name` stands for the file in errors.
  public init(text: String, name: String = "<memory>", required: [String] = []) {
    lines = JSONLReader(text: text, name: name)
    self.required = required
  }

  /// The next row and its 1-based line, or `nil` at the end.
  public func next() throws(DatasetError) -> (line: Int, row: DatasetRow)? {
    guard let object = try lines.next() else { return nil }
    let row = try DatasetRow(
      object: object, file: lines.file, line: lines.lineNumber, required: required)
    return (lines.lineNumber, row)
  }

  /// Every remaining row.
  public func readAll() throws(DatasetError) -> [DatasetRow] {
    var rows: [DatasetRow] = []
    while let entry = try next() { rows.append(entry.row) }
    return rows
  }

  /// Every row of the file at `url`.
  public static func load(_ url: URL, required: [String] = []) throws(DatasetError) -> [DatasetRow]
  {
    try DatasetReader(url: url, required: required).readAll()
  }
}
