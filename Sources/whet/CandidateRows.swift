import Foundation
import WhetEval
import WhetLM
import WhetRewards

/// Candidates grouped by query: the `query` column when present, else the prompt text.
func queryGroups(_ rows: [[String: JSONValue]]) -> QueryGroups {
  var index: [String: Int] = [:]
  return QueryGroups(
    queryOfItem: rows.map { row in
      let key = row["query"].map { $0.jsonText() } ?? row["prompt"]?.jsonText() ?? ""
      if let i = index[key] { return i }
      index[key] = index.count
      return index.count - 1
    })
}

/// The names of every score column in the rows' `scores` objects, sorted.
func scoreSources(_ rows: [[String: JSONValue]]) -> [String] {
  Array(Set(rows.flatMap { $0["scores"]?.objectValue?.keys.map { $0 } ?? [] })).sorted()
}

/// Every row of the JSONL file at `path`. Each row must hold the `strings` columns as strings
/// and the `present` columns in any form; otherwise the error names the file, line and column.
func readRows(_ path: String, strings: [String] = [], present: [String] = []) throws
  -> [[String: JSONValue]]
{
  let reader = try JSONLReader(url: URL(fileURLWithPath: path))
  var rows: [[String: JSONValue]] = []
  while let row = try reader.next() {
    for field in strings where row[field]?.stringValue == nil {
      throw DatasetError.missingField(file: reader.file, line: reader.lineNumber, field: field)
    }
    for field in present where row[field] == nil {
      throw DatasetError.missingField(file: reader.file, line: reader.lineNumber, field: field)
    }
    rows.append(row)
  }
  return rows
}
