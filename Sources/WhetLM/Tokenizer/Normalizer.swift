/// Rewrites raw text before pre-tokenization (Unicode normalization, lowercasing, ...).
/// GPT-2-family tokenizers, SmolLM2 included, have none.
public protocol Normalizer: Sendable {
  /// The normalized form of `text`.
  func normalize(_ text: String) -> String
}

/// Leaves text unchanged.
public struct IdentityNormalizer: Normalizer {
  /// An identity normalizer.
  public init() {}
  public func normalize(_ text: String) -> String { text }
}

/// Several normalizers applied in turn (`tokenizers`' `Sequence`).
public struct SequenceNormalizer: Normalizer {
  /// The stages, first to last.
  public let stages: [any Normalizer]

  /// A sequence of `stages`, applied first to last.
  public init(_ stages: [any Normalizer]) { self.stages = stages }

  public func normalize(_ text: String) -> String {
    stages.reduce(text) { $1.normalize($0) }
  }
}
