/// A prompt–completion pair that cannot be tokenized as TRL would.
public enum PromptCompletionError: Error, CustomStringConvertible {
  /// The chat template failed.
  case template(String)
  /// The rendering of prompt and completion does not start with the rendering of the prompt.
  case notPrefix

  public var description: String {
    switch self {
    case .template(let reason): return "the chat template failed: \(reason)"
    case .notPrefix:
      return
        "the chat template's rendering of prompt and completion does not start with its rendering of the prompt"
    }
  }
}

extension TextEncoder {
  /// Prompt and completion ids of a standard-text pair, as TRL's trainers tokenize it: the
  /// prompt with the tokenizer's special tokens (BOS where it adds one), the completion
  /// without them, followed by EOS.
  public func promptCompletion(prompt: String, completion: String) -> (
    prompt: [Int], completion: [Int]
  ) {
    var completionIDs = tokenizer.encode(completion, addSpecialTokens: false)
    if let eos = tokenizer.eosTokenID { completionIDs.append(eos) }
    return (tokenizer.encode(prompt, addSpecialTokens: true), completionIDs)
  }

  /// Prompt and completion ids of a conversational pair: the prompt rendered with the
  /// generation prompt, prompt and completion together without it; the completion is what
  /// the second adds to the first (TRL's `apply_chat_template` split). When the tokens of the
  /// whole rendering start with the prompt's, they are used as they are, so the sequence is
  /// exactly the tokenized conversation.
  public func promptCompletion(prompt: [ChatMessage], completion: [ChatMessage])
    throws(PromptCompletionError) -> (prompt: [Int], completion: [Int])
  {
    let promptText: String
    let fullText: String
    do {
      promptText = try renderChat(prompt, addGenerationPrompt: true)
      fullText = try renderChat(prompt + completion, addGenerationPrompt: false)
    } catch {
      throw .template("\(error)")
    }
    guard fullText.hasPrefix(promptText) else { throw .notPrefix }
    let promptIDs = tokenizer.encode(promptText, addSpecialTokens: false)
    let fullIDs = tokenizer.encode(fullText, addSpecialTokens: false)
    if fullIDs.starts(with: promptIDs) {
      return (promptIDs, Array(fullIDs[promptIDs.count...]))
    }
    let rest = String(fullText.dropFirst(promptText.count))
    return (promptIDs, tokenizer.encode(rest, addSpecialTokens: false))
  }

  /// A scored candidate as the trainers see it: with `chat`, `prompt` as one user message and
  /// `completion` as the assistant's reply through the chat template; else standard text.
  public func promptCompletion(prompt: String, completion: String, chat: Bool)
    throws(PromptCompletionError) -> (prompt: [Int], completion: [Int])
  {
    guard chat else { return promptCompletion(prompt: prompt, completion: completion) }
    return try promptCompletion(
      prompt: [ChatMessage(role: "user", content: prompt)],
      completion: [ChatMessage(role: "assistant", content: completion)])
  }
}
