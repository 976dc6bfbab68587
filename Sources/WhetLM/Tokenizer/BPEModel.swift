import Synchronization

/// Byte-pair encoding with merge ranks, as `tokenizers`' `BPE` model applies it.
///
/// A pre-token starts as one symbol per Unicode scalar (for byte-level tokenizers, one per
/// byte). The adjacent pair with the lowest merge rank is merged, leftmost first on ties, until
/// no adjacent pair has a merge. Results are cached per pre-token.
public final class BPEModel: TokenizerModel {
  /// Token string to id.
  public let vocabulary: [String: Int]
  /// Unknown scalars become this id (when not covered by byte fallback); without one they are
  /// dropped, as in `tokenizers`.
  public let unknownTokenID: Int?
  /// Spell scalars missing from the vocabulary as `<0xNN>` byte tokens.
  public let byteFallback: Bool
  /// Consecutive unknown scalars become one unknown token.
  public let fuseUnknown: Bool
  /// A pre-token that is itself in the vocabulary is returned as is, without merging
  /// (Llama 3 sets this).
  public let ignoreMerges: Bool
  /// One more than the largest id in the vocabulary.
  public let vocabularySize: Int
  /// The number of merges.
  public let mergeCount: Int

  struct Merge {
    var rank: Int32
    var newID: Int32
  }

  private let tokensByID: [String?]
  private let merges: [UInt64: Merge]
  /// Ids of single-scalar tokens for scalars below `scalarTableSize`, or -1.
  private let scalarTable: [Int32]
  private let scalarDictionary: [UInt32: Int32]
  private let byteFallbackIDs: [Int32]
  private let cache = Mutex<[String: [Int]]>([:])
  private static let scalarTableSize = 0x800
  /// Cached pre-tokens kept before the cache is emptied.
  public static let cacheCapacity = 100_000

  /// A BPE model.
  ///
  /// - Parameters:
  ///   - vocabulary: token string to id.
  ///   - merges: the merge pairs, best (rank 0) first. Both sides and their concatenation must
  ///     be in the vocabulary. A pair listed twice keeps its later rank, as in `tokenizers`.
  ///   - unknownToken: the token standing for unknown scalars, if any.
  ///   - source: names the file in errors.
  /// - Throws: `TokenizerError.invalidVocabulary` or `.invalidMerge`.
  public convenience init(
    vocabulary: [String: Int], merges: [(String, String)], unknownToken: String? = nil,
    byteFallback: Bool = false, fuseUnknown: Bool = false, ignoreMerges: Bool = false,
    source: String = "<memory>"
  ) throws(TokenizerError) {
    try self.init(
      vocabulary: vocabulary,
      rankedMerges: merges.enumerated().map { ($0.element.0, $0.element.1, Int32($0.offset)) },
      unknownToken: unknownToken, byteFallback: byteFallback, fuseUnknown: fuseUnknown,
      ignoreMerges: ignoreMerges, source: source)
  }

  /// A BPE model whose merges carry explicit ranks; merges of equal rank apply leftmost
  /// first. `rankedMerges` entries are `(left, right, rank)`; errors name the entry's index.
  init(
    vocabulary: [String: Int], rankedMerges: [(String, String, Int32)], unknownToken: String?,
    byteFallback: Bool, fuseUnknown: Bool, ignoreMerges: Bool, source: String
  ) throws(TokenizerError) {
    var maxID = -1
    for (token, id) in vocabulary {
      guard id >= 0, id <= Int(Int32.max) else {
        throw .invalidVocabulary(file: source, reason: "token '\(token)' has id \(id)")
      }
      maxID = max(maxID, id)
    }
    var tokensByID = [String?](repeating: nil, count: maxID + 1)
    for (token, id) in vocabulary {
      if let other = tokensByID[id] {
        // Keep a deterministic choice when two strings share an id.
        if other < token { continue }
      }
      tokensByID[id] = token
    }
    self.vocabulary = vocabulary
    self.tokensByID = tokensByID
    self.vocabularySize = maxID + 1

    if let unknownToken {
      guard let id = vocabulary[unknownToken] else {
        throw .invalidVocabulary(
          file: source, reason: "unknown token '\(unknownToken)' is not in the vocabulary")
      }
      self.unknownTokenID = id
    } else {
      self.unknownTokenID = nil
    }
    self.byteFallback = byteFallback
    self.fuseUnknown = fuseUnknown
    self.ignoreMerges = ignoreMerges

    var table = [Int32](repeating: -1, count: Self.scalarTableSize)
    var dictionary: [UInt32: Int32] = [:]
    for (token, id) in vocabulary {
      var scalars = token.unicodeScalars.makeIterator()
      guard let first = scalars.next(), scalars.next() == nil else { continue }
      if first.value < Self.scalarTableSize {
        table[Int(first.value)] = Int32(id)
      } else {
        dictionary[first.value] = Int32(id)
      }
    }
    self.scalarTable = table
    self.scalarDictionary = dictionary
    self.byteFallbackIDs = (0..<256).map { b in
      vocabulary[Self.byteToken(UInt8(b))].map(Int32.init) ?? -1
    }

    var mergeTable: [UInt64: Merge] = [:]
    mergeTable.reserveCapacity(rankedMerges.count)
    for (index, (a, b, rank)) in rankedMerges.enumerated() {
      guard let left = vocabulary[a], let right = vocabulary[b] else {
        let missing = vocabulary[a] == nil ? a : b
        throw .invalidMerge(
          file: source, index: index, merge: "\(a) \(b)",
          reason: "'\(missing)' is not in the vocabulary")
      }
      guard let merged = vocabulary[a + b] else {
        throw .invalidMerge(
          file: source, index: index, merge: "\(a) \(b)",
          reason: "'\(a + b)' is not in the vocabulary")
      }
      mergeTable[Self.key(left, right)] = Merge(rank: rank, newID: Int32(merged))
    }
    self.merges = mergeTable
    self.mergeCount = rankedMerges.count
  }

