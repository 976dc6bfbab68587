import Foundation
import WhetData

/// Several training runs side by side on one held-out metric: a table of the metric before
/// training, at every evaluation and at the end, with the time each run spent generating and
/// training (held-out evaluation excluded), and one chart of the metric against the step for
/// every run. Figures measured elsewhere (an offline trainer's held-out result, say) can stand
/// in the table as ``Given`` rows.
///
/// The learning-outcome table of online RL (issue 11) is this page over the GRPO runs with the
/// `math`, `weaver` and `majority` rewards.
public struct RunComparison: Sendable {
  /// A run and its metric lines (`OUT/metrics.jsonl`).
  public struct Run: Sendable {
    public var label: String
    public var lines: [[String: Double]]

    public init(label: String, lines: [[String: Double]]) {
      self.label = label
      self.lines = lines
    }

    /// Reads `directory/metrics.jsonl`.
    public init(label: String, directory: URL) throws(DatasetError) {
      self.init(
        label: label,
        lines: try TrainingReport.read(directory.appendingPathComponent("metrics.jsonl")))
    }
  }

  /// A figure measured elsewhere, shown as it was given.
  public struct Given: Sendable {
    public var label: String
    public var value: Double

    public init(label: String, value: Double) {
      self.label = label
      self.value = value
    }
  }

  public var title: String
  /// The held-out metric compared (`eval_greedy_accuracy` by default).
  public var metric: String
  public var runs: [Run]
  public var given: [Given]

  public init(
    title: String, metric: String = "eval_greedy_accuracy", runs: [Run], given: [Given] = []
  ) {
    self.title = title
    self.metric = metric
    self.runs = runs
    self.given = given
  }

  /// `(step, value)` of every logged evaluation of `run`, in step order.
  public func evaluations(_ run: Run) -> [(step: Int, value: Double)] {
    run.lines.compactMap { line in
      guard let step = line["step"], let value = line[metric] else { return nil }
      return (Int(step), value)
    }.sorted { $0.step < $1.step }
  }

  /// Seconds the run spent generating and training (`timing/*_seconds` summed over its steps),
  /// or the logged `train_runtime`; nil when it logged neither.
  public func trainingSeconds(_ run: Run) -> Double? {
    let parts = run.lines.compactMap { line -> Double? in
      let g = line["timing/generation_seconds"], t = line["timing/training_seconds"]
      return g == nil && t == nil ? nil : (g ?? 0) + (t ?? 0)
    }
    if !parts.isEmpty { return parts.reduce(0, +) }
    return run.lines.compactMap { $0["train_runtime"] }.last
  }

  /// The table: one row per given figure, then one per run (before, every evaluation step,
  /// after, change, time spent generating and training).
  public func table() -> (headers: [String], rows: [[String]]) {
    let steps = Array(Set(runs.flatMap { evaluations($0).map(\.step) })).sorted()
    let headers = ["arm"] + steps.map { "step \($0)" } + ["change", "generation + training"]
    func show(_ v: Double?) -> String { v.map { String(format: "%.1f %%", 100 * $0) } ?? "–" }
    // A given figure is a result after training: it stands in the last step's column.
    var rows = given.map { g in
      [g.label] + steps.dropLast().map { _ in "" } + [show(g.value), "–", "–"]
    }
    for run in runs {
      let evals = evaluations(run)
      let byStep = Dictionary(evals.map { ($0.step, $0.value) }, uniquingKeysWith: { $1 })
      var row = [run.label] + steps.map { show(byStep[$0]) }
      if let first = evals.first, let last = evals.last, evals.count > 1 {
        row.append(String(format: "%+.1f points", 100 * (last.value - first.value)))
      } else {
        row.append("–")
      }
      row.append(trainingSeconds(run).map(Self.duration) ?? "–")
      rows.append(row)
    }
    return (headers, rows)
  }

  static func duration(_ seconds: Double) -> String {
    seconds < 60 ? String(format: "%.0f s", seconds) : "\(Int((seconds / 60).rounded())) min"
  }

  /// The table as Markdown, for a README or a closing note.
  public func markdown() -> String {
    let (headers, rows) = table()
    return ([headers, headers.map { _ in "---" }] + rows).map {
      "| " + $0.joined(separator: " | ") + " |"
    }.joined(separator: "\n") + "\n"
  }

  public func html() -> String {
    var doc = HTMLDocument(title: title)
    let name = metric.hasPrefix("eval_") ? String(metric.dropFirst(5)) : metric
    doc.paragraph(
      "Held-out \(name) of \(runs.count) runs at every evaluation step (step 0 is the model before training)."
        + (given.isEmpty ? "" : " Given figures were measured elsewhere and are shown as given."),
      className: "lead")
    let (headers, rows) = table()
    doc.table(headers: headers, rows: rows, numericColumns: Set(1..<headers.count))
    let series = runs.compactMap { run -> SVGChart.Series? in
      let points = evaluations(run).map { (x: Double($0.step), y: $0.value) }
      return points.isEmpty ? nil : SVGChart.Series(label: run.label, points: points)
    }
    if !series.isEmpty {
      doc.figure(
        SVGChart.lines(series, xLabel: "step", yLabel: name),
        caption: "Held-out \(name) against the optimizer step, one line per run.")
    }
    return doc.render()
  }
}
