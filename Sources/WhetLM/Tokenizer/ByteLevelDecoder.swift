/// `tokenizers`' `ByteLevel` decoder: maps each token's characters back to bytes and decodes
/// the concatenation as UTF-8, with U+FFFD for each maximal invalid subsequence (Rust's
/// `String::from_utf8_lossy`). A token with a character outside the byte-level alphabet (an
/// added token such as `<think>` in some vocabularies) contributes its own UTF-8 bytes.
public struct ByteLevelDecoder: TokenDecoder {
  /// A byte-level decoder.
  public init() {}

  public func bytes(of token: String) -> [UInt8]? {
    ByteLevelAlphabet.bytes(of: token) ?? Array(token.utf8)
  }

  public func decodeChain(_ tokens: [String]) -> [String] {
    var bytes: [UInt8] = []
    for token in tokens {
      if let b = ByteLevelAlphabet.bytes(of: token) {
        bytes.append(contentsOf: b)
      } else {
        bytes.append(contentsOf: token.utf8)
      }
    }
    return [String(decoding: bytes, as: UTF8.self)]
  }
}
