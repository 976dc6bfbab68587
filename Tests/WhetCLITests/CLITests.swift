import Foundation
import TestSupport
import Testing
import WhetLM

/// End-to-end runs of the `whet` executable, checking the output contracts later tools read.
@Suite struct CLITests {
  struct Run {
    var status: Int32
    var stdout: String
    var stderr: String
    var json: [String: Any]? {
      (try? JSONSerialization.jsonObject(with: Data(stdout.utf8))) as? [String: Any]
    }
  }

  /// `whet` sits beside the test bundle in the build directory.
  static let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    .deletingLastPathComponent().appendingPathComponent("whet")

  static func whet(
    _ arguments: [String], input: String? = nil, directory: URL = Fixtures.repositoryRoot,
    environment: [String: String]? = nil
  ) throws -> Run {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    process.currentDirectoryURL = directory
    if let environment { process.environment = environment }
    let out = Pipe(), err = Pipe(), inPipe = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = inPipe
    try process.run()
    if let input { inPipe.fileHandleForWriting.write(Data(input.utf8)) }
    try inPipe.fileHandleForWriting.close()
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Run(
      status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
      stderr: String(decoding: stderr, as: UTF8.self))
  }

  nonisolated(unsafe) static let reference: [String: Any]? = {
    guard let root = try? Fixtures.json("WhetLMTests", "smollm2_reference.json") as? [String: Any]
    else { return nil }
    return (root["prompts"] as? [[String: Any]])?.first
  }()

  @Test func tokenizeChatMatchesTransformers() throws {
    let ref = try #require(Self.reference)
    let run = try Self.whet(["tokenize", "--chat", "--json", "What is the capital of France?"])
    #expect(run.status == 0, "\(run.stderr)")
    #expect(run.json?["ids"] as? [Int] == ref["input_ids"] as? [Int])
  }

  /// From another directory, with no `$WHET_MODEL`, the path `make models` recorded is used;
  /// without a record the error names the relative default it looked for.
  @Test func defaultModelIsFoundFromAnyDirectory() throws {
    let ref = try #require(Self.reference)
    let cache = FileManager.default.temporaryDirectory.appendingPathComponent(
      "whet-cache-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: cache) }
    try FileManager.default.createDirectory(
      at: cache.appendingPathComponent("whetstone"), withIntermediateDirectories: true)
    try (Fixtures.defaultModel.path + "\n").write(
      to: cache.appendingPathComponent("whetstone/default-model"), atomically: true,
      encoding: .utf8)
    let elsewhere = FileManager.default.temporaryDirectory
    let run = try Self.whet(
      ["tokenize", "--chat", "--json", "What is the capital of France?"], directory: elsewhere,
      environment: ["PATH": "/usr/bin:/bin", "HOME": cache.path, "XDG_CACHE_HOME": cache.path])
    #expect(run.status == 0, "\(run.stderr)")
    #expect(run.json?["ids"] as? [Int] == ref["input_ids"] as? [Int])
    let unrecorded = try Self.whet(
      ["tokenize", "Hello"], directory: elsewhere,
      environment: [
        "PATH": "/usr/bin:/bin", "HOME": elsewhere.path, "XDG_CACHE_HOME": elsewhere.path + "/none",
      ])
    #expect(unrecorded.status != 0)
    #expect(
      unrecorded.stderr.contains("models/SmolLM2-135M-Instruct.Q4_1.gguf"), "\(unrecorded.stderr)")
  }

