import Foundation

/// Where a Hugging Face model directory keeps its chat template, read in transformers' order
/// of precedence (`tokenization_utils_base.py`, `processing_utils.py`):
/// 1. `chat_template.jinja`, the file current transformers saves (with any named extras in
///    `additional_chat_templates/*.jinja`);
/// 2. `chat_template.json`, the processors' legacy file (`{"chat_template": "…"}`);
/// 3. `tokenizer_config.json`'s `chat_template`: a string, or a list of `{name, template}`.
///
/// With several named templates the one called `default` is used, as transformers does when
/// no name is asked for.
enum ChatTemplateFiles {
  /// The template source, or nil when the directory has none.
  static func template(in directory: URL, tokenizerConfig: [String: Any]) throws -> String? {
    let jinja = directory.appendingPathComponent("chat_template.jinja")
    if FileManager.default.fileExists(atPath: jinja.path) {
      return try read(jinja)
    }
    let extras = directory.appendingPathComponent("additional_chat_templates")
    if let names = try? FileManager.default.contentsOfDirectory(atPath: extras.path),
      names.contains(where: { $0.hasSuffix(".jinja") })
    {
      var named: [String: String] = [:]
      for name in names where name.hasSuffix(".jinja") {
        named[String(name.dropLast(6))] = try read(extras.appendingPathComponent(name))
      }
      return try pick(named, file: extras.path)
    }
    let legacy = directory.appendingPathComponent("chat_template.json")
    if FileManager.default.fileExists(atPath: legacy.path) {
      guard let object = try? JSONSerialization.jsonObject(with: Data(contentsOf: legacy)),
        let template = (object as? [String: Any])?["chat_template"] as? String
      else {
        throw ModelLoadError.invalidConfiguration(
          file: legacy.path, reason: "expected an object with a \"chat_template\" string")
      }
      return template
    }
    let configFile = directory.appendingPathComponent("tokenizer_config.json").path
    switch tokenizerConfig["chat_template"] {
    case nil, is NSNull: return nil
    case let text as String: return text
    case let list as [[String: Any]]:
      var named: [String: String] = [:]
      for entry in list {
        guard let name = entry["name"] as? String, let template = entry["template"] as? String
        else {
          throw ModelLoadError.invalidConfiguration(
            file: configFile, reason: "chat_template entries need a name and a template")
        }
        named[name] = template
      }
      return try pick(named, file: configFile)
    default:
      throw ModelLoadError.invalidConfiguration(
        file: configFile, reason: "chat_template must be a string or a list of {name, template}")
    }
  }

  static func pick(_ named: [String: String], file: String) throws -> String {
    if let template = named["default"] { return template }
    throw ModelLoadError.invalidConfiguration(
      file: file,
      reason:
        "several chat templates (\(named.keys.sorted().joined(separator: ", "))) and none is called default"
    )
  }

  static func read(_ url: URL) throws -> String {
    do {
      return try String(contentsOf: url, encoding: .utf8)
    } catch {
      throw ModelLoadError.invalidConfiguration(file: url.path, reason: "unreadable: \(error)")
    }
  }
}
