import Foundation
import TestSupport
import Testing

@testable import WhetLM

/// 70 chat templates of released models (llama.cpp's test set) rendered on eight
/// conversations (tools, tool calls, reasoning, Unicode, ...) against transformers' own
/// rendering (`Fixtures/chat_templates/make_real_template_fixtures.py`). Where transformers
/// fails, rendering must fail too; a `raise_exception` must carry the same message.
@Suite struct RealChatTemplateTests {
  static let directory = Fixtures.file("WhetLMTests", "chat_templates/real")

  static let templates: [String] = {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
    return names.filter { $0.hasSuffix(".jinja") }.sorted()
  }()

  static let reference: Result<JinjaObject, any Error> = Result {
    let url = Fixtures.file("WhetLMTests", "chat_templates/real_expected.json")
    guard
      case .object(let root) = try JinjaValue.parseJSON(String(contentsOf: url, encoding: .utf8))
    else { throw CocoaError(.fileReadCorruptFile) }
    return root
  }

  /// The instant the fixture pinned `strftime_now` to, in local time as Python formats it.
  static let now: Date = {
    var components = DateComponents()
    (components.year, components.month, components.day) = (2025, 3, 14)
    (components.hour, components.minute, components.second) = (9, 26, 53)
    return Calendar.current.date(from: components) ?? Date(timeIntervalSince1970: 0)
  }()

  @Test func coversTheTemplates() throws {
    #expect(Self.templates.count >= 70)
  }

  @Test(arguments: templates) func rendersAsTransformers(_ name: String) throws {
    let root = try Self.reference.get()
    guard case .array(let cases) = root["cases"],
      case .object(let conversations) = root["conversations"]
    else { throw CocoaError(.fileReadCorruptFile) }
    let source = try String(
      contentsOf: Self.directory.appendingPathComponent(name), encoding: .utf8)
    let template = try ChatTemplate(source: source)
    var checked = 0
    for case .object(let c) in cases where c["template"] == .string(name) {
      guard case .string(let conversation) = c["conversation"],
        let messages = conversations[conversation]
      else { throw CocoaError(.fileReadCorruptFile) }
      let withTools = conversation == "tools" || conversation == "tool_call_flow"
      let context: [String: JinjaValue] = [
        "messages": messages, "tools": withTools ? root["tools"] ?? .none : .none,
        "documents": .none, "add_generation_prompt": c["add_generation_prompt"] ?? .bool(false),
        "bos_token": root["bos_token"] ?? "", "eos_token": root["eos_token"] ?? "",
      ]
      let label = "\(name) / \(conversation) / agp=\(c["add_generation_prompt"] ?? .none)"
      checked += 1
      if case .object(let failure) = c["error"] {
        do {
          let text = try template.render(context: context, now: Self.now)
          Issue.record(
            "\(label): transformers fails (\(failure["message"] ?? .none)), we rendered \(text.prefix(200).debugDescription)"
          )
        } catch {
          // A raise_exception in the template: the same message.
          if failure["type"] == .string("TemplateError"),
            case .string(let want) = failure["message"]
          {
            #expect(error == .raised(message: want), "\(label)")
          }
        }
        continue
      }
      guard case .string(let expected) = c["expected"] else {
        throw CocoaError(.fileReadCorruptFile)
      }
      do {
        let text = try template.render(context: context, now: Self.now)
        if text != expected {
          let prefix = zip(text, expected).prefix { $0 == $1 }.count
          Issue.record(
            "\(label): differs at character \(prefix): got \(String(text.dropFirst(max(0, prefix - 40)).prefix(120)).debugDescription), want \(String(expected.dropFirst(max(0, prefix - 40)).prefix(120)).debugDescription)"
          )
        }
      } catch {
        Issue.record("\(label): \(error)")
      }
    }
    #expect(checked == 8)
  }
}
