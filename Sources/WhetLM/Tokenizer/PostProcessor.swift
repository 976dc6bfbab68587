/// Adds special tokens around an encoded sequence (BOS, EOS, CLS/SEP, ...).
public protocol PostProcessor: Sendable {
  /// `ids` with the special tokens this processor adds when `addSpecialTokens` is true, and
  /// unchanged otherwise.
  func process(_ ids: [Int], addSpecialTokens: Bool) -> [Int]
}

/// Surrounds a single sequence with fixed ids: `tokenizers`' `TemplateProcessing` (single
/// template), `BertProcessing` and `RobertaProcessing`, and GGUF's `add_bos_token` /
/// `add_eos_token`.
public struct TemplatePostProcessor: PostProcessor {
  /// Ids placed before the sequence.
  public let prefix: [Int]
  /// Ids placed after the sequence.
  public let suffix: [Int]

  /// A processor adding `prefix` before and `suffix` after the sequence.
  public init(prefix: [Int] = [], suffix: [Int] = []) {
    self.prefix = prefix
    self.suffix = suffix
  }

  public func process(_ ids: [Int], addSpecialTokens: Bool) -> [Int] {
    guard addSpecialTokens else { return ids }
    return prefix + ids + suffix
  }
}

/// Leaves ids unchanged (`tokenizers`' `ByteLevel` post-processor only trims offsets).
public struct IdentityPostProcessor: PostProcessor {
  /// An identity post-processor.
  public init() {}
  public func process(_ ids: [Int], addSpecialTokens: Bool) -> [Int] { ids }
}

/// Several post-processors applied in turn.
public struct SequencePostProcessor: PostProcessor {
  /// The stages, first to last.
  public let stages: [any PostProcessor]

  /// A sequence of `stages`, applied first to last.
  public init(_ stages: [any PostProcessor]) { self.stages = stages }

  public func process(_ ids: [Int], addSpecialTokens: Bool) -> [Int] {
    stages.reduce(ids) { $1.process($0, addSpecialTokens: addSpecialTokens) }
  }
}
