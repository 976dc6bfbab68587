import Foundation
import Testing
import WhetLM

@testable import WhetData

private func temporaryFile(_ contents: String) throws -> URL {
  let url = FileManager.default.temporaryDirectory.appendingPathComponent(
    "whet-jsonl-\(UUID().uuidString).jsonl")
  try Data(contents.utf8).write(to: url)
  return url
}

private func firstError(_ reader: JSONLReader) -> DatasetError? {
  do {
    _ = try reader.readAll()
    return nil
  } catch {
    return error
  }
}

private func row(_ json: String, required: [String] = []) throws -> DatasetRow {
  let object = try #require(try JSONValue.parse(json).objectValue)
  return try DatasetRow(object: object, file: "t.jsonl", line: 1, required: required)
}

private func rowError(_ json: String, required: [String] = []) -> DatasetError? {
  do {
    _ = try row(json, required: required)
    return nil
  } catch let error as DatasetError {
    return error
  } catch {
    return nil
  }
}

@Suite struct JSONLTests {
  @Test func readsRowsSkippingBlankLinesWithCRLFAndBOM() throws {
    let url = try temporaryFile(
      "\u{FEFF}{\"a\": 1}\r\n\n   \n{\"b\": [true, null]}\n{\"c\": \"x\"}")
    defer { try? FileManager.default.removeItem(at: url) }
    let reader = try JSONLReader(url: url)
    #expect(try reader.next() == ["a": 1])
    #expect(reader.lineNumber == 1)
    #expect(try reader.next() == ["b": [true, nil]])
    #expect(reader.lineNumber == 4)
    #expect(try reader.next() == ["c": "x"])
    #expect(reader.lineNumber == 5)
    #expect(try reader.next() == nil)
  }

