/// GPT-2's split pattern as a scanner:
/// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`.
///
/// At each position the alternatives are tried in order, as the regex engine does: a
/// lowercase contraction; an optional U+0020 followed by a run of letters, of numbers, or of
/// other non-space characters; then whitespace, which keeps its last character for the next
/// match when a non-space follows (`\s+(?!\S)`), unless the run is a single character (`\s+`).
enum GPT2Scanner {
  static func matches(_ s: [Unicode.Scalar], _ classes: [ScalarClass]) -> [Range<Int>] {
    let n = s.count
    var out: [Range<Int>] = []
    out.reserveCapacity(n / 3 + 1)
    var i = 0
    while i < n {
      let end = matchEnd(s, classes, at: i)
      out.append(i..<end)
      i = end
    }
    return out
  }

  @inline(__always)
  static func matchEnd(_ s: [Unicode.Scalar], _ classes: [ScalarClass], at i: Int) -> Int {
    let n = s.count
    let c = s[i]
    if c == "'", let end = contractionEnd(s, at: i) { return end }
    // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`: the optional space only helps when the
    // next scalar starts the run (a space itself is whitespace, so no run starts on it).
    let start = (c == " " && i + 1 < n) ? i + 1 : i
    let cls = classes[start]
    if cls != .whitespace {
      return ScannerSupport.runEnd(classes, from: start, cls)
    }
    let runEnd = ScannerSupport.runEnd(classes, from: i, .whitespace)
    return ScannerSupport.whitespaceMatchEnd(start: i, runEnd: runEnd, count: n)
  }

  /// The end of `'s|'t|'re|'ve|'m|'ll|'d` at `i` (which holds `'`), case-sensitive.
  @inline(__always)
  static func contractionEnd(_ s: [Unicode.Scalar], at i: Int) -> Int? {
    guard i + 1 < s.count else { return nil }
    switch s[i + 1] {
    case "s", "t", "m", "d": return i + 2
    case "r", "v":
      return i + 2 < s.count && s[i + 2] == "e" ? i + 3 : nil
    case "l":
      return i + 2 < s.count && s[i + 2] == "l" ? i + 3 : nil
    default: return nil
    }
  }
}
