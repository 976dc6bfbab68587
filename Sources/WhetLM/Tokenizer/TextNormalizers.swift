/// Lowercases text (full Unicode case mapping).
public struct LowercaseNormalizer: Normalizer {
  /// A lowercasing normalizer.
  public init() {}
  public func normalize(_ text: String) -> String { text.lowercased() }
}

/// Prepends a fixed string to non-empty text (`tokenizers`' `Prepend`).
public struct PrependNormalizer: Normalizer {
  /// What is prepended.
  public let prefix: String

  /// A normalizer prepending `prefix`.
  public init(_ prefix: String) { self.prefix = prefix }

  public func normalize(_ text: String) -> String { text.isEmpty ? text : prefix + text }
}

/// Replaces every occurrence of a literal string (`tokenizers`' `Replace` with a `String`
/// pattern).
public struct ReplaceNormalizer: Normalizer {
  /// The literal text to find.
  public let pattern: String
  /// What replaces it.
  public let content: String

  /// A normalizer replacing `pattern` with `content`.
  public init(pattern: String, content: String) {
    self.pattern = pattern
    self.content = content
  }

  public func normalize(_ text: String) -> String {
    let needle = Array(pattern.unicodeScalars)
    guard !needle.isEmpty else { return text }
    let haystack = Array(text.unicodeScalars)
    var out = String.UnicodeScalarView()
    var i = 0
    while i < haystack.count {
      if haystack[i] == needle[0] && i + needle.count <= haystack.count
        && haystack[i..<(i + needle.count)].elementsEqual(needle)
      {
        out.append(contentsOf: content.unicodeScalars)
        i += needle.count
      } else {
        out.append(haystack[i])
        i += 1
      }
    }
    return String(out)
  }
}