  /// The byte-fallback token for `byte`, such as `<0x0A>`.
  public static func byteToken(_ byte: UInt8) -> String {
    let hex = String(byte, radix: 16, uppercase: true)
    return "<0x" + (byte < 16 ? "0" : "") + hex + ">"
  }

  @inline(__always)
  static func key(_ left: Int, _ right: Int) -> UInt64 {
    UInt64(UInt32(truncatingIfNeeded: left)) << 32 | UInt64(UInt32(truncatingIfNeeded: right))
  }

  public func token(for id: Int) -> String? {
    id >= 0 && id < tokensByID.count ? tokensByID[id] : nil
  }

  public func id(for token: String) -> Int? { vocabulary[token] }

  /// The rank of merging `left` and `right`, if they merge.
  public func mergeRank(_ left: String, _ right: String) -> Int? {
    guard let l = vocabulary[left], let r = vocabulary[right] else { return nil }
    return merges[Self.key(l, r)].map { Int($0.rank) }
  }

  public func tokenize(_ preToken: String) -> [Int] {
    if preToken.isEmpty { return [] }
    if let hit = cache.withLock({ $0[preToken] }) { return hit }
    let ids = encodeWord(preToken)
    cache.withLock { cache in
      if cache.count >= Self.cacheCapacity { cache.removeAll(keepingCapacity: true) }
      cache[preToken] = ids
    }
    return ids
  }

  /// Empties the pre-token cache.
  public func clearCache() {
    cache.withLock { $0.removeAll() }
  }

  @inline(__always)
  private func scalarID(_ scalar: Unicode.Scalar) -> Int32 {
    if scalar.value < Self.scalarTableSize { return scalarTable[Int(scalar.value)] }
    return scalarDictionary[scalar.value] ?? -1
  }

  /// The initial symbols of `word`: one per scalar, with byte fallback and unknown handling.
  private func initialSymbols(_ word: String) -> [Int32] {
    var symbols: [Int32] = []
    symbols.reserveCapacity(word.utf8.count)
    var previousWasUnknown = false
    for scalar in word.unicodeScalars {
      let id = scalarID(scalar)
      if id >= 0 {
        symbols.append(id)
        previousWasUnknown = false
        continue
      }
      if byteFallback {
        let bytes = Array(String(scalar).utf8)
        let ids = bytes.map { byteFallbackIDs[Int($0)] }
        if ids.allSatisfy({ $0 >= 0 }) {
          symbols.append(contentsOf: ids)
          previousWasUnknown = false
          continue
        }
      }
      guard let unknown = unknownTokenID else { continue }
      if fuseUnknown && previousWasUnknown { continue }
      symbols.append(Int32(unknown))
      previousWasUnknown = true
    }
    return symbols
  }

  private func encodeWord(_ word: String) -> [Int] {
    if ignoreMerges, let id = vocabulary[word] { return [id] }
    var ids = initialSymbols(word)
    let n = ids.count
    if n < 2 { return ids.map(Int.init) }

    var prev = [Int32](unsafeUninitializedCapacity: n) { buffer, count in
      for i in 0..<n { buffer[i] = Int32(i - 1) }
      count = n
    }
    var next = [Int32](unsafeUninitializedCapacity: n) { buffer, count in
      for i in 0..<n { buffer[i] = i + 1 < n ? Int32(i + 1) : -1 }
      count = n
    }
    var alive = [Bool](repeating: true, count: n)
    var queue = BPEMergeQueue(capacity: n)
    for i in 0..<(n - 1) {
      if let m = merges[Self.key(Int(ids[i]), Int(ids[i + 1]))] {
        queue.push(.init(rank: m.rank, position: Int32(i), newID: m.newID))
      }
    }
    while let top = queue.pop() {
      let pos = Int(top.position)
      guard alive[pos], next[pos] >= 0 else { continue }
      let right = Int(next[pos])
      // Skip entries that no longer describe the pair at this position.
      guard let current = merges[Self.key(Int(ids[pos]), Int(ids[right]))],
        current.newID == top.newID
      else {
        continue
      }
      ids[pos] = top.newID
      alive[right] = false
      let after = next[right]
      next[pos] = after
      if after >= 0 { prev[Int(after)] = Int32(pos) }
      let before = prev[pos]
      if before >= 0, let m = merges[Self.key(Int(ids[Int(before)]), Int(ids[pos]))] {
        queue.push(.init(rank: m.rank, position: before, newID: m.newID))
      }
      if after >= 0, let m = merges[Self.key(Int(ids[pos]), Int(ids[Int(after)]))] {
        queue.push(.init(rank: m.rank, position: Int32(pos), newID: m.newID))
      }
    }
    var out: [Int] = []
    out.reserveCapacity(n)
    for i in 0..<n where alive[i] { out.append(Int(ids[i])) }
    return out
  }
}
