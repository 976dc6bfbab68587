import Foundation
import Testing

/// `whet score`, `select` and `eval` on hand-written rows: the code verifier against exploits,
/// label-free selection, and missing references. No model is needed.
@Suite struct RewardIntegrityCLITests {
  func write(_ rows: [[String: Any]], _ name: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent(
      "whet-\(UUID().uuidString)-\(name)")
    let lines = try rows.map {
      String(
        decoding: try JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys]),
        as: UTF8.self)
    }
    try (lines.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
    return url
  }

  func rows(_ stdout: String) throws -> [[String: Any]] {
    try stdout.split(separator: "\n").map {
      try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
    }
  }

  /// The exploits of the issue through the command a user runs: only the honest solution
  /// scores 1, with namespaces and without.
  @Test func codeScoresOnlyHonestSolutions() throws {
    let tests = #"["assert add(1, 2) == 3", "assert add(2, 2) == 4"]"#
    let completions = [
      "```python\ndef add(a, b):\n    return a + b\n```",
      "```python\nimport builtins; builtins.exec = lambda *a, **k: None\ndef add(a, b):\n    return 0\n```",
      "```python\nimport builtins; builtins.compile = lambda *a, **k: compile('pass', 's', 'exec')\ndef add(a, b):\n    return 0\n```",
      "```python\nclass T(int):\n    def __eq__(self, o):\n        return True\ndef add(a, b):\n    return T(0)\n```",
    ]
    let data = try write(
      completions.map { ["prompt": "Write add.", "completion": $0, "tests": tests] }, "code.jsonl")
    for extra in [[], ["--unisolated"]] {
      let run = try CLITests.whet(["score", "--data", data.path, "--source", "code"] + extra)
      #expect(run.status == 0, "\(run.stderr)")
      let scores = try rows(run.stdout).map { ($0["scores"] as? [String: Any])?["code"] as? Double }
      #expect(scores == [1, 0, 0, 0], "\(extra)")
      let warnings = run.stderr.components(separatedBy: "without namespace isolation").count - 1
      #expect(warnings == (extra.isEmpty ? 0 : 1), "\(run.stderr)")
      let inputs = try rows(run.stdout).first?["score_inputs"] as? [String: [String]]
      #expect(inputs == ["code": ["tests"]])
    }
  }

  @Test func labelFreeSelectionRefusesSourcesThatReadTheAnswer() throws {
    // Two questions, four candidates each; `math` reads `answer`, the others do not.
    let completions = [
      ["The answer is 4.", "It is 5", "4", "I think the answer is 4 because 2 + 2 = 4."],
      ["The answer is 9.", "9", "The answer is 8, I am fairly sure about it.", "8"],
    ]
    var input: [[String: Any]] = []
    for (q, list) in completions.enumerated() {
      for c in list {
        input.append(["prompt": "Q\(q)", "completion": c, "answer": q == 0 ? "4" : "9", "query": q])
      }
    }
    let data = try write(input, "cands.jsonl")
    let score = try CLITests.whet([
      "score", "--data", data.path, "--source", "math", "--source", "format:final-answer",
      "--source", "length:20", "--source", "repetition:1",
    ])
    #expect(score.status == 0, "\(score.stderr)")
    let scored = try write(try rows(score.stdout), "scored.jsonl")
    let refused = try CLITests.whet(["select", "--data", scored.path, "--method", "weaver"])
    #expect(refused.status != 0)
    #expect(refused.stderr.contains("'math' reads answer"), "\(refused.stderr)")
    #expect(refused.stderr.contains("--exclude math") && refused.stderr.contains("--allow-labels"))
    for extra in [
      ["--exclude", "math"], ["--allow-labels"],
      ["--source", "format:final-answer", "--source", "length:20", "--source", "repetition:1"],
    ] {
      let run = try CLITests.whet(
        ["select", "--data", scored.path, "--method", "weaver", "--label-model", "majority"] + extra
      )
      #expect(run.status == 0, "\(extra): \(run.stderr)")
      #expect(try rows(run.stdout).count == 2)
    }
    let unknown = try CLITests.whet(["select", "--data", scored.path, "--exclude", "nope"])
    #expect(unknown.status != 0 && unknown.stderr.contains("nope"), "\(unknown.stderr)")
    // A score column from elsewhere, with no record of what it read, is refused too.
    var foreign = try rows(score.stdout)
    for i in foreign.indices {
      foreign[i]["score_inputs"] = nil
      var s = foreign[i]["scores"] as! [String: Any]
      s["external"] = Double(i % 3)
      foreign[i]["scores"] = s
    }
    let foreignFile = try write(foreign, "foreign.jsonl")
    let unknownOrigin = try CLITests.whet([
      "select", "--data", foreignFile.path, "--method", "weaver", "--exclude", "math",
    ])
    #expect(
      unknownOrigin.status != 0 && unknownOrigin.stderr.contains("'external'"),
      "\(unknownOrigin.stderr)")
  }

  /// Six rows: two right, one wrong, three without a usable reference (absent, null, blank).
  /// By hand: accuracy 2/3 over the 3 rows with a reference, 3 missing.
  @Test func evalCountsAMissingReferenceAsMissing() throws {
    let data = try write(
      [
        ["prompt": "a", "completion": "The answer is 4.", "answer": "4", "query": 0],
        ["prompt": "a", "completion": "5", "answer": "4", "query": 0],
        ["prompt": "b", "completion": "7", "answer": "7", "query": 1],
        ["prompt": "b", "completion": "7", "query": 1],
        ["prompt": "c", "completion": "1", "answer": NSNull(), "query": 2],
        ["prompt": "c", "completion": "1", "answer": " ", "query": 2],
      ], "eval.jsonl")
    let run = try CLITests.whet(["eval", "--data", data.path])
    #expect(run.status == 0, "\(run.stderr)")
    let report = try #require(run.json)
    #expect(report["candidates"] as? Int == 3)
    #expect(report["missing_reference"] as? Int == 3)
    #expect(report["queries"] as? Int == 2)
    #expect(abs((report["accuracy"] as? Double ?? .nan) - 2.0 / 3.0) < 1e-12)
  }
}
