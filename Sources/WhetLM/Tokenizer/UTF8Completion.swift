/// Splitting a byte buffer into the part that decodes to final text and a trailing incomplete
/// UTF-8 sequence that may still complete.
enum UTF8Completion {
  /// The number of bytes at the end of `bytes` that form a valid but incomplete UTF-8
  /// sequence (0 to 3): a lead byte followed by fewer continuation bytes than it needs, each
  /// allowed where it stands (so `E0 80`, an overlong prefix, is not held back).
  static func incompleteSuffixLength(_ bytes: [UInt8]) -> Int {
    let n = bytes.count
    var start = n - 1
    var continuations = 0
    while start >= 0 && continuations < 3 && bytes[start] & 0xC0 == 0x80 {
      start -= 1
      continuations += 1
    }
    guard start >= 0 else { return 0 }
    let lead = bytes[start]
    let needed: Int
    switch lead {
    case 0xC2...0xDF: needed = 2
    case 0xE0...0xEF: needed = 3
    case 0xF0...0xF4: needed = 4
    default: return 0
    }
    let have = n - start
    guard have < needed else { return 0 }
    if have >= 2 {
      let second = bytes[start + 1]
      let allowed: ClosedRange<UInt8>
      switch lead {
      case 0xE0: allowed = 0xA0...0xBF
      case 0xED: allowed = 0x80...0x9F
      case 0xF0: allowed = 0x90...0xBF
      case 0xF4: allowed = 0x80...0x8F
      default: allowed = 0x80...0xBF
      }
      guard allowed.contains(second) else { return 0 }
    }
    return have
  }
}
