import WhetData
import WhetLM

/// Turns TRL-format rows into token sequences, as TRL's trainers tokenize them.
///
/// - Standard text: the prompt is encoded with the tokenizer's special tokens (BOS where the
///   tokenizer adds one), the completion without them, followed by EOS.
/// - Conversational: the prompt is rendered by the chat template with the generation prompt,
///   prompt and completion together without it; the completion is what the second adds to the
///   first, and must extend it (else the row is refused with the template named).
///
/// Truncation (documented policy): `maxPromptLength` keeps the **end** of the prompt (the part
/// next to the answer, TRL's `keep_end`); `maxLength` then cuts the completion's tail. A row
/// whose completion would be empty after truncation is an error, not a silent skip.
public struct ExampleBuilder {
  public var encoder: TextEncoder
  public var maxLength: Int?
  public var maxPromptLength: Int?
  /// Train on assistant turns only for `messages` rows (TRL's `assistant_only_loss`); all
  /// tokens otherwise.
  public var assistantOnlyLoss = false

  public init(encoder: TextEncoder, maxLength: Int? = nil, maxPromptLength: Int? = nil) {
    self.encoder = encoder
    self.maxLength = maxLength
    self.maxPromptLength = maxPromptLength
  }

  var eos: Int? { encoder.tokenizer.eosTokenID }

  /// The SFT sequence of a `text`, `messages` or `prompt`/`completion` row.
  public func sft(_ row: DatasetRow, file: String, line: Int) throws(ExampleError)
    -> TokenizedSequence
  {
    func fail(_ reason: String) -> ExampleError {
      ExampleError(file: file, line: line, reason: reason)
    }
    switch row.content {
    case .text(let text):
      var ids = encoder.tokenizer.encode(text, addSpecialTokens: true)
      if let eos, ids.last != eos { ids.append(eos) }
      return try truncated(TokenizedSequence(tokens: ids, trained: ids.map { _ in true }), fail)
    case .messages(let messages):
      return try truncated(try conversation(messages, fail), fail)
    case .promptCompletion(let prompt, let completion):
      let (p, c) = try split(prompt: prompt, completion: completion, fail)
      return try truncated(prompt: p, completion: c, fail)
    default:
      throw fail("SFT needs a `text`, `messages` or `prompt`/`completion` row, not \(row.format)")
    }
  }

  /// The chosen and rejected sequences of a preference row (implicit prompts are split off as
  /// the longest common prefix of `chosen` and `rejected`, as TRL does).
  public func preference(_ row: DatasetRow, file: String, line: Int) throws(ExampleError) -> (
    chosen: TokenizedSequence, rejected: TokenizedSequence
  ) {
    func fail(_ reason: String) -> ExampleError {
      ExampleError(file: file, line: line, reason: reason)
    }
    guard case .preference(let prompt, let chosen, let rejected) = row.content else {
      throw fail("a preference objective needs `chosen` and `rejected`, not \(row.format)")
    }
    let resolvedPrompt: DatasetText
    var chosenPart = chosen
    var rejectedPart = rejected
    if let prompt {
      resolvedPrompt = prompt
    } else {
      (resolvedPrompt, chosenPart, rejectedPart) = try Self.implicitPrompt(chosen, rejected, fail)
    }
    let (p, c) = try split(prompt: resolvedPrompt, completion: chosenPart, fail)
    let (_, r) = try split(prompt: resolvedPrompt, completion: rejectedPart, fail)
    return (
      try truncated(prompt: p, completion: c, fail), try truncated(prompt: p, completion: r, fail)
    )
  }

  static func implicitPrompt(
    _ chosen: DatasetText, _ rejected: DatasetText, _ fail: (String) -> ExampleError
  ) throws(ExampleError) -> (DatasetText, DatasetText, DatasetText) {
    switch (chosen, rejected) {
    case (.messages(let c), .messages(let r)):
      var k = 0
      while k < min(c.count, r.count) - 1, c[k] == r[k] { k += 1 }
      guard k > 0 else { throw fail("chosen and rejected share no prompt messages") }
      return (.messages(Array(c[..<k])), .messages(Array(c[k...])), .messages(Array(r[k...])))
    case (.text(let c), .text(let r)):
      let common = zip(c.unicodeScalars, r.unicodeScalars).prefix { $0 == $1 }.count
      let cs = Array(c.unicodeScalars)
      let rs = Array(r.unicodeScalars)
      guard common > 0, common < cs.count, common < rs.count else {
        throw fail("chosen and rejected have no common prompt and distinct completions")
      }
      func text(_ s: ArraySlice<Unicode.Scalar>) -> String { String(String.UnicodeScalarView(s)) }
      return (.text(text(cs[..<common])), .text(text(cs[common...])), .text(text(rs[common...])))
    default:
      throw fail("chosen and rejected must both be text or both messages")
    }
  }