  /// `whet tokenize` reads only the tokenizer: a vocab-only GGUF (SmolLM2's tokenizer metadata,
  /// no tensors, here with `add_bos_token` on) tokenizes like the full model, `--no-special`
  /// leaves the BOS out, and commands that need weights fail naming what is missing.
  @Test func tokenizeNeedsOnlyTheVocabulary() throws {
    let ref = try #require(Self.reference)
    let full = try GGUFFile(contentsOf: Fixtures.defaultModel)
    var writer = GGUFWriter()
    for key in full.metadataKeys where key.hasPrefix("tokenizer.") || key.hasPrefix("general.") {
      writer.setMetadata(key, full.metadata[key]!)
    }
    writer.setMetadata("tokenizer.ggml.add_bos_token", .bool(true))
    let url = FileManager.default.temporaryDirectory.appendingPathComponent(
      "whet-vocab-\(UUID().uuidString).gguf")
    defer { try? FileManager.default.removeItem(at: url) }
    try writer.encode().write(to: url)

    let chat = try Self.whet([
      "tokenize", "--model", url.path, "--chat", "--json", "What is the capital of France?",
    ])
    #expect(chat.status == 0, "\(chat.stderr)")
    #expect(chat.json?["ids"] as? [Int] == ref["input_ids"] as? [Int])
    let plain = try Self.whet(["tokenize", "--model", url.path, "--json", "Hello world"])
    let bare = try Self.whet([
      "tokenize", "--model", url.path, "--no-special", "--json", "Hello world",
    ])
    let withBOS = try #require(plain.json?["ids"] as? [Int])
    let without = try #require(bare.json?["ids"] as? [Int])
    let bos = try #require(full.metadata["tokenizer.ggml.bos_token_id"]?.intValue)
    #expect(withBOS == [bos] + without && !without.isEmpty, "\(withBOS) vs \(without)")
    let generate = try Self.whet(["generate", "--model", url.path, "Hello"])
    #expect(generate.status != 0)
    #expect(generate.stderr.contains(url.path), "\(generate.stderr)")
  }

  @Test func logprobsMatchTransformers() throws {
    let ref = try #require(Self.reference)
    let run = try Self.whet([
      "logprobs", "--chat", "--top", "5", "--json", "What is the capital of France?",
    ])
    #expect(run.status == 0, "\(run.stderr)")
    let top = try #require(run.json?["top"] as? [[String: Any]])
    let expected = try #require(ref["last_top5"] as? [[String: Any]])
    #expect(top.map { $0["id"] as? Int } == expected.map { $0["id"] as? Int })
    for (a, b) in zip(top, expected) {
      #expect(abs((a["logit"] as? Double ?? .nan) - (b["logit"] as? Double ?? 0)) < 1e-3)
      #expect(abs((a["logprob"] as? Double ?? .nan) - (b["logprob"] as? Double ?? 0)) < 1e-3)
      #expect(a["token"] as? String == b["token"] as? String)
    }
  }

  @Test func greedyGenerateAnswersTheReference() throws {
    let ref = try #require(Self.reference)
    let run = try Self.whet([
      "generate", "--chat", "--json", "--temperature", "0", "--max-tokens", "16",
      "What is the capital of France?",
    ])
    #expect(run.status == 0, "\(run.stderr)")
    let completion = try #require((run.json?["completions"] as? [[String: Any]])?.first)
    // The reference continuation ends with <|im_end|>, which stops generation and is not returned.
    #expect(
      completion["text"] as? String
        == (ref["greedy_16_text"] as? String)?.replacingOccurrences(of: "<|im_end|>", with: ""))
    #expect(completion["finish_reason"] as? String == "eos")
    #expect((completion["logprobs"] as? [Double])?.count == (completion["tokens"] as? [Int])?.count)
  }

  @Test func chatReadsTurnsFromStandardInput() throws {
    let run = try Self.whet(
      ["chat", "--temperature", "0", "--max-tokens", "12"],
      input: "What is the capital of France?\n\n")
    #expect(run.status == 0, "\(run.stderr)")
    #expect(run.stdout.contains("Paris"))
  }

  @Test func missingAndCorruptModelsFailWithTheirPath() throws {
    let missing = try Self.whet(["tokenize", "--model", "/nonexistent/model.gguf", "hi"])
    #expect(missing.status != 0)
    #expect(missing.stderr.contains("/nonexistent/model.gguf"))
    // A truncated copy of the real model.
    let source = try Data(contentsOf: Fixtures.defaultModel, options: .alwaysMapped)
    let truncated = FileManager.default.temporaryDirectory.appendingPathComponent(
      "whet-truncated-\(UUID().uuidString).gguf")
    defer { try? FileManager.default.removeItem(at: truncated) }
    try source.prefix(source.count / 2).write(to: truncated)
    let run = try Self.whet(["generate", "--model", truncated.path, "hi"])
    #expect(run.status != 0)
    #expect(run.stderr.contains(truncated.path))
    #expect(!run.stderr.contains("Fatal error"))
  }
}

