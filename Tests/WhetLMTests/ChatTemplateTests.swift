import Foundation
import Testing
import WhetLM

/// One case of `Fixtures/chat_templates/expected.json`, rendered by transformers.
struct ChatTemplateFixtureCase: Sendable, Decodable, CustomTestStringConvertible {
  let template: String
  let messages: [ChatMessage]
  let addGenerationPrompt: Bool
  let bosToken: String
  let eosToken: String
  let extra: [String: JinjaValue]
  let expected: String

  var testDescription: String {
    "\(template) \(messages.map(\.role).joined(separator: ",")) gen=\(addGenerationPrompt)"
  }

  private struct Key: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
  }

  init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: Key.self)
    template = try container.decode(String.self, forKey: Key(stringValue: "template"))
    messages = try container.decode([ChatMessage].self, forKey: Key(stringValue: "messages"))
    addGenerationPrompt = try container.decode(
      Bool.self, forKey: Key(stringValue: "add_generation_prompt"))
    bosToken = try container.decode(String.self, forKey: Key(stringValue: "bos_token"))
    eosToken = try container.decode(String.self, forKey: Key(stringValue: "eos_token"))
    expected = try container.decode(String.self, forKey: Key(stringValue: "expected"))
    let known: Set = [
      "template", "messages", "add_generation_prompt", "bos_token", "eos_token", "expected",
    ]
    var extra: [String: JinjaValue] = [:]
    for key in container.allKeys where !known.contains(key.stringValue) {
      if let text = try? container.decode(String.self, forKey: key) {
        extra[key.stringValue] = .string(text)
      } else if let flag = try? container.decode(Bool.self, forKey: key) {
        extra[key.stringValue] = .bool(flag)
      } else if let integer = try? container.decode(Int.self, forKey: key) {
        extra[key.stringValue] = .int(integer)
      } else if let number = try? container.decode(Double.self, forKey: key) {
        extra[key.stringValue] = .double(number)
      } else {
        extra[key.stringValue] = JinjaValue.none
      }
    }
    self.extra = extra
  }
}

enum ChatTemplateFixtures {
  static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("Fixtures/chat_templates")

  private struct File: Decodable {
    let cases: [ChatTemplateFixtureCase]
  }

  static let cases: [ChatTemplateFixtureCase] = {
    let url = directory.appendingPathComponent("expected.json")
    guard let data = try? Data(contentsOf: url),
      let file = try? JSONDecoder().decode(File.self, from: data)
    else { return [] }
    return file.cases
  }()

  static func source(_ name: String) throws -> String {
    try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
  }

  /// Where two renders first differ, with some context on both sides.
  static func firstDifference(_ actual: String, _ expected: String) -> String? {
    let a = Array(actual.utf8)
    let b = Array(expected.utf8)
    guard a != b else { return nil }
    var offset = 0
    while offset < min(a.count, b.count) && a[offset] == b[offset] { offset += 1 }
    func context(_ bytes: [UInt8]) -> String {
      let window = bytes[max(0, offset - 40)..<min(bytes.count, offset + 40)]
      return String(decoding: window, as: UTF8.self).debugDescription
    }
    return "first difference at UTF-8 offset \(offset) (lengths \(a.count) vs \(b.count)):\n"
      + "  rendered: \(context(a))\n  expected: \(context(b))"
  }
}

@Suite("ChatTemplate")
struct ChatTemplateTests {
  @Test func fixturesArePresent() {
    #expect(ChatTemplateFixtures.cases.count == 54)
  }

  @Test(arguments: ChatTemplateFixtures.cases)
  func rendersLikeTransformers(_ fixture: ChatTemplateFixtureCase) throws {
    let template = try ChatTemplate(source: ChatTemplateFixtures.source(fixture.template))
    let rendered = try template.render(
      messages: fixture.messages, addGenerationPrompt: fixture.addGenerationPrompt,
      bosToken: fixture.bosToken, eosToken: fixture.eosToken, extra: fixture.extra)
    let difference = ChatTemplateFixtures.firstDifference(rendered, fixture.expected)
    #expect(difference == nil, "\(fixture.template): \(difference ?? "")")
  }
}