  /// Prompt and completion token ids.
  func split(prompt: DatasetText, completion: DatasetText, _ fail: (String) -> ExampleError)
    throws(ExampleError) -> ([Int], [Int])
  {
    let tokenizer = encoder.tokenizer
    switch (prompt, completion) {
    case (.text(let p), .text(let c)):
      var completionIDs = tokenizer.encode(c, addSpecialTokens: false)
      if let eos { completionIDs.append(eos) }
      return (tokenizer.encode(p, addSpecialTokens: true), completionIDs)
    case (.messages(let p), .messages(let c)):
      let promptText: String
      let fullText: String
      do {
        promptText = try encoder.renderChat(p, addGenerationPrompt: true)
        fullText = try encoder.renderChat(p + c, addGenerationPrompt: false)
      } catch {
        throw fail("the chat template failed: \(error)")
      }
      guard fullText.hasPrefix(promptText) else {
        throw fail(
          "the chat template's rendering of prompt and completion does not start with its rendering of the prompt"
        )
      }
      let promptIDs = tokenizer.encode(promptText, addSpecialTokens: false)
      let fullIDs = tokenizer.encode(fullText, addSpecialTokens: false)
      if fullIDs.starts(with: promptIDs) {
        return (promptIDs, Array(fullIDs[promptIDs.count...]))
      }
      let rest = String(fullText.dropFirst(promptText.count))
      return (promptIDs, tokenizer.encode(rest, addSpecialTokens: false))
    default:
      throw fail("prompt and completion must both be text or both messages")
    }
  }

  /// `messages` rendered whole; with `assistantOnlyLoss`, only the tokens each assistant turn
  /// adds to the rendering of the turns before it are trained on.
  func conversation(_ messages: [ChatMessage], _ fail: (String) -> ExampleError)
    throws(ExampleError) -> TokenizedSequence
  {
    let tokenizer = encoder.tokenizer
    let full: String
    do { full = try encoder.renderChat(messages, addGenerationPrompt: false) } catch {
      throw fail("the chat template failed: \(error)")
    }
    let ids = tokenizer.encode(full, addSpecialTokens: false)
    guard assistantOnlyLoss else {
      return TokenizedSequence(tokens: ids, trained: ids.map { _ in true })
    }
    var trained = Array(repeating: false, count: ids.count)
    for (i, message) in messages.enumerated() where message.role == "assistant" {
      let before: String
      let through: String
      do {
        before = try encoder.renderChat(Array(messages[..<i]), addGenerationPrompt: true)
        through = try encoder.renderChat(Array(messages[...i]), addGenerationPrompt: false)
      } catch {
        throw fail("the chat template failed: \(error)")
      }
      let start = tokenizer.encode(before, addSpecialTokens: false).count
      let end = tokenizer.encode(through, addSpecialTokens: false).count
      guard full.hasPrefix(through), through.hasPrefix(before), start <= end, end <= ids.count
      else {
        throw fail(
          "the chat template does not render turn \(i + 1) as a prefix of the conversation")
      }
      for t in start..<end { trained[t] = true }
    }
    return TokenizedSequence(tokens: ids, trained: trained)
  }

  func truncated(prompt: [Int], completion: [Int], _ fail: (String) -> ExampleError)
    throws(ExampleError) -> TokenizedSequence
  {
    var p = prompt
    if let maxPromptLength, p.count > maxPromptLength { p = Array(p.suffix(maxPromptLength)) }
    var c = completion
    if let maxLength, p.count + c.count > maxLength {
      c = Array(c.prefix(max(0, maxLength - p.count)))
    }
    guard !c.isEmpty else {
      throw fail("nothing of the completion is left within max_length \(maxLength ?? 0)")
    }
    return TokenizedSequence(prompt: p, completion: c)
  }

  func truncated(_ sequence: TokenizedSequence, _ fail: (String) -> ExampleError)
    throws(ExampleError) -> TokenizedSequence
  {
    guard let maxLength, sequence.tokens.count > maxLength else {
      guard sequence.trainedTokens > 0 else { throw fail("no token of the row is trained on") }
      return sequence
    }
    var s = sequence
    s.tokens = Array(s.tokens.prefix(maxLength))
    s.targets = Array(s.targets.prefix(maxLength))
    s.targets[maxLength - 1] = -1
    guard s.trainedTokens > 0 else { throw fail("no trained token is left within max_length") }
    return s
  }
}
