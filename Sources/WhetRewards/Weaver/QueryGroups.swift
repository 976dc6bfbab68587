import WhetLM

/// Candidates grouped by query: which items (rows of a score or vote matrix) answer the same
/// prompt. Best-of-N, Weaver selection and per-query normalisation work group by group.
public struct QueryGroups: Sendable, Equatable {
  /// Group keys in order of first appearance.
  public let ids: [Int]
  /// Item indices of each group, ascending, aligned with ``ids``.
  public let members: [[Int]]
  /// Group position (index into ``ids``) of every item.
  public let groupOfItem: [Int]

  /// Groups from one query key per item (items of a query need not be contiguous).
  public init(queryOfItem keys: [Int]) {
    var position: [Int: Int] = [:]
    var ids: [Int] = []
    var members: [[Int]] = []
    var groupOfItem = [Int](repeating: 0, count: keys.count)
    for (item, key) in keys.enumerated() {
      let g: Int
      if let existing = position[key] {
        g = existing
      } else {
        g = ids.count
        position[key] = g
        ids.append(key)
        members.append([])
      }
      members[g].append(item)
      groupOfItem[item] = g
    }
    self.ids = ids
    self.members = members
    self.groupOfItem = groupOfItem
  }

  /// Contiguous groups of `size` candidates each (`itemCount` must be a multiple of `size`).
  public init(itemCount: Int, candidatesPerQuery size: Int) throws(WeaverError) {
    guard size > 0, itemCount % size == 0 else {
      throw .invalidParameter("\(itemCount) items do not split into groups of \(size)")
    }
    self.init(queryOfItem: (0..<itemCount).map { $0 / size })
  }

  /// Number of groups.
  public var count: Int { ids.count }
  /// Number of items over all groups.
  public var itemCount: Int { groupOfItem.count }

  /// The item with the largest score in every group (ties → the lowest item index; items
  /// whose score is `nil` or NaN are skipped; `nil` when a group has no scored item).
  public func argmax(_ scores: [Double?]) throws(WeaverError) -> [Int?] {
    guard scores.count == itemCount else {
      throw .shapeMismatch(what: "scores per item", expected: itemCount, got: scores.count)
    }
    return members.map { items in
      var best: Int? = nil
      var bestScore = -Double.infinity
      for i in items {
        guard let s = scores[i], !s.isNaN else { continue }
        if best == nil || s > bestScore {
          best = i
          bestScore = s
        }
      }
      return best
    }
  }
}

extension QueryGroups {
  /// Candidate rows grouped by query: the `query` column when present, else the prompt, in
  /// first-seen order (what `whet select`, `whet eval`, `whet pairs` and the trainers agree on).
  public init(rows: [[String: JSONValue]]) {
    var index: [String: Int] = [:]
    self.init(
      queryOfItem: rows.map { row in
        let key = Self.key(row)
        if let i = index[key] { return i }
        index[key] = index.count
        return index.count - 1
      })
  }

  /// The grouping key of one row.
  public static func key(_ row: [String: JSONValue]) -> String {
    row["query"].map { "q" + $0.jsonText() } ?? "p" + (row["prompt"]?.jsonText() ?? "")
  }
}
