/// GPT-2's byte-to-character table (`bytes_to_unicode`): every byte value gets a printable
/// character so that byte strings can be BPE vocabulary entries. Printable Latin-1 bytes map
/// to themselves; the other 68 (controls, space, U+007F–U+00A0, U+00AD) map to U+0100 onwards,
/// so a space is `Ġ` (U+0120) and a newline `Ċ` (U+010A).
public enum ByteLevelAlphabet {
  /// The character for each byte value.
  public static let characters: [Unicode.Scalar] = {
    var table = [Unicode.Scalar](repeating: "\0", count: 256)
    var next: UInt32 = 256
    for b in 0..<256 {
      let printable =
        (0x21...0x7E).contains(b) || (0xA1...0xAC).contains(b) || (0xAE...0xFF).contains(b)
      if printable {
        table[b] = Unicode.Scalar(UInt32(b))!
      } else {
        table[b] = Unicode.Scalar(next)!
        next += 1
      }
    }
    return table
  }()

  /// The byte for each character value below 324, or -1.
  static let bytesByScalar: [Int16] = {
    var table = [Int16](repeating: -1, count: 324)
    for (b, c) in characters.enumerated() { table[Int(c.value)] = Int16(b) }
    return table
  }()

  /// The byte `scalar` stands for, if it is in the alphabet.
  @inline(__always)
  public static func byte(for scalar: Unicode.Scalar) -> UInt8? {
    let v = Int(scalar.value)
    guard v < bytesByScalar.count else { return nil }
    let b = bytesByScalar[v]
    return b < 0 ? nil : UInt8(b)
  }

  /// `text`'s UTF-8 bytes spelled in the alphabet.
  public static func encode(_ text: String) -> String {
    var view = String.UnicodeScalarView()
    for b in text.utf8 { view.append(characters[Int(b)]) }
    return String(view)
  }

  /// Whether every character of `token` is in the alphabet.
  public static func contains(allOf token: String) -> Bool {
    token.unicodeScalars.allSatisfy { byte(for: $0) != nil }
  }

  /// The bytes `token` spells, or `nil` if a character is outside the alphabet.
  public static func bytes(of token: String) -> [UInt8]? {
    var out: [UInt8] = []
    out.reserveCapacity(token.unicodeScalars.count)
    for s in token.unicodeScalars {
      guard let b = byte(for: s) else { return nil }
      out.append(b)
    }
    return out
  }
}
