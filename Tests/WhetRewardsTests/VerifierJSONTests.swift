import Testing
import WhetLM

@testable import WhetRewards

@Suite struct VerifierJSONTests {
  @Test func parsesValuesEscapesAndSurrogates() throws {
    let value = try JSONValue.parse(
      #" {"a": [1, -2.5e1, true, null], "b": "caf\u00e9 \ud83d\ude00\n", "c": {}} "#)
    #expect(value["a"] == [1, -25, true, nil])
    #expect(value["b"] == "café 😀\n")
    #expect(value["c"] == .object([:]))
    #expect(try JSONValue.parse("3") == 3)
    #expect(try JSONValue.parse(#""\/""#) == "/")
  }

  @Test func rejectsMalformedTextWithPosition() {
    func failure(_ text: String) -> JSONParseError? {
      do {
        _ = try JSONValue.parse(text)
        return nil
      } catch {
        return error
      }
    }
    #expect(
      failure(#"{"a":1,}"#)
        == JSONParseError(message: "expected a string key in object", line: 1, column: 8))
    #expect(failure("[1 2]")?.message == "expected ',' or ']' in array")
    #expect(failure("01")?.message == "leading zeros are not allowed in numbers")
    #expect(
      failure("{\n\"a\": tru}")
        == JSONParseError(message: "invalid literal, expected 'true'", line: 2, column: 9))
    #expect(failure("\"tab\there\"")?.message.contains("control character") == true)
    #expect(failure("{} x")?.message == "unexpected trailing characters after the JSON value")
    #expect(failure("{'a': 1}") != nil)
    #expect(failure("") != nil)
    // Hostile nesting is an error, not a stack overflow.
    #expect(failure(String(repeating: "[", count: 100_000))?.message.contains("nesting") == true)
  }

  @Test func writesCompactSortedText() {
    let value: JSONValue = [
      "b": 1, "a": [true, nil, "x\n\"q\""], "c": 0.5, "d": 3.0, "e": "\u{1}",
    ]
    #expect(value.jsonText() == #"{"a":[true,null,"x\n\"q\""],"b":1,"c":0.5,"d":3,"e":"\u0001"}"#)
    #expect(JSONValue.number(.nan).jsonText() == "null")
    #expect(JSONValue.number(-2).jsonText() == "-2")
  }

  @Test func schemaSubset() throws {
    let schema = try JSONSchema(
      text: #"""
        {"type": "object",
         "properties": {
           "name": {"type": "string", "minLength": 1, "maxLength": 5},
           "age": {"type": "integer", "minimum": 0, "maximum": 150},
           "tags": {"type": "array", "items": {"enum": ["x", "y"]}}},
         "required": ["name", "age"]}
        """#)
    #expect(schema.violations(of: ["name": "Al", "age": 30, "tags": ["x", "y"]]).isEmpty)
    #expect(schema.accepts(["name": "héllo", "age": 30.0]))  // 5 scalars; 30.0 is an integer
    #expect(
      schema.violations(of: ["name": "", "age": 30]) == [
        "$.name: string of length 0 is shorter than minLength 1"
      ])
    #expect(
      schema.violations(of: ["name": "Al", "age": -1]) == ["$.age: -1 is less than minimum 0"])
    #expect(schema.violations(of: ["name": "Al"]) == ["$: missing required property 'age'"])
    #expect(
      schema.violations(of: ["name": "Al", "age": 3.5]) == [
        "$.age: expected an integer, got a number"
      ])
    #expect(
      schema.violations(of: ["name": "Al", "age": 1, "tags": ["z"]]) == [
        #"$.tags[0]: "z" is not one of ["x","y"]"#
      ])
    #expect(schema.violations(of: [1, 2]) == ["$: expected an object, got an array"])
    let closed = try JSONSchema(["type": ["object", "null"], "additionalProperties": false])
    #expect(closed.accepts(nil))
    #expect(closed.violations(of: ["k": 1]) == ["$: property 'k' is not allowed"])
  }

  @Test func malformedSchemaThrows() {
    #expect(throws: VerifierError.self) { try JSONSchema(["type": 3]) }
    #expect(throws: VerifierError.self) { try JSONSchema(["minimum": "0"]) }
    #expect(throws: VerifierError.self) { try JSONSchema(text: "{not json") }
  }

  @Test func jsonVerifier() throws {
    let plain = JSONVerifier()
    func item(_ completion: String, _ columns: [String: String] = [:]) -> ScoringItem {
      ScoringItem(prompt: "", completion: completion, columns: columns)
    }
    #expect(plain.verify(item(#"  {"a": 1} "#)) == .value(1))
    #expect(plain.verify(item("Here:\n```json\n{\"a\": [1, 2]}\n```\nDone.")) == .value(1))
    #expect(plain.verify(item("{a: 1}")) == .value(0))
    #expect(plain.verify(item("")) == .value(0))
    let schemaColumn = #"{"type": "object", "required": ["a"]}"#
    #expect(plain.verify(item(#"{"a": 1}"#, ["schema": schemaColumn])) == .value(1))
    #expect(plain.verify(item(#"{"b": 1}"#, ["schema": schemaColumn])) == .value(0))
    #expect(plain.verify(item(#"{"b": 1}"#, ["schema": #"{"type": 7}"#])).value == nil)
    let fixed = JSONVerifier(schema: try JSONSchema(["type": "array", "maxItems": 2]))
    #expect(fixed.verify(item("[1, 2]")) == .value(1))
    #expect(fixed.verify(item("[1, 2, 3]")) == .value(0))
  }
}
