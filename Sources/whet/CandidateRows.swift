import ArgumentParser
import Foundation
import WhetData
import WhetEval
import WhetLM
import WhetRewards

/// The score columns to use: all of them, or those named by `only`, less `exclude`.
func chooseScoreColumns(_ rows: [[String: JSONValue]], only: [String], exclude: [String]) throws
  -> [String]
{
  let all = CandidateEvaluation.scoreSources(rows)
  for name in only + exclude where !all.contains(name) {
    throw ValidationError(
      "no score column '\(name)' in the data (columns: \(all.joined(separator: ", ")))")
  }
  return all.filter { (only.isEmpty || only.contains($0)) && !exclude.contains($0) }
}

/// The columns the source behind score column `name` read: as `whet score` recorded them in
/// `score_inputs`, else what the verifier of that name reads. A column of unknown origin
/// (scored by another tool) is an error: nobody can say whether it saw the label.
func columnsRead(by name: String, in rows: [[String: JSONValue]]) throws -> Set<String> {
  var recorded: Set<String>?
  for row in rows {
    guard let list = row["score_inputs"]?.objectValue?[name]?.arrayValue else { continue }
    recorded = (recorded ?? []).union(list.compactMap(\.stringValue))
  }
  if let recorded { return recorded }
  if let verifier = try? VerifierRegistry.make(name) { return verifier.columnsRead }
  throw ValidationError(
    "cannot tell which columns score '\(name)' read (no score_inputs from whet score): leave it out with --exclude \(name), or pass --allow-labels"
  )
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
