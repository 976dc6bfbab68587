import Foundation

/// One chat turn as passed to a chat template: `{"role": ..., "content": ...}`.
public struct ChatMessage: Sendable, Equatable, Codable {
  /// The speaker, e.g. `"system"`, `"user"` or `"assistant"`.
  public var role: String
  /// The message text.
  public var content: String

  /// Creates a message.
  public init(role: String, content: String) {
    self.role = role
    self.content = content
  }
}

/// A Hugging Face chat template (the `chat_template` Jinja string of `tokenizer_config.json`),
/// parsed once and rendered as transformers' `apply_chat_template(..., tokenize=False)` does.
///
/// Rendering reproduces transformers' environment: jinja2 with `trim_blocks` and
/// `lstrip_blocks`, the `loopcontrols` extension (`break`/`continue`), the `generation` tag,
/// transformers' `tojson` filter and the globals `raise_exception` and `strftime_now`, on top
/// of jinja2's own built-in filters, tests and globals (`range`, `namespace`, `dict`, `cycler`,
/// `joiner`, `lipsum`), macros and `call` blocks. It matches transformers' output on the chat
/// templates of 70 released models (`Tests/WhetLMTests/RealChatTemplateTests.swift`).
/// Templates outside that (template inheritance, includes, imports, recursive loops) fail
/// with ``ChatTemplateError`` rather than rendering a different prompt. Tuples are lists, so a
/// printed tuple shows `[1, 2]` where Python shows `(1, 2)`.
///
/// ```swift
/// let template = try ChatTemplate(source: jinjaText)
/// let prompt = try template.render(
///   messages: [ChatMessage(role: "user", content: "Hi!")],
///   addGenerationPrompt: true, bosToken: "<|begin_of_text|>")
/// ```
public struct ChatTemplate: Sendable {
  private let nodes: [JinjaNode]

  /// Parses `source`.
  ///
  /// - Throws: ``ChatTemplateError/syntax(message:line:column:)`` for malformed templates and
  ///   ``ChatTemplateError/unsupported(construct:line:column:)`` for Jinja features outside the
  ///   supported subset (template inheritance, includes, imports, unknown filters or tests
  ///   outside `if` blocks, ...). As in jinja2, an unknown filter or test inside an `if` block
  ///   or a conditional expression fails only when that branch runs.
  public init(source: String) throws(ChatTemplateError) {
    nodes = try JinjaParser.parse(source)
  }

  /// Renders a conversation.
  ///
  /// The template sees `messages` (objects with `role` and `content`), `add_generation_prompt`,
  /// `bos_token`, `eos_token`, `tools` and `documents` (both `None`, as transformers passes them
  /// when no tools are given), and every entry of `extra`. Entries of `extra` may override
  /// `bos_token`, `eos_token`, `tools` and `documents`, but not `messages` or
  /// `add_generation_prompt`.
  ///
  /// - Parameters:
  ///   - messages: The conversation.
  ///   - addGenerationPrompt: Whether to append the header that starts an assistant reply.
  ///   - bosToken: The tokenizer's beginning-of-sequence token text.
  ///   - eosToken: The tokenizer's end-of-sequence token text.
  ///   - extra: Additional template variables, e.g. `date_string`, `enable_thinking`, `tools`.
  /// - Throws: ``ChatTemplateError/raised(message:)`` when the template calls
  ///   `raise_exception`, ``ChatTemplateError/runtime(message:line:column:)`` for errors such as
  ///   using an undefined value, and ``ChatTemplateError/unsupported(construct:line:column:)``
  ///   for unsupported features reached at run time.
  public func render(
    messages: [ChatMessage], addGenerationPrompt: Bool, bosToken: String = "",
    eosToken: String = "", extra: [String: JinjaValue] = [:]
  ) throws(ChatTemplateError) -> String {
    var context: [String: JinjaValue] = [
      "tools": .none, "documents": .none, "bos_token": .string(bosToken),
      "eos_token": .string(eosToken),
    ]
    context.merge(extra) { _, new in new }
    context["messages"] = .array(
      messages.map { .object(["role": .string($0.role), "content": .string($0.content)]) })
    context["add_generation_prompt"] = .bool(addGenerationPrompt)
    return try render(context: context)
  }

  /// Renders with an explicit set of template variables and nothing else, for messages that
  /// carry more than text (tool calls, multimodal content lists). `now` is the instant
  /// `strftime_now` formats, in local time (the current time when nil).
  public func render(context: [String: JinjaValue], now: Date? = nil) throws(ChatTemplateError)
    -> String
  {
    try JinjaInterpreter(now: now.map { time_t($0.timeIntervalSince1970) }).render(
      nodes, context: context)
  }
}

/// Why a chat template could not be parsed or rendered.
public enum ChatTemplateError: Error, CustomStringConvertible, Equatable {
  /// The template is not valid Jinja (unterminated tag or string, unexpected token, missing end
  /// tag, ...). `line` and `column` are 1-based.
  case syntax(message: String, line: Int, column: Int)
  /// The template uses a Jinja feature this engine does not implement; `construct` names it
  /// (for example `"{% extends %} tag"` or `"filter 'urlize'"`).
  case unsupported(construct: String, line: Int, column: Int)
  /// The template called `raise_exception(message)`.
  case raised(message: String)
  /// Rendering failed: an undefined value was used, a type error, a bad filter argument, ...
  case runtime(message: String, line: Int, column: Int)

  public var description: String {
    switch self {
    case .syntax(let message, let line, let column):
      return "chat template syntax error at line \(line), column \(column): \(message)"
    case .unsupported(let construct, let line, let column):
      return "chat template uses unsupported \(construct) at line \(line), column \(column)"
    case .raised(let message):
      return "chat template raised an exception: \(message)"
    case .runtime(let message, let line, let column):
      return "chat template error at line \(line), column \(column): \(message)"
    }
  }
}
