/// One source's vote on one item in a binary weak-supervision problem (ALGORITHMS.md §2).
public enum Vote: UInt8, Sendable, Hashable, CaseIterable {
  /// The source says the item is incorrect / negative (`y = 0`).
  case negative = 0
  /// The source says the item is correct / positive (`y = 1`).
  case positive = 1
  /// The source gave no verdict; label models ignore it.
  case abstain = 2
}

/// A binary vote matrix `L` (items × sources): every entry is 1, 0 or abstain.
///
/// The input of every ``LabelModel`` (ALGORITHMS.md §2, "Input: a vote matrix L (n items × m
/// sources)"). Votes are stored flat and row-major as `UInt8` codes (`Vote.rawValue`), one byte
/// per vote, so a million items × 20 sources is a single 20 MB buffer with no per-item objects.
public struct VoteMatrix: Sendable, Equatable {
  /// Source names, one per column.
  public let sources: [String]
  /// Number of items (rows).
  public let itemCount: Int
  /// Row-major vote codes: `codes[item * sourceCount + source]` is a `Vote.rawValue`.
  public let codes: [UInt8]

  /// Number of sources (columns).
  public var sourceCount: Int { sources.count }

  /// A matrix from flat row-major codes (0 = negative, 1 = positive, 2 = abstain).
  public init(sources: [String], itemCount: Int, codes: [UInt8]) throws(LabelModelError) {
    guard itemCount >= 0 else { throw .invalidParameter("itemCount \(itemCount) < 0") }
    guard codes.count == itemCount * sources.count else {
      throw .shapeMismatch(expected: itemCount * sources.count, got: codes.count)
    }
    let m = sources.count
    if let bad = codes.firstIndex(where: { $0 > 2 }) {
      throw .invalidVote(code: codes[bad], item: bad / max(m, 1), source: bad % max(m, 1))
    }
    self.sources = sources
    self.itemCount = itemCount
    self.codes = codes
  }

  /// A matrix from one row of votes per item.
  public init(sources: [String], rows: [[Vote]]) throws(LabelModelError) {
    var codes = [UInt8]()
    codes.reserveCapacity(rows.count * sources.count)
    for row in rows {
      guard row.count == sources.count else {
        throw .shapeMismatch(expected: sources.count, got: row.count)
      }
      for v in row { codes.append(v.rawValue) }
    }
    try self.init(sources: sources, itemCount: rows.count, codes: codes)
  }

  /// Unchecked initialiser for codes already known to be valid.
  init(uncheckedSources sources: [String], itemCount: Int, codes: [UInt8]) {
    self.sources = sources
    self.itemCount = itemCount
    self.codes = codes
  }

  /// The vote of `source` on `item`.
  public subscript(item: Int, source: Int) -> Vote {
    Vote(rawValue: codes[item * sourceCount + source]) ?? .abstain
  }

  /// All votes of one source, in item order.
  public func column(_ source: Int) -> [Vote] {
    (0..<itemCount).map { self[$0, source] }
  }

  /// Counts of (negative, positive, abstain) votes of `source`.
  public func voteCounts(source: Int) -> (negative: Int, positive: Int, abstain: Int) {
    var counts = (0, 0, 0)
    let m = sourceCount
    codes.withUnsafeBufferPointer { c in
      var i = source
      while i < c.count {
        switch c[i] {
        case 0: counts.0 += 1
        case 1: counts.1 += 1
        default: counts.2 += 1
        }
        i += m
      }
    }
    return (counts.0, counts.1, counts.2)
  }

  /// Share of positive votes among the source's non-abstaining votes (`nil` if it always abstains).
  public func positiveRate(source: Int) -> Double? {
    let c = voteCounts(source: source)
    let voted = c.negative + c.positive
    return voted == 0 ? nil : Double(c.positive) / Double(voted)
  }

  /// Share of items on which the source abstains.
  public func abstainRate(source: Int) -> Double {
    itemCount == 0 ? 0 : Double(voteCounts(source: source).abstain) / Double(itemCount)
  }

  /// The matrix restricted to the given source columns, in the given order.
  public func selectingSources(_ indices: [Int]) throws(LabelModelError) -> VoteMatrix {
    for j in indices where !(0..<sourceCount).contains(j) {
      throw .invalidParameter("source index \(j) out of range 0..<\(sourceCount)")
    }
    let m = sourceCount
    let k = indices.count
    var out = [UInt8](repeating: 2, count: itemCount * k)
    codes.withUnsafeBufferPointer { c in
      out.withUnsafeMutableBufferPointer { o in
        for i in 0..<itemCount {
          for (jj, j) in indices.enumerated() { o[i * k + jj] = c[i * m + j] }
        }
      }
    }
    return VoteMatrix(
      uncheckedSources: indices.map { sources[$0] }, itemCount: itemCount, codes: out)
  }

  /// The matrix with one more source column appended.
  public func appendingSource(named name: String, votes: [Vote]) throws(LabelModelError)
    -> VoteMatrix
  {
    guard votes.count == itemCount else {
      throw .shapeMismatch(expected: itemCount, got: votes.count)
    }
    let m = sourceCount
    var out = [UInt8]()
    out.reserveCapacity(itemCount * (m + 1))
    for i in 0..<itemCount {
      out.append(contentsOf: codes[(i * m)..<(i * m + m)])
      out.append(votes[i].rawValue)
    }
    return VoteMatrix(uncheckedSources: sources + [name], itemCount: itemCount, codes: out)
  }
}