  @Test func invalidJSONNamesFileAndLine() throws {
    let url = try temporaryFile("{\"a\": 1}\n\n{\"a\": }\n{\"a\": 3}\n")
    defer { try? FileManager.default.removeItem(at: url) }
    let error = firstError(try JSONLReader(url: url))
    #expect(
      error
        == .invalidJSON(
          file: url.path, line: 3, reason: "unexpected character '}', expected a value at column 7")
    )
    #expect(error?.file == url.path)
    #expect(error?.line == 3)
    #expect(error?.description.hasPrefix("\(url.path):3: invalid JSON") == true)
  }

  @Test func nonObjectLinesAreRejected() {
    let error = firstError(JSONLReader(text: "{\"a\": 1}\n[1, 2]\n", name: "data.jsonl"))
    #expect(error == .notAnObject(file: "data.jsonl", line: 2, found: "an array"))
    #expect(error?.description == "data.jsonl:2: each line must be a JSON object, got an array")
  }

  @Test func missingFileIsUnreadable() {
    #expect(throws: DatasetError.self) {
      try JSONLReader(url: URL(fileURLWithPath: "/nonexistent/x.jsonl"))
    }
  }

  @Test func streamsAcrossChunkBoundaries() throws {
    // Lines of ~1 KB so many of them straddle the 64 KiB read size.
    let long = String(repeating: "é", count: 500)
    let text = (0..<300).map { #"{"i": \#($0), "s": "\#(long)"}"# }.joined(separator: "\n")
    let url = try temporaryFile(text)
    defer { try? FileManager.default.removeItem(at: url) }
    let rows = try JSONLReader.readAll(url)
    #expect(rows.count == 300)
    #expect(
      rows.enumerated().allSatisfy {
        $0.element["i"] == .number(Double($0.offset)) && $0.element["s"] == .string(long)
      })
  }

  @Test func writerSortsKeysAndRoundTrips() throws {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent(
      "whet-jsonl-\(UUID().uuidString).jsonl")
    defer { try? FileManager.default.removeItem(at: url) }
    let rows: [[String: JSONValue]] = [["b": 1, "a": "x"], ["z": ["k": 2.5, "j": nil]]]
    try JSONLWriter.write(rows, to: url)
    #expect(
      try String(contentsOf: url, encoding: .utf8)
        == "{\"a\":\"x\",\"b\":1}\n{\"z\":{\"j\":null,\"k\":2.5}}\n")
    #expect(try JSONLReader.readAll(url) == rows)

    let writer = try JSONLWriter(url: url, append: true)
    try writer.write(["task": "sorting/1"])
    try writer.close()
    let all = try JSONLReader.readAll(url)
    #expect(all.count == 3)
    #expect(all[2]["task"]?.stringValue == "sorting/1")
  }

  @Test func detectsTRLFormats() throws {
    #expect(try row(#"{"text": "hello"}"#).content == .text("hello"))
    #expect(try row(#"{"prompt": "2+2="}"#).content == .prompt(.text("2+2=")))
    #expect(
      try row(#"{"prompt": "2+2=", "completion": "4"}"#).content
        == .promptCompletion(prompt: .text("2+2="), completion: .text("4")))
    #expect(
      try row(#"{"prompt": "Q", "chosen": "good", "rejected": "bad"}"#).content
        == .preference(prompt: .text("Q"), chosen: .text("good"), rejected: .text("bad")))
    #expect(try row(#"{"chosen": "Q good", "rejected": "Q bad"}"#).format == .preference)
    #expect(
      try row(#"{"prompt": "Q", "completion": "A", "label": false}"#).content
        == .unpairedPreference(prompt: .text("Q"), completion: .text("A"), label: false))
    let chat = try row(
      #"{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}"#
    )
    #expect(
      chat.content
        == .messages([
          ChatMessage(role: "user", content: "Hi"),
          ChatMessage(role: "assistant", content: "Hello"),
        ]))
    #expect(chat.format == .languageModeling && chat.content.isConversational)
    let conversationalPrompt = try row(
      #"{"prompt": [{"role": "user", "content": [{"type": "text", "text": "What is "}, {"type": "text", "text": "2+2?"}]}], "completion": [{"role": "assistant", "content": "4"}]}"#
    )
    #expect(
      conversationalPrompt.content
        == .promptCompletion(
          prompt: .messages([ChatMessage(role: "user", content: "What is 2+2?")]),
          completion: .messages([ChatMessage(role: "assistant", content: "4")])))
  }

  @Test func extraColumnsPassThrough() throws {
    let r = try row(
      #"{"prompt": "Q", "answer": 42, "tests": ["assert f()"], "source": "gsm8k"}"#,
      required: ["answer"])
    #expect(r.format == .promptOnly)
    #expect(r.extras == ["answer": 42, "tests": ["assert f()"], "source": "gsm8k"])
    #expect(r.columns == ["answer": "42", "tests": #"["assert f()"]"#, "source": "gsm8k"])
    #expect(
      r.jsonObject == ["prompt": "Q", "answer": 42, "tests": ["assert f()"], "source": "gsm8k"])
  }

  @Test func rowErrorsNameFieldFileAndLine() {
    #expect(
      rowError(#"{"prompt": "Q", "completion": "A", "label": "yes"}"#)
        == .wrongType(
          file: "t.jsonl", line: 1, field: "label", expected: "a bool", found: "a string"))
    #expect(
      rowError(#"{"messages": [{"role": "user", "content": "Hi"}, {"content": "Hello"}]}"#)
        == .missingField(file: "t.jsonl", line: 1, field: "messages[1].role"))
    #expect(
      rowError(#"{"prompt": 3}"#)
        == .wrongType(
          file: "t.jsonl", line: 1, field: "prompt", expected: "a string or a list of messages",
          found: "a number"))
    #expect(
      rowError(#"{"chosen": "a"}"#) == .missingField(file: "t.jsonl", line: 1, field: "rejected"))
    #expect(
      rowError(#"{"prompt": "Q"}"#, required: ["answer"])
        == .missingField(file: "t.jsonl", line: 1, field: "answer"))
    let unknown = rowError(#"{"question": "Q", "id": 1}"#)
    #expect(unknown == .unrecognizedFormat(file: "t.jsonl", line: 1, fields: ["id", "question"]))
    #expect(unknown?.description.contains("fields present: id, question") == true)
  }

  @Test func datasetReaderReportsTheFailingLine() throws {
    let text = """
      {"prompt": "a", "answer": "1"}
      {"prompt": "b", "answer": "2"}
      {"prompt": "c"}
      """
    let reader = DatasetReader(text: text, name: "train.jsonl", required: ["answer"])
    #expect(try reader.next()?.line == 1)
    #expect(try reader.next()?.row.columns["answer"] == "2")
    #expect(throws: DatasetError.missingField(file: "train.jsonl", line: 3, field: "answer")) {
      try reader.next()
    }
  }
}
