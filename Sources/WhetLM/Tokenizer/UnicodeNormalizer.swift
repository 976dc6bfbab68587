import Foundation

/// Unicode normalization: NFC, NFD, NFKC or NFKD.
public struct UnicodeNormalizer: Normalizer {
  /// A Unicode normalization form.
  public enum Form: String, Sendable, CaseIterable {
    case nfc = "NFC", nfd = "NFD", nfkc = "NFKC", nfkd = "NFKD"
  }

  /// The form text is put in.
  public let form: Form

  /// A normalizer to `form`.
  public init(_ form: Form) { self.form = form }

  public func normalize(_ text: String) -> String {
    switch form {
    case .nfc: return text.precomposedStringWithCanonicalMapping
    case .nfd: return text.decomposedStringWithCanonicalMapping
    case .nfkc: return text.precomposedStringWithCompatibilityMapping
    case .nfkd: return text.decomposedStringWithCompatibilityMapping
    }
  }
}