/// Small templates covering the supported constructs, with the output jinja2 3.1.6 produces in
/// transformers' environment (trim_blocks, lstrip_blocks, loopcontrols, its `tojson`).
enum JinjaReferenceCases {
  static let context: [String: JinjaValue] = [
    "messages": [
      ["role": "system", "content": "Be brief."], ["role": "user", "content": "Hi"],
      ["role": "assistant", "content": "<think>\nhmm\n</think>\n\nHello"],
    ],
    "items": [3, 1, 2],
    "d": ["b": 1, "a": 2],
    "name": "Hello World",
    "users": [["name": "bob", "age": 30], ["name": "Al", "age": 25]],
    "tools": [
      [
        "type": "function",
        "function": [
          "name": "get_weather", "description": "Wetter für \"Paris\"",
          "parameters": [
            "type": "object", "properties": ["city": ["type": "string"]], "required": ["city"],
          ],
        ],
      ]
    ],
  ]

  /// (feature, template, expected) triples.
  static let cases: [(String, String, String)] = [
    ("whitespace", "a\n  {% if true %}\n    x\n  {% endif %}\nb", "a\n    x\nb"),
    ("whitespace", "a\n  {%+ if true %}\n    x\n  {% endif +%}\nb", "a\n      x\n\nb"),
    (
      "whitespace", "a  {% if true %}x{% endif %}  b\n  {{ name }}\n  {# note #}\nc\n",
      "a  x  b\n  Hello World\nc"
    ),
    (
      "whitespace", "{% for i in items -%}\n  {{ i }}\n{%- endfor %}|{{- '  x  ' -}}  |",
      "312|  x  |"
    ),
    ("whitespace", "line1\r\nline2\r\n{% if true %}\r\nz\r\n{% endif %}\r\n", "line1\nline2\nz\n"),
    (
      "whitespace", "a\n  {%- raw -%}\n  {{ not rendered }}\n  {%- endraw %}\nb",
      "a{{ not rendered }}b"
    ),
    (
      "literals",
      "{{ 'a\\nb' }}|{{ \"q\\\"\" }}|{{ '\\x41\\u00e9\\U0001F431' }}|{{ '\\d' }}|{{ 'multi' \"part\" }}",
      "a\nb|q\"|Aé🐱|\\d|multipart"
    ),
    (
      "literals",
      "{{ 1 }} {{ 1.0 }} {{ 1e-5 }} {{ 1e16 }} {{ 0.1 + 0.2 }} {{ true }} {{ none }} {{ [1, 'a', none, {'k': \"it's\"}] }}",
      "1 1.0 1e-05 1e+16 0.30000000000000004 True None [1, 'a', None, {'k': \"it's\"}]"
    ),
    (
      "arithmetic",
      "{{ 7 / 2 }} {{ -7 // 2 }} {{ -7 % 3 }} {{ 2 ** 3 ** 2 }} {{ 7.5 // 2 }} {{ 'ab' * 2 }} {{ [1] + [2] }} {{ 'a' ~ 1 ~ none ~ missing }}",
      "3.5 -4 2 64 3.0 abab [1, 2] a1None"
    ),
    (
      "logic",
      "{{ 1 < 2 < 3 }} {{ 1 == 1.0 }} {{ 'a' in 'cat' }} {{ 'x' not in d }} {{ 0 or 'dflt' }} {{ 1 and 'both' }} {{ 'y' if items else 'n' }}|{{ 'x' if false }}|",
      "True True True True dflt both y||"
    ),
    (
      "precedence",
      "{{ 'a' + 'b' | upper }} {{ not 1 in [1] }} {{ -2 ** 2 }} {{ messages | length - 1 }} {{ 1 + 2 * 3 }}",
      "aB False 4 2 7"
    ),
    (
      "access",
      "{{ d.a }} {{ d['b'] }}|{{ d.z }}|{{ messages[-1].role }} {{ items[1:] }} {{ items[::-1] }} {{ name[:5] }} {{ name[::-2] }} {{ messages[9] }}|",
      "2 1||assistant [1, 2] [2, 1, 3] Hello drWolH |"
    ),
    (
      "access",
      "{{ d.get('z', 'dflt') }} {{ d.keys() | list }} {% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}",
      "dflt ['b', 'a'] b=1;a=2;"
    ),
    (
      "tests",
      "{{ name is string }} {{ d is mapping }} {{ missing is defined }} {{ missing is iterable }} {{ none is none }} {{ 3 is odd }} {{ 9 is divisibleby 3 }} {{ 2 is in items }} {{ true is number }} {{ 'abc' is lower }}",
      "True True False True True True True True True True"
    ),
    (
      "filters", "{{ tools | tojson }}",
      "[{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\": \"Wetter für \\\"Paris\\\"\", \"parameters\": {\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}}, \"required\": [\"city\"]}}}]"
    ),
    (
      "filters",
      "{{ tools[0].function.parameters | tojson(indent=2, sort_keys=true) }}|{{ d | tojson(separators=(',', ':')) }}|{{ 'é' | tojson(ensure_ascii=true) }}",
      "{\n  \"properties\": {\n    \"city\": {\n      \"type\": \"string\"\n    }\n  },\n  \"required\": [\n    \"city\"\n  ],\n  \"type\": \"object\"\n}|{\"b\":1,\"a\":2}|\"\\u00e9\""
    ),
    (
      "filters",
      "{{ '  x  ' | trim }}|{{ name | upper }} {{ 'hELLO wORLD-x' | title }} {{ 'hELLO' | capitalize }} {{ name | length }} {{ missing | default('dflt') }} {{ '' | default('e', true) }}",
      "x|HELLO WORLD Hello World-X Hello 11 dflt e"
    ),
    (
      "filters",
      "{{ items | first }} {{ items | last }} {{ items | join(', ') }} {{ items | sort }} {{ items | sum }} {{ items | max }} {{ 'a,b' | replace(',', ';') }} {% for k, v in d | items %}{{ k }}{{ v }}{% endfor %} {% for k, v in d | dictsort %}{{ k }}{{ v }}{% endfor %} {{ d | dictsort | length }}",
      "3 2 3, 1, 2 [1, 2, 3] 6 3 a;b b1a2 a2b1 2"
    ),
    (
      "filters",
      "{{ users | map(attribute='name') | join('/') }} {{ users | selectattr('age', 'gt', 26) | map(attribute='name') | list }} {{ items | reject('odd') | list }} {{ users | sort(attribute='age') | map(attribute='name') | first }}",
      "bob/Al ['bob'] [2] Al"
    ),
    (
      "filters",
      "{{ '42' | int }} {{ '4.5' | float }} {{ 'x' | int(7) }} {{ 2.5 | round }} {{ 2.567 | round(2) }} {{ 'a\\nb' | indent(2, true) }} {{ items | string }}",
      "42 4.5 7 2.0 2.57   a\n  b [3, 1, 2]"
    ),
    (
      "loops",
      "{% for m in messages %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.first }}{{ loop.last }}{{ loop.length }}[{{ (loop.previtem or {}).role }}|{{ (loop.nextitem or {}).role }}] {% endfor %}",
      "103TrueFalse3[|user] 212FalseFalse3[system|assistant] 321FalseTrue3[user|] "
    ),
    (
      "loops",
      "{% for i in items if i > 1 %}{{ i }}:{{ loop.index }}/{{ loop.length }} {% else %}none{% endfor %}|{% for i in [] %}x{% else %}empty{% endfor %}|{% for i in items %}{{ loop.cycle('a', 'b') }}{% endfor %}",
      "3:1/2 2:2/2 |empty|aba"
    ),
    (
      "loops",
      "{% for i in items %}{% if i == 1 %}{% continue %}{% endif %}{{ i }}{% endfor %}|{% for i in items %}{% if i == 1 %}{% break %}{% endif %}{{ i }}{% endfor %}|{% for i in range(3) %}{{ i }}{% endfor %}",
      "32|3|012"
    ),
    (
      "scoping",
      "{% set x = 'outer' %}{% for i in items %}{% set x = i %}{{ x }}{% endfor %}|{{ x }}",
      "312|outer"
    ),
    (
      "namespace",
      "{% set ns = namespace(total=0, last=none) %}{% for i in items %}{% set ns.total = ns.total + i %}{% set ns.last = i %}{% endfor %}{{ ns.total }} {{ ns.last }} {{ ns.missing is defined }}",
      "6 2 False"
    ),
    (
      "macros",
      "{% macro greet(who, greeting='Hello') %}{{ greeting }}, {{ who }}!{% endmacro %}{{ greet('A') }} {{ greet(greeting='Yo', who='B') }}",
      "Hello, A! Yo, B!"
    ),
    (
      "blocks",
      "{% set block | upper %} inner {{ items[0] }} {% endset %}[{{ block }}]{% with a = 1 %}{{ a }}{% endwith %}{% filter trim %}  f  {% endfilter %}{% generation %}g{% endgeneration %}",
      "[ INNER 3 ]1fg"
    ),
    (
      "methods",
      "{{ '  a,b  '.strip() }}|{{ 'a,b,c'.split(',', 1) }}|{{ 'a,b,c'.rsplit(',', 1) }}|{{ ' x  y '.split() }}|{{ name.startswith(('x', 'He')) }} {{ name.endswith('ld') }} {{ name.find('o') }} {{ name.replace('l', 'L', 1) }} {{ '-'.join(['a', 'b']) }} {{ '{}+{}'.format(1, 2) }}",
      "a,b|['a', 'b,c']|['a,b', 'c']|['x', 'y']|True True 4 HeLlo World a-b 1+2"
    ),
    (
      "methods",
      "{{ messages[2].content.split('</think>')[-1].lstrip('\\n') }}|{{ messages[2].content.split('</think>')[0].rstrip('\\n').split('<think>')[-1].lstrip('\\n') }}|{{ '%s=%d' % ('n', 5) }}",
      "Hello|hmm|n=5"
    ),
  ]
}