/// The best-of-N pipeline end to end: tasks → sample → score → select → eval.
@Suite struct PipelineCLITests {
  /// The number a completion states, read without the product's verifier: the first number
  /// after the last "answer is" / "answer:" (any case) if there is one, else the last number.
  /// A number is ASCII digits with an optional decimal part, negative after a `-` that
  /// starts the text or follows a space. `nil` when the text has no digit.
  static func statedNumber(_ text: String) -> Double? {
    let chars = Array(text)
    func isDigit(_ i: Int) -> Bool { i < chars.count && chars[i].isASCII && chars[i].isNumber }
    var numbers: [(start: Int, value: Double)] = []
    var i = 0
    while i < chars.count {
      guard isDigit(i) else {
        i += 1
        continue
      }
      var j = i
      while isDigit(j) { j += 1 }
      if j < chars.count, chars[j] == ".", isDigit(j + 1) {
        j += 1
        while isDigit(j) { j += 1 }
      }
      let negative = i > 0 && chars[i - 1] == "-" && (i == 1 || chars[i - 2] == " ")
      let magnitude = Double(String(chars[i..<j]))!
      numbers.append((start: i, value: negative ? -magnitude : magnitude))
      i = j
    }
    let lower = Array(text.lowercased())
    var marker: Int? = nil
    if lower.count == chars.count {
      let phrases: [[Character]] = [Array("answer is"), Array("answer:")]
      for phrase in phrases where phrase.count <= lower.count {
        for start in 0...(lower.count - phrase.count)
        where Array(lower[start..<(start + phrase.count)]) == phrase {
          marker = max(marker ?? -1, start + phrase.count)
        }
      }
    }
    if let marker, let first = numbers.first(where: { $0.start >= marker }) { return first.value }
    return numbers.last?.value
  }

  func write(_ text: String, _ name: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent(
      "whet-\(UUID().uuidString)-\(name)")
    try text.write(to: url, atomically: true, encoding: .utf8)
    return url
  }

