import Foundation
import TestSupport
import Testing

@testable import WhetLM

/// jinja2's built-in filters, tests, globals and statements, each in a small template,
/// against transformers' chat-template environment
/// (`Fixtures/chat_templates/make_builtin_fixtures.py`). Where jinja2 fails, so must we.
@Suite struct JinjaBuiltinTests {
  static func cases() throws -> [JinjaObject] {
    let url = Fixtures.file("WhetLMTests", "chat_templates/builtins_expected.json")
    guard
      case .object(let root) = try JinjaValue.parseJSON(String(contentsOf: url, encoding: .utf8)),
      case .array(let cases) = root["cases"]
    else { throw CocoaError(.fileReadCorruptFile) }
    return cases.compactMap { if case .object(let c) = $0 { c } else { nil } }
  }

  @Test func rendersAsJinja2() throws {
    let cases = try Self.cases()
    #expect(cases.count >= 45)
    for c in cases {
      guard case .string(let source) = c["template"], case .object(let variables) = c["context"]
      else { throw CocoaError(.fileReadCorruptFile) }
      let context = Dictionary(
        zip(variables.stringKeys, variables.values), uniquingKeysWith: { _, last in last })
      let rendered = Result { () throws(ChatTemplateError) -> String in
        try ChatTemplate(source: source).render(context: context)
      }
      switch (rendered, c["expected"]) {
      case (.success(let text), .string(let expected)?) where c["known_divergence"] != nil:
        // Tuples are lists here: the output differs from Python's exactly in the brackets.
        #expect(text != expected, "\(source): now matches; drop the known divergence")
        #expect(
          text.replacingOccurrences(of: "[", with: "(").replacingOccurrences(of: "]", with: ")")
            == expected, "\(source)")
      case (.success(let text), .string(let expected)?):
        #expect(text == expected, "\(source)")
      case (.failure(let error), .string(let expected)?):
        Issue.record("\(source): \(error); jinja2 renders \(expected.debugDescription)")
      case (.success(let text), _):
        Issue.record(
          "\(source): jinja2 fails (\(c["error"] ?? .none)), we rendered \(text.debugDescription)")
      case (.failure, _):
        break
      }
    }
  }
}
