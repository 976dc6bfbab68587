/// Llama 3's split pattern as a scanner (and Qwen 2's, with `maxDigits` 1):
/// `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`.
enum Llama3Scanner {
  static func matches(_ s: [Unicode.Scalar], _ classes: [ScalarClass], maxDigits: Int) -> [Range<
    Int
  >] {
    let n = s.count
    var out: [Range<Int>] = []
    out.reserveCapacity(n / 3 + 1)
    var i = 0
    while i < n {
      let end = matchEnd(s, classes, at: i, maxDigits: maxDigits)
      out.append(i..<end)
      i = end
    }
    return out
  }

  @inline(__always)
  static func isNewline(_ c: Unicode.Scalar) -> Bool { c == "\n" || c == "\r" }

  static func matchEnd(_ s: [Unicode.Scalar], _ classes: [ScalarClass], at i: Int, maxDigits: Int)
    -> Int
  {
    let n = s.count
    let c = s[i]
    let cls = classes[i]
    // (?i:'s|'t|'re|'ve|'m|'ll|'d)
    if c == "'", let end = contractionEnd(s, at: i) { return end }
    // [^\r\n\p{L}\p{N}]?\p{L}+
    if cls == .letter { return ScannerSupport.runEnd(classes, from: i, .letter) }
    if cls != .number && !isNewline(c) && i + 1 < n && classes[i + 1] == .letter {
      return ScannerSupport.runEnd(classes, from: i + 1, .letter)
    }
    // \p{N}{1,3}
    if cls == .number {
      var end = i + 1
      while end < n && end - i < maxDigits && classes[end] == .number { end += 1 }
      return end
    }
    // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
    let start = (c == " " && i + 1 < n) ? i + 1 : i
    if classes[start] == .other {
      var end = ScannerSupport.runEnd(classes, from: start, .other)
      while end < n && isNewline(s[end]) { end += 1 }
      return end
    }
    // Only whitespace is left. `\s*[\r\n]+`: up to and including the run's last newline.
    let runEnd = ScannerSupport.runEnd(classes, from: i, .whitespace)
    var p = runEnd - 1
    while p >= i && !isNewline(s[p]) { p -= 1 }
    if p >= i { return p + 1 }
    // `\s+(?!\S)|\s+`
    return ScannerSupport.whitespaceMatchEnd(start: i, runEnd: runEnd, count: n)
  }

  /// The end of the case-insensitive contraction at `i` (which holds `'`). Case folding
  /// follows Oniguruma: `s` also matches U+017F LATIN SMALL LETTER LONG S.
  static func contractionEnd(_ s: [Unicode.Scalar], at i: Int) -> Int? {
    guard i + 1 < s.count else { return nil }
    func next(_ k: Int, _ letters: Unicode.Scalar...) -> Bool {
      i + k < s.count && letters.contains(s[i + k])
    }
    switch s[i + 1] {
    case "s", "S", "\u{017F}", "t", "T", "m", "M", "d", "D": return i + 2
    case "r", "R", "v", "V": return next(2, "e", "E") ? i + 3 : nil
    case "l", "L": return next(2, "l", "L") ? i + 3 : nil
    default: return nil
    }
  }
}
