/// Splits (normalized) text into the pieces the model encodes one by one ("pre-tokens"), and
/// may rewrite them (the byte-level stage maps bytes to printable characters).
public protocol PreTokenizer: Sendable {
  /// The pieces of `text`, in order. Pieces are never empty.
  func preTokenize(_ text: String) -> [String]
}

extension PreTokenizer {
  /// Applies this stage to every piece of `texts` and concatenates the results.
  public func preTokenize(_ texts: [String]) -> [String] {
    var out: [String] = []
    out.reserveCapacity(texts.count)
    for text in texts { out.append(contentsOf: preTokenize(text)) }
    return out
  }
}

/// Several pre-tokenizers applied in turn, each to every piece the previous one produced
/// (`tokenizers`' `Sequence`).
public struct SequencePreTokenizer: PreTokenizer {
  /// The stages, first to last.
  public let stages: [any PreTokenizer]

  /// A sequence of `stages`, applied first to last.
  public init(_ stages: [any PreTokenizer]) { self.stages = stages }

  public func preTokenize(_ text: String) -> [String] {
    var pieces = [text]
    for stage in stages { pieces = stage.preTokenize(pieces) }
    return pieces
  }
}
