/// The character classes the pre-tokenizer patterns are written in: `\p{L}`, `\p{N}`, `\s`
/// and everything else.
enum ScalarClass: UInt8, Sendable {
  case letter, number, whitespace, other

  /// The class of `scalar`, following Oniguruma's Unicode definitions as Hugging Face
  /// `tokenizers` uses them: `\p{L}` is general categories Lu/Ll/Lt/Lm/Lo, `\p{N}` is Nd/Nl/No,
  /// `\s` is the White_Space property (U+0009–U+000D, U+0085, Zs, Zl, Zp).
  @inline(__always)
  init(_ scalar: Unicode.Scalar) {
    let v = scalar.value
    if v < 0x80 {
      self = ScalarClass.ascii[Int(v)]
      return
    }
    let properties = scalar.properties
    if properties.isWhitespace {
      self = .whitespace
      return
    }
    switch properties.generalCategory {
    case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
      self = .letter
    case .decimalNumber, .letterNumber, .otherNumber:
      self = .number
    default:
      self = .other
    }
  }

  private static let ascii: [ScalarClass] = (0..<128).map { v -> ScalarClass in
    switch v {
    case 0x09...0x0D, 0x20: return .whitespace
    case 0x30...0x39: return .number
    case 0x41...0x5A, 0x61...0x7A: return .letter
    default: return .other
    }
  }

  /// The classes of every scalar in `scalars`.
  static func classify(_ scalars: [Unicode.Scalar]) -> [ScalarClass] {
    scalars.map { ScalarClass($0) }
  }
}

/// Rust `regex`'s `\w` (used by added tokens marked `single_word`): alphabetic, marks, decimal
/// digits, connector punctuation and the joiners.
@inline(__always)
func isWordScalar(_ scalar: Unicode.Scalar) -> Bool {
  let p = scalar.properties
  if p.isAlphabetic || p.isJoinControl { return true }
  switch p.generalCategory {
  case .decimalNumber, .connectorPunctuation, .nonspacingMark, .spacingMark, .enclosingMark:
    return true
  default:
    return false
  }
}

extension Array where Element == Unicode.Scalar {
  /// The scalars in `range` as a `String`.
  @inline(__always)
  func string(_ range: Range<Int>) -> String {
    var view = String.UnicodeScalarView()
    view.append(contentsOf: self[range])
    return String(view)
  }
}