  /// `whet sample --bf16` with 16 greedy rows of one prompt: every row decodes through the
  /// bf16-packed weights (16 rows and more) and answers as transformers' fp32 reference does.
  @Test func bf16SamplingAnswersTheReference() throws {
    let tasks = try write(#"{"prompt": "What is the capital of France?"}"# + "\n", "france.jsonl")
    let sample = try CLITests.whet([
      "sample", "--data", tasks.path, "--n", "16", "--max-tokens", "16", "--temperature", "0",
      "--bf16",
    ])
    #expect(sample.status == 0, "\(sample.stderr)")
    let rows = sample.stdout.split(separator: "\n").compactMap {
      try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
    }
    #expect(rows.count == 16)
    let completions = Set(rows.compactMap { $0["completion"] as? String })
    #expect(completions.count == 1, "greedy rows differ: \(completions)")
    #expect(completions.first?.contains("Paris") == true, "\(completions)")
  }

  @Test func tasksSampleScoreSelectEval() throws {
    let tasks = try CLITests.whet(["tasks", "--suite", "arithmetic", "--n", "2", "--seed", "3"])
    #expect(tasks.status == 0, "\(tasks.stderr)")
    #expect(tasks.stdout.split(separator: "\n").count == 2)
    let taskFile = try write(tasks.stdout, "tasks.jsonl")
    let sample = try CLITests.whet([
      "sample", "--data", taskFile.path, "--n", "3", "--max-tokens", "24", "--seed", "5",
    ])
    #expect(sample.status == 0, "\(sample.stderr)")
    #expect(sample.stdout.split(separator: "\n").count == 6)
    let candidates = try write(sample.stdout, "candidates.jsonl")
    let score = try CLITests.whet([
      "score", "--data", candidates.path, "--source", "math", "--source", "self-certainty",
      "--source", "agreement",
    ])
    #expect(score.status == 0, "\(score.stderr)")
    #expect(score.stdout.contains("\"math\":") && score.stdout.contains("\"self-certainty\":"))
    let scored = try write(score.stdout, "scored.jsonl")
    let select = try CLITests.whet(["select", "--data", scored.path, "--method", "best:math"])
    #expect(select.status == 0, "\(select.stderr)")
    #expect(select.stdout.split(separator: "\n").count == 2)  // one row per query
    let eval = try CLITests.whet(["eval", "--data", scored.path])
    #expect(eval.status == 0, "\(eval.stderr)")
    let report = try #require(eval.json)
    // The expected figures, from the rows written above: each candidate is right when the
    // number its completion states (read here by `statedNumber`, not by the `math` verifier)
    // equals the task's `answer`. With c right of the 3 candidates of a query, pass@1 is c / 3
    // and pass@3 is 1 when c > 0; best-of-N by `math` (1 for right, else 0 or no score) picks
    // a right candidate exactly when there is one.
    var rightPerQuery: [Int: Int] = [:]
    for line in score.stdout.split(separator: "\n") {
      let row = try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
      let completion = try #require(row["completion"] as? String)
      let answer = try #require((row["answer"] as? String).flatMap { Double($0) })
      let query = try #require(row["query"] as? Int)
      let right = PipelineCLITests.statedNumber(completion) == answer
      rightPerQuery[query, default: 0] += right ? 1 : 0
      // `whet score`'s math verifier reads the same answer from the same text.
      let math = (row["scores"] as? [String: Any])?["math"] as? Double
      #expect(((math ?? 0) >= 0.5) == right, "\(completion.debugDescription), answer \(answer)")
    }
    let counts = rightPerQuery.values
    #expect(counts.count == 2)
    let expectedAccuracy = Double(counts.reduce(0, +)) / 6
    let expectedPass1 = counts.reduce(0.0) { $0 + Double($1) / 3 } / 2
    let expectedPass3 = Double(counts.filter { $0 > 0 }.count) / 2
    #expect(abs((report["accuracy"] as? Double ?? .nan) - expectedAccuracy) < 1e-12)
    #expect(abs((report["pass@1"] as? Double ?? .nan) - expectedPass1) < 1e-12)
    #expect(abs((report["pass@3"] as? Double ?? .nan) - expectedPass3) < 1e-12)
    let best = try #require(report["best_of_n_accuracy"] as? [String: Double])
    #expect(abs((best["math"] ?? .nan) - expectedPass3) < 1e-12)
    #expect(report["queries"] as? Int == 2)
    #expect(report["candidates"] as? Int == 6)
    // Agreement is a share of the other two candidates: 0, 0.5 or 1.
    for line in score.stdout.split(separator: "\n") {
      let row = try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
      let agreement = try #require((row["scores"] as? [String: Any])?["agreement"] as? Double)
      #expect([0, 0.5, 1].contains(agreement))
    }
  }

  /// The main job at a tiny size: every output is written and the figures agree with the
  /// candidates file (recomputed here from its `correct` column).
  @Test func demoWritesReportAndConsistentFigures() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "whet-demo-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    let run = try CLITests.whet([
      "demo", "--questions", "4", "--samples", "3", "--max-tokens", "24", "--probe-questions",
      "2", "--output", dir.path, "--train-questions", "4", "--train-samples", "3", "--arms",
      "oracle,raft", "--online-steps", "1",
    ])
    #expect(run.status == 0, "\(run.stderr)")
    let html = try String(contentsOf: dir.appendingPathComponent("report.html"), encoding: .utf8)
    #expect(html.contains("<svg") && html.contains("master keys") && html.contains("pass@N"))
    let summary = try #require(
      try JSONSerialization.jsonObject(
        with: Data(contentsOf: dir.appendingPathComponent("summary.json"))) as? [String: Any])
    let methods = try #require(summary["methods"] as? [[String: Any]])
    func accuracy(_ name: String) -> Double? {
      methods.first { ($0["name"] as? String) == name }?["accuracy"] as? Double
    }
    let rows = try String(
      contentsOf: dir.appendingPathComponent("candidates.jsonl"), encoding: .utf8
    ).split(separator: "\n").map {
      try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
    }
    #expect(rows.count == 12)
    var perQuery: [Int: [Bool]] = [:]
    for row in rows {
      perQuery[row["query"] as! Int, default: []].append(row["correct"] as! Bool)
      // The verifiers never saw the answer, and each row carries all five scores.
      #expect((row["scores"] as? [String: Any])?.count == 5)
    }
    let random = perQuery.values.map { Double($0.filter { $0 }.count) / 3 }.reduce(0, +) / 4
    let oracle = Double(perQuery.values.filter { $0.contains(true) }.count) / 4
    #expect(abs((accuracy("random of N (expected)") ?? .nan) - random) < 1e-12)
    #expect(abs((accuracy("pass@N (oracle)") ?? .nan) - oracle) < 1e-12)
    for m in methods where (m["kind"] as? String) != "baseline" {
      #expect((m["accuracy"] as? Double ?? 2) <= oracle + 1e-12)
    }
    let keys = try #require((summary["master_keys"] as? [String: Any])?["keys"] as? [Any])
    #expect(keys.count == 5)
    // The short online runs: every reward, evaluated before and after, each with its report,
    // in one table with no training and the offline arms.
    let online = try #require(summary["online"] as? [[String: Any]])
    #expect(online.compactMap { $0["reward"] as? String } == ["math", "weaver", "majority"])
    #expect(online.allSatisfy { ($0["before"] as? Double).map { (0...1).contains($0) } ?? false })
    #expect(html.contains("Online RL: GRPO"))
    #expect(html.contains("<td>no training</td>") && html.contains("offline: DPO on oracle pairs"))
    #expect(
      FileManager.default.fileExists(
        atPath: dir.appendingPathComponent("online/weaver/report.html").path))

    // The training arms: oracle pairs are right answer against wrong, by the training
    // candidates' own verdicts; each arm answered the held-out questions.
    let training = try #require(summary["training"] as? [String: Any])
    let arms = try #require(training["arms"] as? [[String: Any]])
    #expect(arms.map { $0["name"] as? String } == ["oracle", "raft"])
    func lines(_ name: String) throws -> [[String: Any]] {
      try String(contentsOf: dir.appendingPathComponent("training/\(name)"), encoding: .utf8)
        .split(separator: "\n").map {
          try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }
    let candidates = try lines("train-candidates.jsonl")
    #expect(candidates.count == 12)
    func verdict(_ pair: [String: Any], _ side: String) -> Bool? {
      let text = ((pair[side] as? [[String: Any]])?.first?["content"]) as? String
      return candidates.first {
        $0["query"] as? Int == pair["query"] as? Int && $0["completion"] as? String == text
      }?["correct"] as? Bool
    }
    let pairs = try lines("oracle/pairs.jsonl")
    #expect(arms[0]["examples"] as? Int == pairs.count)
    #expect(arms[0]["right_way"] as? Int == pairs.count)
    for pair in pairs {
      #expect(verdict(pair, "chosen") == true && verdict(pair, "rejected") == false)
    }
    #expect(try lines("oracle/held-out.jsonl").count == 4)
    #expect(try lines("raft/data.jsonl").count == 4)
    #expect(html.contains("Weak supervision → training"))
    let distillation = try #require(training["distillation"] as? [String: Any])
    #expect(distillation["train_rows"] as? Int == 12)
    // The full pipeline's best-of-N here is the Weaver row of the selection study above.
    #expect(
      abs(
        (distillation["weaver_best_of_n"] as? Double ?? .nan)
          - (accuracy(
            methods.first { ($0["kind"] as? String) == "weaver" }?["name"] as? String ?? "") ?? .nan)
      )
        < 1e-12)
  }

  @Test func malformedRowsNameFileAndLine() throws {
    let bad = try write(
      "{\"prompt\": \"p\", \"completion\": \"c\", \"answer\": \"1\"}\n{\"prompt\": \"p\", \"answer\": \"2\"}\n",
      "bad.jsonl")
    let run = try CLITests.whet(["eval", "--data", bad.path])
    #expect(run.status != 0)
    #expect(run.stderr.contains("\(bad.path):2"))
    #expect(run.stderr.contains("completion"))
    let notJSON = try write("{\"prompt\": \"p\"}\n{oops\n", "notjson.jsonl")
    let run2 = try CLITests.whet(["score", "--data", notJSON.path, "--source", "math"])
    #expect(run2.status != 0)
    #expect(run2.stderr.contains("\(notJSON.path):"))
  }
}
