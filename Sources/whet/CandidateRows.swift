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
