/// The decoders of SentencePiece-style `tokenizer.json` files (Llama 2, Mistral, Gemma),
/// as `tokenizers` defines them.

/// Replaces every occurrence of `pattern` in each token by `content` (`Replace`).
public struct ReplaceDecoder: TokenDecoder {
  public let pattern: String
  public let content: String

  public init(pattern: String, content: String) {
    self.pattern = pattern
    self.content = content
  }

  public func decodeChain(_ tokens: [String]) -> [String] {
    tokens.map { $0.replacingOccurrences(of: pattern, with: content) }
  }
}

/// Turns runs of `<0xXX>` byte tokens into the text their bytes spell; bytes that do not
/// form valid UTF-8 become one U+FFFD per token (`ByteFallback`).
public struct ByteFallbackDecoder: TokenDecoder {
  public init() {}

  static func byte(_ token: String) -> UInt8? {
    guard token.count == 6, token.hasPrefix("<0x"), token.hasSuffix(">") else { return nil }
    return UInt8(token.dropFirst(3).dropLast(), radix: 16)
  }

  public func decodeChain(_ tokens: [String]) -> [String] {
    var out: [String] = []
    var pending: [UInt8] = []
    func flush() {
      guard !pending.isEmpty else { return }
      if let text = String(validating: pending, as: UTF8.self) {
        out.append(text)
      } else {
        out.append(contentsOf: Array(repeating: "\u{FFFD}", count: pending.count))
      }
      pending = []
    }
    for token in tokens {
      if let b = Self.byte(token) {
        pending.append(b)
      } else {
        flush()
        out.append(token)
      }
    }
    flush()
    return out
  }
}

/// Joins every token into one (`Fuse`).
public struct FuseDecoder: TokenDecoder {
  public init() {}
  public func decodeChain(_ tokens: [String]) -> [String] { [tokens.joined()] }
}

/// Removes up to `start` leading and `stop` trailing `content` characters from each token
/// (`Strip`).
public struct StripDecoder: TokenDecoder {
  public let content: Character
  public let start: Int
  public let stop: Int

  public init(content: Character, start: Int, stop: Int) {
    self.content = content
    self.start = start
    self.stop = stop
  }

  public func decodeChain(_ tokens: [String]) -> [String] {
    tokens.map { token in
      var chars = Array(token)
      var left = 0
      while left < start, left < chars.count, chars[left] == content { left += 1 }
      var right = chars.count
      var removed = 0
      while removed < stop, right > left, chars[right - 1] == content {
        right -= 1
        removed += 1
      }
      chars = Array(chars[left..<right])
      return String(chars)
    }
  }
}

/// `Metaspace`'s decoder: `▁` back to spaces, and the prepended one dropped from the first
/// token (unless the scheme is `never`).
public struct MetaspaceDecoder: TokenDecoder {
  public let replacement: Character
  public let prependScheme: MetaspacePreTokenizer.PrependScheme

  public init(replacement: Character, prependScheme: MetaspacePreTokenizer.PrependScheme) {
    self.replacement = replacement
    self.prependScheme = prependScheme
  }

  public func decodeChain(_ tokens: [String]) -> [String] {
    tokens.enumerated().map { i, token in
      var text = String(token.map { $0 == replacement ? " " : $0 })
      if i == 0, prependScheme != .never, text.hasPrefix(" ") { text.removeFirst() }
      return text
    }
  }
}
