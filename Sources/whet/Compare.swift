import ArgumentParser
import Foundation
import WhetEval

/// `whet compare`: training runs side by side on their held-out metric (``RunComparison``).
struct Compare: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract:
      "Put training runs side by side on a held-out metric: an HTML page and a Markdown table.",
    discussion: """
      Each --run is LABEL=DIR, a run directory with metrics.jsonl. Each --given is LABEL=VALUE, \
      a figure measured elsewhere (a fraction, 0.375 for 37.5 %), shown as given.
      """)

  @Option(name: .customLong("run"), help: "LABEL=DIR of a run (repeatable).") var runs: [String] =
    []
  @Option(name: .customLong("given"), help: "LABEL=VALUE measured elsewhere (repeatable).")
  var given: [String] = []
  @Option(help: "The held-out metric compared.") var metric = "eval_greedy_accuracy"
  @Option(help: "Page title.") var title = "Training runs side by side"
  @Option(help: "Where to write the page.") var out = "comparison.html"

  static func split(_ text: String, _ flag: String) throws -> (String, String) {
    guard let eq = text.lastIndex(of: "="), eq != text.startIndex,
      text.index(after: eq) != text.endIndex
    else { throw ValidationError("\(flag) \(text.debugDescription): expected LABEL=VALUE") }
    return (String(text[..<eq]), String(text[text.index(after: eq)...]))
  }

  func run() throws {
    guard !runs.isEmpty || !given.isEmpty else {
      throw ValidationError("give at least one --run LABEL=DIR")
    }
    let compared = try runs.map { text in
      let (label, dir) = try Self.split(text, "--run")
      return try RunComparison.Run(label: label, directory: URL(fileURLWithPath: dir))
    }
    let figures = try given.map { text in
      let (label, value) = try Self.split(text, "--given")
      guard let v = Double(value), v.isFinite else {
        throw ValidationError("--given \(text.debugDescription): \(value) is not a number")
      }
      return RunComparison.Given(label: label, value: v)
    }
    let comparison = RunComparison(title: title, metric: metric, runs: compared, given: figures)
    try Data(comparison.html().utf8).write(to: URL(fileURLWithPath: out), options: .atomic)
    print(comparison.markdown(), terminator: "")
  }
}
