import WhetLM

extension DatasetRow {
  /// The row for a JSONL object, recognising TRL's field combinations in this order:
  /// `messages`; `chosen` + `rejected` (with optional `prompt`); `label` (with `prompt` and
  /// `completion`); `prompt` + `completion`; `text`; `prompt`. Prompts and completions may be
  /// strings or message lists. Other fields become ``extras``.
  ///
  /// - Parameters:
  ///   - required: extra columns that must be present (e.g. `["answer"]`).
  /// - Throws: ``DatasetError`` with `file` and `line` for a wrong type, a missing required
  ///   field or an unrecognised layout.
  public init(
    object: [String: JSONValue], file: String, line: Int, required: [String] = []
  ) throws(DatasetError) {
    let reader = FieldReader(object: object, file: file, line: line)
    for field in required where object[field] == nil {
      throw .missingField(file: file, line: line, field: field)
    }
    var used: Set<String>
    if object["messages"] != nil {
      content = .messages(try reader.messages("messages"))
      used = ["messages"]
    } else if object["chosen"] != nil || object["rejected"] != nil {
      let chosen = try reader.text(required: "chosen")
      let rejected = try reader.text(required: "rejected")
      content = .preference(
        prompt: try reader.optionalText("prompt"), chosen: chosen, rejected: rejected)
      used = ["prompt", "chosen", "rejected"]
    } else if object["label"] != nil {
      let prompt = try reader.text(required: "prompt")
      let completion = try reader.text(required: "completion")
      guard let label = object["label"]!.boolValue else {
        throw .wrongType(
          file: file, line: line, field: "label", expected: "a bool",
          found: object["label"]!.kindDescription)
      }
      content = .unpairedPreference(prompt: prompt, completion: completion, label: label)
      used = ["prompt", "completion", "label"]
    } else if object["completion"] != nil {
      content = .promptCompletion(
        prompt: try reader.text(required: "prompt"),
        completion: try reader.text(required: "completion"))
      used = ["prompt", "completion"]
    } else if let text = object["text"] {
      guard let s = text.stringValue else {
        throw .wrongType(
          file: file, line: line, field: "text", expected: "a string", found: text.kindDescription)
      }
      content = .text(s)
      used = ["text"]
    } else if object["prompt"] != nil {
      content = .prompt(try reader.text(required: "prompt"))
      used = ["prompt"]
    } else {
      throw .unrecognizedFormat(file: file, line: line, fields: object.keys.sorted())
    }
    extras = object.filter { !used.contains($0.key) }
  }
}

/// Typed access to a row's fields, with errors that carry file and line.
private struct FieldReader {
  let object: [String: JSONValue]
  let file: String
  let line: Int

  func text(required field: String) throws(DatasetError) -> DatasetText {
    guard let value = object[field] else {
      throw .missingField(file: file, line: line, field: field)
    }
    return try text(value, field: field)
  }

  func optionalText(_ field: String) throws(DatasetError) -> DatasetText? {
    guard let value = object[field] else { return nil }
    return try text(value, field: field)
  }

  func text(_ value: JSONValue, field: String) throws(DatasetError) -> DatasetText {
    if let s = value.stringValue { return .text(s) }
    if value.arrayValue != nil { return .messages(try messages(value, field: field)) }
    throw .wrongType(
      file: file, line: line, field: field, expected: "a string or a list of messages",
      found: value.kindDescription)
  }

  func messages(_ field: String) throws(DatasetError) -> [ChatMessage] {
    try messages(object[field]!, field: field)
  }

  /// `[{"role": String, "content": String | [{"type": "text", "text": String}] | null}]`.
  func messages(_ value: JSONValue, field: String) throws(DatasetError) -> [ChatMessage] {
    guard let list = value.arrayValue else {
      throw .wrongType(
        file: file, line: line, field: field, expected: "a list of messages",
        found: value.kindDescription)
    }
    var out: [ChatMessage] = []
    for (i, element) in list.enumerated() {
      let path = "\(field)[\(i)]"
      guard let message = element.objectValue else {
        throw .wrongType(
          file: file, line: line, field: path, expected: "an object with role and content",
          found: element.kindDescription)
      }
      guard let roleValue = message["role"] else {
        throw .missingField(file: file, line: line, field: "\(path).role")
      }
      guard let role = roleValue.stringValue else {
        throw .wrongType(
          file: file, line: line, field: "\(path).role", expected: "a string",
          found: roleValue.kindDescription)
      }
      out.append(
        ChatMessage(role: role, content: try content(message["content"], path: "\(path).content")))
    }
    return out
  }

  /// Message content: a string, `null`/absent (tool-call turns) as "", or a list of parts whose
  /// `text` parts are concatenated.
  func content(_ value: JSONValue?, path: String) throws(DatasetError) -> String {
    guard let value, !value.isNull else { return "" }
    if let s = value.stringValue { return s }
    if let parts = value.arrayValue {
      var text = ""
      for (i, part) in parts.enumerated() {
        if let s = part.stringValue {
          text += s
        } else if let s = part["text"]?.stringValue {
          text += s
        } else if part.objectValue == nil {
          throw .wrongType(
            file: file, line: line, field: "\(path)[\(i)]", expected: "a content part object",
            found: part.kindDescription)
        }
      }
      return text
    }
    throw .wrongType(
      file: file, line: line, field: path, expected: "a string or a list of content parts",
      found: value.kindDescription)
  }
}
