import Foundation
import Testing

@testable import WhetLM

/// Where a model directory's chat template comes from, in transformers' order: the
/// `chat_template.jinja` current transformers saves, then the processors' legacy
/// `chat_template.json`, then `tokenizer_config.json` (a string or named templates).
@Suite final class ChatTemplateFilesTests {
  /// The directories this test made, removed when it ends.
  private var made: [URL] = []

  deinit {
    for dir in made { try? FileManager.default.removeItem(at: dir) }
  }

  func directory(_ files: [String: String]) throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "whet-templates-\(UUID().uuidString)")
    made.append(dir)
    for (name, text) in files {
      let url = dir.appendingPathComponent(name)
      try FileManager.default.createDirectory(
        at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
      try text.write(to: url, atomically: true, encoding: .utf8)
    }
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
  }

  @Test func transformersOrderOfPrecedence() throws {
    let config: [String: Any] = ["chat_template": "from tokenizer_config"]
    let all = try directory([
      "chat_template.jinja": "from jinja", "chat_template.json": #"{"chat_template": "from json"}"#,
    ])
    #expect(try ChatTemplateFiles.template(in: all, tokenizerConfig: config) == "from jinja")
    let legacy = try directory(["chat_template.json": #"{"chat_template": "from json"}"#])
    #expect(try ChatTemplateFiles.template(in: legacy, tokenizerConfig: config) == "from json")
    let plain = try directory([:])
    #expect(
      try ChatTemplateFiles.template(in: plain, tokenizerConfig: config) == "from tokenizer_config")
    #expect(try ChatTemplateFiles.template(in: plain, tokenizerConfig: [:]) == nil)
    let named: [String: Any] = [
      "chat_template": [
        ["name": "tool_use", "template": "tools"], ["name": "default", "template": "plain"],
      ]
    ]
    #expect(try ChatTemplateFiles.template(in: plain, tokenizerConfig: named) == "plain")
    let extras = try directory(["additional_chat_templates/default.jinja": "extra default"])
    #expect(try ChatTemplateFiles.template(in: extras, tokenizerConfig: config) == "extra default")
  }

  @Test func ambiguousOrMalformedTemplatesNameTheFile() throws {
    let plain = try directory([:])
    let noDefault: [String: Any] = [
      "chat_template": [["name": "a", "template": "x"], ["name": "b", "template": "y"]]
    ]
    #expect {
      _ = try ChatTemplateFiles.template(in: plain, tokenizerConfig: noDefault)
    } throws: { "\($0)".contains("tokenizer_config.json") && "\($0)".contains("a, b") }
    let broken = try directory(["chat_template.json": "[1, 2]"])
    #expect {
      _ = try ChatTemplateFiles.template(in: broken, tokenizerConfig: [:])
    } throws: { "\($0)".contains("chat_template.json") }
  }
}
