/// Decodes ids one at a time, returning only text that can no longer change.
///
/// With a byte-level decoder, each token's bytes are appended to a buffer; complete UTF-8 text
/// is returned and a trailing incomplete sequence (an emoji whose bytes arrive as separate
/// tokens) is held back until it completes. Bytes that can no longer complete become U+FFFD,
/// exactly as `decode` would render them, so the concatenated output equals
/// `decode(allIDs)`. ``finish()`` flushes whatever is still held.
///
/// For other decoders it decodes a small window of recent ids and holds output while it ends
/// in U+FFFD, as `tokenizers`' `DecodeStream` does.
public struct StreamingDecoder: Sendable {
  /// The tokenizer whose vocabulary and decoder are used.
  public let tokenizer: Tokenizer
  /// Special tokens produce no text.
  public let skipSpecialTokens: Bool

  private var pending: [UInt8] = []
  // Fallback for decoders without a per-token byte mapping.
  private var window: [Int] = []
  private var windowText: [Unicode.Scalar] = []
  private var holding = false

  /// A streaming decoder for `tokenizer`.
  public init(tokenizer: Tokenizer, skipSpecialTokens: Bool = false) {
    self.tokenizer = tokenizer
    self.skipSpecialTokens = skipSpecialTokens
  }

  /// Adds `id` and returns the text that became final (possibly empty).
  public mutating func append(_ id: Int) -> String {
    if skipSpecialTokens && tokenizer.isSpecial(id) { return "" }
    guard let token = tokenizer.token(id) else { return "" }
    if let decoder = tokenizer.decoder, let bytes = decoder.bytes(of: token) {
      pending.append(contentsOf: bytes)
      let held = UTF8Completion.incompleteSuffixLength(pending)
      let ready = pending.count - held
      guard ready > 0 else { return "" }
      let text = String(decoding: pending[..<ready], as: UTF8.self)
      pending.removeFirst(ready)
      return text
    }
    return appendWindowed(id)
  }

  /// Returns what is still held back (an unfinished UTF-8 sequence becomes U+FFFD) and resets
  /// the decoder.
  public mutating func finish() -> String {
    defer {
      pending.removeAll()
      window.removeAll()
      windowText.removeAll()
      holding = false
    }
    if !pending.isEmpty { return String(decoding: pending, as: UTF8.self) }
    if holding { return newText(tokenizer.decode(window, skipSpecialTokens: skipSpecialTokens)) }
    return ""
  }

  private mutating func appendWindowed(_ id: Int) -> String {
    window.append(id)
    let text = tokenizer.decode(window, skipSpecialTokens: skipSpecialTokens)
    if text.unicodeScalars.last == "\u{FFFD}" {
      holding = true
      return ""
    }
    holding = false
    let fresh = newText(text)
    // Keep the last id as context for decoders that treat the first token differently.
    window = [id]
    windowText = Array(
      tokenizer.decode(window, skipSpecialTokens: skipSpecialTokens).unicodeScalars)
    return fresh
  }

  private func newText(_ text: String) -> String {
    let scalars = Array(text.unicodeScalars)
    guard scalars.count >= windowText.count, scalars.starts(with: windowText) else { return text }
    return scalars.string(windowText.count..<scalars.count)
  }
}
