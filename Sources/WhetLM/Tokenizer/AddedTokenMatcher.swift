/// Finds added tokens in text the way `tokenizers`' `AddedVocabulary` does: leftmost-longest,
/// non-overlapping matches over the UTF-8 bytes, then the `single_word`, `lstrip` and `rstrip`
/// rules.
struct AddedTokenMatcher: Sendable {
  /// A piece of the text: either plain text or an added token.
  enum Segment: Equatable {
    case text(String)
    case token(Int)
  }

  private let patterns: [[UInt8]]
  private let tokens: [AddedToken]
  /// For each first byte, the indices of the patterns starting with it, longest first.
  private let byFirstByte: [[Int]]

  /// A matcher for `tokens`, whose contents are matched as given (already normalized if the
  /// tokens are matched against normalized text).
  init(_ tokens: [(pattern: String, token: AddedToken)]) {
    let usable = tokens.filter { !$0.pattern.isEmpty }
    let patterns = usable.map { Array($0.pattern.utf8) }
    self.patterns = patterns
    self.tokens = usable.map(\.token)
    var table = [[Int]](repeating: [], count: 256)
    for (i, p) in patterns.enumerated() { table[Int(p[0])].append(i) }
    for b in 0..<256 {
      // Longest first; among equal lengths, the earlier token wins, as in Aho-Corasick.
      table[b].sort {
        patterns[$0].count != patterns[$1].count ? patterns[$0].count > patterns[$1].count : $0 < $1
      }
    }
    self.byFirstByte = table
  }

  var isEmpty: Bool { patterns.isEmpty }

  /// `text` cut into plain text and added tokens, in order; no segment is empty text.
  func split(_ text: String) -> [Segment] {
    if patterns.isEmpty || text.isEmpty { return text.isEmpty ? [] : [.text(text)] }
    let bytes = Array(text.utf8)
    var segments: [Segment] = []
    var textStart = 0
    var p = 0
    while p < bytes.count {
      guard let (index, end) = longestMatch(bytes, at: p) else {
        p += 1
        continue
      }
      let token = tokens[index]
      var start = p
      var stop = end
      p = end
      if token.singleWord {
        let startsClean = start == 0 || !Self.endsWithWord(bytes, before: start)
        let stopsClean = stop == bytes.count || !Self.startsWithWord(bytes, at: stop)
        guard startsClean && stopsClean else { continue }
      }
      if token.lstrip { start = max(Self.whitespaceStart(bytes, before: start), textStart) }
      if token.rstrip { stop = Self.whitespaceEnd(bytes, from: stop) }
      if textStart < start {
        segments.append(.text(String(decoding: bytes[textStart..<start], as: UTF8.self)))
      }
      segments.append(.token(token.id))
      textStart = stop
      p = stop
    }
    if textStart < bytes.count {
      segments.append(.text(String(decoding: bytes[textStart...], as: UTF8.self)))
    }
    return segments
  }

  private func longestMatch(_ bytes: [UInt8], at p: Int) -> (Int, Int)? {
    for index in byFirstByte[Int(bytes[p])] {
      let pattern = patterns[index]
      let end = p + pattern.count
      guard end <= bytes.count else { continue }
      var k = 1
      while k < pattern.count && bytes[p + k] == pattern[k] { k += 1 }
      if k == pattern.count { return (index, end) }
    }
    return nil
  }

  // MARK: Whitespace and word boundaries (Rust regex `\s` and `\w`)

  /// The scalar that ends just before byte `end`, and where it starts.
  private static func scalar(endingAt end: Int, in bytes: [UInt8]) -> (Unicode.Scalar, Int)? {
    guard end > 0 else { return nil }
    var start = end - 1
    while start > 0 && end - start < 4 && bytes[start] & 0xC0 == 0x80 { start -= 1 }
    let s = String(decoding: bytes[start..<end], as: UTF8.self).unicodeScalars
    guard s.count == 1, let scalar = s.first else { return nil }
    return (scalar, start)
  }

  /// The scalar that starts at byte `start`, and where the next one starts.
  private static func scalar(startingAt start: Int, in bytes: [UInt8]) -> (Unicode.Scalar, Int)? {
    guard start < bytes.count else { return nil }
    let lead = bytes[start]
    let length = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2
    let end = min(start + length, bytes.count)
    guard let scalar = String(decoding: bytes[start..<end], as: UTF8.self).unicodeScalars.first
    else { return nil }
    return (scalar, end)
  }

  static func endsWithWord(_ bytes: [UInt8], before end: Int) -> Bool {
    guard let (s, _) = scalar(endingAt: end, in: bytes) else { return false }
    return isWordScalar(s)
  }

  static func startsWithWord(_ bytes: [UInt8], at start: Int) -> Bool {
    guard let (s, _) = scalar(startingAt: start, in: bytes) else { return false }
    return isWordScalar(s)
  }

  static func whitespaceStart(_ bytes: [UInt8], before end: Int) -> Int {
    var end = end
    while let (s, start) = scalar(endingAt: end, in: bytes), s.properties.isWhitespace {
      end = start
    }
    return end
  }

  static func whitespaceEnd(_ bytes: [UInt8], from start: Int) -> Int {
    var start = start
    while let (s, next) = scalar(startingAt: start, in: bytes), s.properties.isWhitespace {
      start = next
    }
    return start
  }
}
