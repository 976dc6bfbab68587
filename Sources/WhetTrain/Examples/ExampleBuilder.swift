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
    let (p, c, r) = try preferenceIDs(prompt, chosen, rejected, fail)
    return (
      try truncated(prompt: p, completion: c, fail), try truncated(prompt: p, completion: r, fail)
    )
  }

  /// Prompt, chosen and rejected ids (an implicit prompt split off first).
  func preferenceIDs(
    _ prompt: DatasetText?, _ chosen: DatasetText, _ rejected: DatasetText,
    _ fail: (String) -> ExampleError
  ) throws(ExampleError) -> ([Int], [Int], [Int]) {
    var chosenPart = chosen
    var rejectedPart = rejected
    let resolved: DatasetText
    if let prompt {
      resolved = prompt
    } else {
      (resolved, chosenPart, rejectedPart) = try Self.implicitPrompt(chosen, rejected, fail)
    }
    let (p, c) = try split(prompt: resolved, completion: chosenPart, fail)
    let (_, r) = try split(prompt: resolved, completion: rejectedPart, fail)
    return (p, c, r)
  }

  /// The labelled examples of a row for KTO: a `prompt`/`completion`/`label` row gives one;
  /// a preference row gives two, chosen desirable and rejected undesirable (TRL's
  /// `unpair_preference_dataset`). Prompt and completion ids are kept apart, so the KL
  /// estimate can pair a prompt with another row's completion.
  public func unpaired(_ row: DatasetRow, file: String, line: Int) throws(ExampleError) -> [(
    prompt: [Int], completion: [Int], desirable: Bool
  )] {
    func fail(_ reason: String) -> ExampleError {
      ExampleError(file: file, line: line, reason: reason)
    }
    switch row.content {
    case .unpairedPreference(let prompt, let completion, let label):
      let (p, c) = try split(prompt: prompt, completion: completion, fail)
      return [(p, c, label)]
    case .preference(let prompt, let chosen, let rejected):
      let (p, c, r) = try preferenceIDs(prompt, chosen, rejected, fail)
      return [(p, c, true), (p, r, false)]
    default:
      throw fail(
        "KTO needs `prompt`/`completion`/`label` or `prompt`/`chosen`/`rejected` rows, not \(row.format)"
      )
    }
  }

  /// A prompt and a completion, truncated as every other sequence is (the documented policy
  /// above).
  public func sequence(prompt: [Int], completion: [Int], file: String, line: Int)
    throws(ExampleError) -> TokenizedSequence
  {
    try truncated(prompt: prompt, completion: completion) {
      ExampleError(file: file, line: line, reason: $0)
    }
  }

  /// A numeric column of a row: a top-level field, or a dotted path into objects such as
  /// `scores.weaver` (what `whet score` and `whet select` write); a boolean reads as 0 or 1.
  public static func number(_ row: DatasetRow, column: String, file: String, line: Int)
    throws(ExampleError) -> Float
  {
    let path = column.split(separator: ".").map(String.init)
    var value: JSONValue? = path.first.flatMap { row.extras[$0] ?? row.content.fields[$0] }
    for key in path.dropFirst() {
      guard case .object(let object)? = value else { value = nil; break }
      value = object[key]
    }
    switch value {
    case .number(let n)? where n.isFinite: return Float(n)
    case .bool(let b)?: return b ? 1 : 0
    case nil: throw ExampleError(file: file, line: line, reason: "no `\(column)` column")
    default:
      throw ExampleError(
        file: file, line: line, reason: "`\(column)` is not a finite number")
    }
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

  /// Prompt and completion token ids (``TextEncoder/promptCompletion(prompt:completion:)``).
  func split(prompt: DatasetText, completion: DatasetText, _ fail: (String) -> ExampleError)
    throws(ExampleError) -> ([Int], [Int])
  {
    switch (prompt, completion) {
    case (.text(let p), .text(let c)):
      return encoder.promptCompletion(prompt: p, completion: c)
    case (.messages(let p), .messages(let c)):
      do { return try encoder.promptCompletion(prompt: p, completion: c) } catch {
        throw fail(error.description)
      }
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
