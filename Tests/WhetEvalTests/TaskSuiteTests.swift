import Foundation
import Testing
import WhetRewards

@testable import WhetEval

/// Independent re-implementations used to check generated answers.
private enum Recompute {
  static func integers(in text: Substring) -> [Int] {
    text.split(whereSeparator: { !($0.isNumber || $0 == "-") }).compactMap { Int($0) }
  }

  /// Replays an arithmetic word problem sentence by sentence.
  static func arithmetic(_ prompt: String) -> Int? {
    let sentences = prompt.split(separator: ". ").map { $0.hasSuffix(".") ? $0.dropLast() : $0 }
    guard let first = sentences.first, let start = integers(in: first).first else { return nil }
    var count = start
    for sentence in sentences.dropFirst() {
      if sentence.hasPrefix("How many") { break }
      let k = integers(in: sentence).first
      if sentence.contains("doubles") {
        count *= 2
      } else if sentence.contains("triples") {
        count *= 3
      } else if sentence.contains("equal groups"), let k {
        count /= k
      } else if sentence.contains(" more "), let k {
        count += k
      } else if sentence.contains("loses") || sentence.contains("uses up")
        || sentence.contains("to a friend"), let k
      {
        count -= k
      } else {
        return nil
      }
    }
    return count
  }

  /// Evaluates `f(g("abc"))` from the prompt's question line.
  static func strings(_ prompt: String) -> String? {
    guard let question = prompt.split(separator: "\n").last(where: { $0.hasPrefix("What is ") }),
      let quote = question.firstIndex(of: "\"")
    else { return nil }
    let afterQuote = question[question.index(after: quote)...]
    guard let close = afterQuote.firstIndex(of: "\"") else { return nil }
    var value = String(afterQuote[..<close])
    let names = question.dropFirst("What is ".count)[..<quote].split(separator: "(").map(
      String.init)
    for name in names.reversed() {
      switch name {
      case "reverse": value = String(value.reversed())
      case "sort": value = String(value.sorted())
      case "dedupe":
        var out = ""
        for c in value where !out.contains(c) { out.append(c) }
        value = out
      case "uppercase": value = value.uppercased()
      case "remove_vowels": value = value.filter { !"aeiouAEIOU".contains($0) }
      case "length": value = String(value.count)
      default: return nil
      }
    }
    return value
  }

  static func sorting(_ prompt: String) -> String? {
    guard let colon = prompt.firstIndex(of: ":"), let end = prompt.range(of: ". Answer") else {
      return nil
    }
    let items = prompt[prompt.index(after: colon)..<end.lowerBound].split(separator: ",").map {
      $0.trimmingCharacters(in: .whitespaces)
    }
    let descending = prompt.contains("descending") || prompt.contains("reverse alphabetical")
    if prompt.contains("numbers") {
      let numbers = items.compactMap { Int($0) }
      return (descending ? numbers.sorted(by: >) : numbers.sorted()).map(String.init).joined(
        separator: ", ")
    }
    return (descending ? items.sorted(by: >) : items.sorted()).joined(separator: ", ")
  }

  static func counting(_ prompt: String) -> Int? {
    if prompt.hasPrefix("How many times does the letter") {
      let quoted = prompt.split(separator: "\"")
      guard quoted.count >= 4, let letter = quoted[1].first else { return nil }
      return quoted[3].filter { $0 == letter }.count
    }
    guard let colon = prompt.firstIndex(of: ":"), let mark = prompt.firstIndex(of: "?") else {
      return nil
    }
    let numbers = prompt[prompt.index(after: colon)..<mark].split(separator: ",").compactMap {
      Int($0.trimmingCharacters(in: .whitespaces))
    }
    if prompt.contains("even") { return numbers.filter { $0 % 2 == 0 }.count }
    if prompt.contains("multiples of 3") { return numbers.filter { $0 % 3 == 0 }.count }
    if let range = prompt.range(of: "greater than "),
      let threshold = Int(prompt[range.upperBound...].prefix { $0.isNumber })
    {
      return numbers.filter { $0 > threshold }.count
    }
    return nil
  }
}

@Suite struct TaskSuiteTests {
  @Test(arguments: TaskSuite.allCases)
  func sameSeedSameRows(suite: TaskSuite) {
    let a = suite.generate(n: 24, seed: 7)
    #expect(a == suite.generate(n: 24, seed: 7))
    #expect(a != suite.generate(n: 24, seed: 8))
    // Row i depends only on (seed, i): a shorter run is a prefix.
    #expect(Array(a.prefix(5)) == suite.generate(n: 5, seed: 7))
    #expect(a.count == 24)
  }

