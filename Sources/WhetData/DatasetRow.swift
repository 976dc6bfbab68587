import WhetLM

/// A prompt or completion in TRL's two forms: plain text ("standard") or a list of chat
/// messages ("conversational").
public enum DatasetText: Sendable, Equatable {
  case text(String)
  case messages([ChatMessage])

  /// Whether this is the conversational form.
  public var isConversational: Bool {
    if case .messages = self { return true }
    return false
  }

  /// The JSON form (a string, or a list of `{"role", "content"}` objects).
  public var jsonValue: JSONValue {
    switch self {
    case .text(let s): return .string(s)
    case .messages(let list):
      return .array(
        list.map { .object(["role": .string($0.role), "content": .string($0.content)]) })
    }
  }
}

/// TRL's dataset types, named by the fields that define them.
public enum DatasetFormat: String, Sendable, Equatable, CaseIterable {
  /// `text` (standard) or `messages` (conversational) — language modelling / SFT.
  case languageModeling
  /// `prompt` only — prompts for online RL (GRPO, RLOO).
  case promptOnly
  /// `prompt` + `completion` — SFT on completions only.
  case promptCompletion
  /// `prompt` (optional, "implicit prompt" otherwise) + `chosen` + `rejected` — DPO family.
  case preference
  /// `prompt` + `completion` + `label` (bool) — KTO.
  case unpairedPreference
}

/// The content of one dataset row, in TRL's field conventions.
public enum DatasetContent: Sendable, Equatable {
  /// `{"text": …}`.
  case text(String)
  /// `{"messages": [{"role", "content"}, …]}`.
  case messages([ChatMessage])
  /// `{"prompt": …}`.
  case prompt(DatasetText)
  /// `{"prompt": …, "completion": …}`.
  case promptCompletion(prompt: DatasetText, completion: DatasetText)
  /// `{"prompt"?: …, "chosen": …, "rejected": …}`.
  case preference(prompt: DatasetText?, chosen: DatasetText, rejected: DatasetText)
  /// `{"prompt": …, "completion": …, "label": true|false}`.
  case unpairedPreference(prompt: DatasetText, completion: DatasetText, label: Bool)

  /// The dataset type.
  public var format: DatasetFormat {
    switch self {
    case .text, .messages: return .languageModeling
    case .prompt: return .promptOnly
    case .promptCompletion: return .promptCompletion
    case .preference: return .preference
    case .unpairedPreference: return .unpairedPreference
    }
  }

  /// Whether the row uses the conversational (messages) form.
  public var isConversational: Bool {
    switch self {
    case .text: return false
    case .messages: return true
    case .prompt(let p): return p.isConversational
    case .promptCompletion(let p, let c): return p.isConversational || c.isConversational
    case .preference(let p, let c, let r):
      return (p?.isConversational ?? false) || c.isConversational || r.isConversational
    case .unpairedPreference(let p, let c, _): return p.isConversational || c.isConversational
    }
  }

  /// The fields TRL uses for this content.
  public var fields: [String: JSONValue] {
    switch self {
    case .text(let s): return ["text": .string(s)]
    case .messages(let m): return ["messages": DatasetText.messages(m).jsonValue]
    case .prompt(let p): return ["prompt": p.jsonValue]
    case .promptCompletion(let p, let c): return ["prompt": p.jsonValue, "completion": c.jsonValue]
    case .preference(let p, let c, let r):
      var out: [String: JSONValue] = ["chosen": c.jsonValue, "rejected": r.jsonValue]
      if let p { out["prompt"] = p.jsonValue }
      return out
    case .unpairedPreference(let p, let c, let label):
      return ["prompt": p.jsonValue, "completion": c.jsonValue, "label": .bool(label)]
    }
  }
}

/// One row of a dataset: its TRL content plus every other column, passed through untouched
/// (such as `answer` or `tests`, which reward functions read).
public struct DatasetRow: Sendable, Equatable {
  /// The TRL fields, typed.
  public var content: DatasetContent
  /// Columns other than the TRL fields.
  public var extras: [String: JSONValue]

  /// A row from its parts.
  public init(content: DatasetContent, extras: [String: JSONValue] = [:]) {
    self.content = content
    self.extras = extras
  }

  /// The TRL dataset type of ``content``.
  public var format: DatasetFormat { content.format }

  /// The extra columns as ``ScoringItem/columns`` wants them: strings as they are, other
  /// values as JSON text.
  public var columns: [String: String] {
    extras.mapValues { $0.stringValue ?? $0.jsonText() }
  }

  /// The whole row as a JSONL object (TRL fields and extras).
  public var jsonObject: [String: JSONValue] {
    extras.merging(content.fields) { _, field in field }
  }
}
