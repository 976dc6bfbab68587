/// Turns token strings back into text (`tokenizers`' decoders).
public protocol TokenDecoder: Sendable {
  /// `tokenizers`' `decode_chain`: the decoded pieces, concatenated by the caller.
  func decodeChain(_ tokens: [String]) -> [String]

  /// The bytes one token decodes to, for decoders that map each token to bytes independently
  /// of its neighbours (byte-level); `nil` otherwise. The streaming decoder uses this to hold
  /// back incomplete UTF-8 sequences exactly.
  func bytes(of token: String) -> [UInt8]?
}

extension TokenDecoder {
  /// The text of `tokens`.
  public func decode(_ tokens: [String]) -> String { decodeChain(tokens).joined() }

  public func bytes(of token: String) -> [UInt8]? { nil }
}

/// Several decoders applied in turn (`tokenizers`' `Sequence`).
public struct SequenceDecoder: TokenDecoder {
  /// The stages, first to last.
  public let stages: [any TokenDecoder]

  /// A sequence of `stages`, applied first to last.
  public init(_ stages: [any TokenDecoder]) { self.stages = stages }

  public func decodeChain(_ tokens: [String]) -> [String] {
    stages.reduce(tokens) { $1.decodeChain($0) }
  }

  public func bytes(of token: String) -> [UInt8]? {
    // Only a sequence of one byte-level stage keeps the per-token byte mapping.
    stages.count == 1 ? stages[0].bytes(of: token) : nil
  }
}