  @Test(arguments: TaskSuite.allCases)
  func rowsAreWellFormedAndCycleDifficulty(suite: TaskSuite) {
    let rows = suite.generate(n: 40, seed: 11)
    for (i, row) in rows.enumerated() {
      #expect(row.difficulty == i % suite.levels + 1)
      #expect(row.task.hasPrefix(suite.rawValue + "/"))
      #expect(row.prompt.contains(suite == .code ? "Reply with only the code" : "Answer with just"))
      #expect(!row.answer.isEmpty)
      #expect(row.columns["answer"] == row.answer)
    }
    let fixed = suite.generate(n: 6, seed: 3, difficulty: 2)
    #expect(fixed.allSatisfy { $0.difficulty == 2 })
  }

  @Test func arithmeticAnswersAreRight() {
    for seed: UInt64 in [1, 2, 3] {
      for row in TaskSuite.arithmetic.generate(n: 40, seed: seed) {
        #expect(Recompute.arithmetic(row.prompt).map(String.init) == row.answer, "\(row.prompt)")
        #expect(Int(row.answer)! > 0)
      }
    }
    // Level 1 is one small step: "X has a Ys. X buys k more Ys." with a, k ≤ 9.
    for row in TaskSuite.arithmetic.generate(n: 10, seed: 5, difficulty: 1) {
      #expect(row.prompt.split(separator: ". ").count == 3, "\(row.prompt)")
      #expect(Recompute.integers(in: row.prompt[...]).allSatisfy { $0 <= 9 })
    }
  }

  @Test func stringAnswersAreRight() {
    for row in TaskSuite.strings.generate(n: 60, seed: 4) {
      #expect(Recompute.strings(row.prompt) == row.answer, "\(row.prompt)")
    }
  }

  @Test func sortingAnswersAreRight() {
    for row in TaskSuite.sorting.generate(n: 60, seed: 4) {
      #expect(Recompute.sorting(row.prompt) == row.answer, "\(row.prompt)")
    }
  }

  @Test func countingAnswersAreRight() {
    for row in TaskSuite.counting.generate(n: 60, seed: 4) {
      #expect(Recompute.counting(row.prompt).map(String.init) == row.answer, "\(row.prompt)")
    }
  }

  /// Every code task's reference solution passes its tests in the sandbox (the expected values
  /// were computed in Swift, the solution runs in Python), and a constant function does not.
  @Test func codeReferenceSolutionsPassTheirTests() throws {
    let verifier = CodeVerifier(sandbox: PythonSandbox())
    for row in TaskSuite.code.generate(n: 12, seed: 4) {
      let tests = try #require(row.tests)
      #expect(tests.count == 4)
      let right = verifier.verify(row.scoringItem(completion: "```python\n\(row.answer)```"))
      #expect(right.value == 1, "\(row.prompt): \(row.answer) \(tests) \(right)")
      let name = String(row.answer.dropFirst(4).prefix { $0 != "(" })
      let wrong = verifier.verify(row.scoringItem(completion: "def \(name)(x):\n    return 0\n"))
      #expect(wrong.value == 0, "\(row.prompt)")
    }
  }

  @Test func handCheckedExamples() {
    // Values worked out by hand from the generated prompts.
    let row = TaskRow(
      prompt:
        "Mia has 3 apples. Mia buys 4 more apples. Then the number of apples Mia has doubles. "
        + "How many apples does Mia have now? Answer with just the number.",
      answer: "14", task: "arithmetic/steps-2", difficulty: 2)
    #expect(Recompute.arithmetic(row.prompt) == 14)
    #expect(Recompute.strings("Functions:\nWhat is uppercase(reverse(\"abc\"))? Answer") == "CBA")
    #expect(Recompute.strings("Functions:\nWhat is length(dedupe(\"banana\"))? Answer") == "3")
    #expect(
      row.scoringItem(completion: "14").columns == [
        "answer": "14", "task": "arithmetic/steps-2", "difficulty": "2",
      ])
  }

  @Test func suitesByName() throws {
    #expect(try TaskSuite.named("sorting") == .sorting)
    #expect(
      throws: TaskSuiteError.unknownSuite(
        name: "algebra", valid: ["arithmetic", "strings", "sorting", "counting", "code"])
    ) {
      try TaskSuite.named("algebra")
    }
  }
}