extension ChatTemplateTests {
  @Test(arguments: JinjaReferenceCases.cases)
  func rendersLikeJinja2(_ feature: String, _ source: String, _ expected: String) throws {
    let rendered = try ChatTemplate(source: source).render(context: JinjaReferenceCases.context)
    #expect(rendered == expected, "\(feature): \(source.debugDescription)")
  }

  @Test func lstripBlocksAndTrimBlocks() throws {
    // lstrip_blocks drops the indentation before `{% %}`, trim_blocks the newline after it;
    // `{{ }}` keeps both.
    let template = try ChatTemplate(
      source: "<ul>\n  {% for x in items %}\n  <li>{{ x }}</li>\n  {% endfor %}\n</ul>\n")
    #expect(
      try template.render(context: ["items": [1, 2]]) == "<ul>\n  <li>1</li>\n  <li>2</li>\n</ul>")
  }

  @Test func whitespaceControlSigns() throws {
    // `-` strips all whitespace on that side, `+` opts out of lstrip_blocks / trim_blocks.
    let source =
      "{{ 'a' }}   {{- 'b' -}}   {{ 'c' }}\n  {%- if true %}  d{% endif %}\n  {%+ if true %}e{% endif +%}\nf"
    #expect(try ChatTemplate(source: source).render(context: [:]) == "abc  d  e\nf")
  }

  @Test func loopVariables() throws {
    let template = try ChatTemplate(
      source:
        "{% for m in messages %}{{ loop.index }}/{{ loop.length }}{% if loop.first %}F{% endif %}{% if loop.last %}L{% endif %} {% endfor %}"
    )
    let messages = ["a", "b", "c"].map { ChatMessage(role: "user", content: $0) }
    #expect(try template.render(messages: messages, addGenerationPrompt: false) == "1/3F 2/3 3/3L ")
  }

  @Test func namespaceAttributesOutliveLoopScopes() throws {
    // A plain `set` inside a loop is local to the iteration; a namespace attribute is not.
    let template = try ChatTemplate(
      source:
        "{% set found = false %}{% set ns = namespace(found=false) %}{% for m in messages %}{% if m.role == 'assistant' %}{% set found = true %}{% set ns.found = true %}{% endif %}{% endfor %}{{ found }} {{ ns.found }}"
    )
    let messages = [
      ChatMessage(role: "user", content: "Hi"), ChatMessage(role: "assistant", content: "Yo"),
    ]
    #expect(try template.render(messages: messages, addGenerationPrompt: false) == "False True")
  }

  @Test func undefinedValuesFollowJinja2() throws {
    let template = try ChatTemplate(
      source:
        "[{{ missing }}][{{ missing is defined }}][{% if missing %}x{% endif %}][{{ messages[0].tool_calls }}][{{ missing | length }}][{% for x in missing %}x{% endfor %}][{{ missing | default('d') }}]"
    )
    let rendered = try template.render(
      messages: [ChatMessage(role: "user", content: "Hi")], addGenerationPrompt: false)
    #expect(rendered == "[][False][][][0][][d]")
    // Like jinja2's default Undefined, looking inside an undefined value is an error.
    let error = #expect(throws: ChatTemplateError.self) {
      try ChatTemplate(source: "ok\n{{ missing.attr }}").render(context: [:])
    }
    #expect(error == .runtime(message: "'missing' is undefined", line: 2, column: 4))
  }

  @Test func renderProvidesTransformersVariables() throws {
    let template = try ChatTemplate(
      source:
        "{{ bos_token }}|{{ eos_token }}|{{ tools is none }}|{{ documents is none }}|{{ add_generation_prompt }}|{{ messages | length }}|{{ date_string }}"
    )
    let rendered = try template.render(
      messages: [ChatMessage(role: "user", content: "Hi")], addGenerationPrompt: true,
      bosToken: "<s>", extra: ["date_string": "26 Jul 2024"])
    #expect(rendered == "<s>||True|True|True|1|26 Jul 2024")
  }

  @Test func extraVariablesReachTheTemplate() throws {
    let template = try ChatTemplate(source: ChatTemplateFixtures.source("qwen3.jinja"))
    let messages = [
      ChatMessage(role: "user", content: "Hi"), ChatMessage(role: "assistant", content: "Yo"),
      ChatMessage(role: "user", content: "Bye"),
    ]
    let rendered = try template.render(
      messages: messages, addGenerationPrompt: true, extra: ["enable_thinking": false])
    #expect(
      rendered
        == "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nYo<|im_end|>\n<|im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n"
    )
  }

  @Test func raiseExceptionThrowsItsMessage() throws {
    #expect(throws: ChatTemplateError.raised(message: "Roles must alternate")) {
      try ChatTemplate(source: "{{ raise_exception('Roles must alternate') }}").render(context: [:])
    }
    let gemma = try ChatTemplate(source: ChatTemplateFixtures.source("gemma3.jinja"))
    let twoUsers = [
      ChatMessage(role: "user", content: "a"), ChatMessage(role: "user", content: "b"),
    ]
    #expect(
      throws: ChatTemplateError.raised(
        message: "Conversation roles must alternate user/assistant/user/assistant/...")
    ) {
      try gemma.render(messages: twoUsers, addGenerationPrompt: true)
    }
  }

  @Test func unsupportedConstructsNameTheConstructAndLine() throws {
    #expect(
      throws: ChatTemplateError.unsupported(construct: "{% extends %} tag", line: 2, column: 4)
    ) {
      try ChatTemplate(source: "Hello\n{% extends 'base.jinja' %}")
    }
    // `from_json` is not a jinja2 or transformers filter.
    let error = #expect(throws: ChatTemplateError.self) {
      try ChatTemplate(source: "a\nb\n{{ messages[0] | from_json }}")
    }
    #expect(error == .unsupported(construct: "filter 'from_json'", line: 3, column: 18))
    #expect(error?.description.contains("filter 'from_json'") == true)
    #expect(error?.description.contains("line 3") == true)
  }

  /// jinja2 looks unknown filters and tests up at run time inside `if` blocks and conditional
  /// expressions (its "soft" frames), so such a template loads and fails only on that branch;
  /// a loop body inside the `if` is not soft.
  @Test func unknownFiltersInConditionalsFailWhenRun() throws {
    let template = try ChatTemplate(
      source: "{% if x %}{{ y | from_json }}{% endif %}{{ (y is nosuchtest) if x else 'no' }}ok")
    #expect(try template.render(context: ["x": false, "y": "1"]) == "nook")
    #expect(
      throws: ChatTemplateError.unsupported(construct: "filter 'from_json'", line: 1, column: 18)
    ) {
      try template.render(context: ["x": true, "y": "1"])
    }
    #expect(
      throws: ChatTemplateError.unsupported(construct: "filter 'from_json'", line: 1, column: 34)
    ) {
      try ChatTemplate(
        source: "{% if x %}{% for a in y %}{{ a | from_json }}{% endfor %}{% endif %}")
    }
  }

  @Test func unterminatedTagIsASyntaxErrorWithItsLine() throws {
    let error = #expect(throws: ChatTemplateError.self) {
      try ChatTemplate(source: "line one\nline two {{ name \nline three")
    }
    guard case .syntax(let message, let line, let column)? = error else {
      Issue.record("expected a syntax error, got \(String(describing: error))")
      return
    }
    #expect(line == 2)
    #expect(column == 10)
    #expect(message.contains("never closed"))

    let missingEnd = #expect(throws: ChatTemplateError.self) {
      try ChatTemplate(source: "{% for m in messages %}\n{{ m.content }}\n")
    }
    guard case .syntax(let endMessage, _, _)? = missingEnd else {
      Issue.record("expected a syntax error, got \(String(describing: missingEnd))")
      return
    }
    #expect(endMessage.contains("'endfor'"))
  }
}
