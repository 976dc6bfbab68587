import Foundation
import WhetData
import WhetLM

/// `OUT/report.html` of a training run, from its `metrics.jsonl`: the loss curve (train and
/// held-out), every other logged curve (reward margins and accuracies, KL, log-probs, online
/// rewards, held-out accuracy, completion length, clipping, learning rate, gradient norm) as
/// SVG, the held-out metrics before the first step against after the last, and, for online
/// runs, example held-out completions at the start and at the end (``examples``).
public struct TrainingReport {
  public var title: String
  /// One object per metric line, as the trainer wrote them.
  public var lines: [[String: Double]]
  /// Settings shown as a table (flag → value).
  public var settings: [(String, String)] = []
  /// Held-out completions before and after training: (prompt, before, after) with their
  /// rewards, from an online run's `eval/step-N.jsonl`.
  public var examples: [(prompt: String, before: String, after: String)] = []
  public var exampleSteps: (Int, Int) = (0, 0)

  public init(title: String, lines: [[String: Double]]) {
    self.title = title
    self.lines = lines
  }

  /// The metric lines of `OUT/metrics.jsonl` (non-numeric values are skipped).
  public static func read(_ metrics: URL) throws(DatasetError) -> [[String: Double]] {
    let reader = try JSONLReader(url: metrics)
    var out: [[String: Double]] = []
    while let object = try reader.next() {
      out.append(object.compactMapValues(\.numberValue))
    }
    return out
  }

  var trainLines: [[String: Double]] { lines.filter { $0["loss"] != nil } }
  var evalLines: [[String: Double]] {
    lines.filter { $0.keys.contains { $0.hasPrefix("eval_") } }
  }

  func series(_ name: String, in rows: [[String: Double]], label: String? = nil) -> SVGChart.Series?
  {
    let points = rows.compactMap { row -> (x: Double, y: Double)? in
      guard let step = row["step"], let y = row[name] else { return nil }
      return (step, y)
    }
    return points.isEmpty ? nil : SVGChart.Series(label: label ?? name, points: points)
  }

  /// Each online reward function's mean, `rewards/NAME/mean`.
  var rewardNames: [String] {
    Set(trainLines.flatMap(\.keys)).filter { $0.hasPrefix("rewards/") && $0.hasSuffix("/mean") }
      .sorted()
  }

  /// Charts: `loss` with `eval_loss`, then one per group of related metrics that were logged.
  func charts() -> [(caption: String, svg: String)] {
    var out: [(String, String)] = []
    let loss = [
      series("loss", in: trainLines, label: "train"),
      series("eval_loss", in: evalLines, label: "held-out"),
    ].compactMap { $0 }
    if !loss.isEmpty {
      out.append(("Loss per optimizer step.", SVGChart.lines(loss, xLabel: "step", yLabel: "loss")))
    }
    let groups: [(caption: String, names: [String])] = [
      (
        "Implicit rewards β·log(π/π_ref) of the chosen and rejected completions, and their margin.",
        ["rewards/chosen", "rewards/rejected", "rewards/margins"]
      ),
      (
        "Share of pairs whose chosen completion has the higher reward.",
        ["rewards/accuracies", "accuracy"]
      ),
      ("Summed completion log-probs under the policy.", ["logps/chosen", "logps/rejected"]),
      (
        "KTO's KL estimate; ORPO's log odds ratio; the reward model's margin; the scorer's MSE.",
        ["kl", "log_odds_ratio", "margin", "mse"]
      ),
      (
        "Online RL: mean reward of the sampled completions, and greedy accuracy on the held-out prompts.",
        ["reward", "greedy_accuracy"] + rewardNames
      ),
      (
        "Approximate KL to the reference (k3) and the sampled distribution's entropy.",
        ["kl", "entropy"]
      ),
      (
        "Completion length in tokens, and the share cut by the length limit.",
        ["completions/mean_length", "completion_length"]
      ),
      ("Share of completions cut by the length limit.", ["completions/clipped_ratio"]),
      (
        "Share of tokens whose ratio was clipped, and of groups whose rewards were all equal.",
        ["clip_ratio/region_mean", "frac_reward_zero_std"]
      ),
      ("Learning rate.", ["learning_rate"]),
      ("Global gradient norm before clipping.", ["grad_norm"]),
    ]
    for (caption, names) in groups {
      var lines: [SVGChart.Series] = []
      for name in names {
        if let s = series(name, in: trainLines) { lines.append(s) }
        if let s = series("eval_" + name, in: evalLines, label: "held-out " + name) {
          lines.append(s)
        }
      }
      if !lines.isEmpty {
        out.append(
          (
            caption,
            SVGChart.lines(lines, xLabel: "step", yLabel: names.count == 1 ? names[0] : "value")
          ))
      }
    }
    return out
  }

  public func html() -> String {
    var doc = HTMLDocument(title: title)
    let steps = Int(trainLines.last?["step"] ?? 0)
    var lead = "\(steps) optimizer steps"
    if let first = trainLines.first?["loss"], let last = trainLines.last?["loss"] {
      lead += String(
        format: "; training loss %.4f at the first logged step, %.4f at the last", first, last)
    }
    let speeds = trainLines.compactMap { $0["tokens_per_second"] }
    if !speeds.isEmpty {
      lead += String(
        format: "; %.0f tokens/s on average", speeds.reduce(0, +) / Double(speeds.count))
    }
    doc.paragraph(lead + ".", className: "lead")
    if let before = evalLines.first, let after = evalLines.last, evalLines.count > 1 {
      doc.heading("Held-out split: before and after")
      let names = Set(before.keys).union(after.keys).subtracting(["step"]).sorted()
      doc.table(
        headers: [
          "metric", "before (step \(Int(before["step"] ?? 0)))",
          "after (step \(Int(after["step"] ?? 0)))", "change",
        ],
        rows: names.map { name in
          let b = before[name], a = after[name]
          func show(_ v: Double?) -> String { v.map { String(format: "%.4f", $0) } ?? "–" }
          let change = (a != nil && b != nil) ? String(format: "%+.4f", a! - b!) : "–"
          return [
            String(name.dropFirst(name.hasPrefix("eval_") ? 5 : 0)), show(b), show(a), change,
          ]
        }, numericColumns: [1, 2, 3])
    }
    doc.heading("Curves")
    for (caption, svg) in charts() { doc.figure(svg, caption: caption) }
    if !examples.isEmpty {
      doc.heading("Held-out completions at the start and at the end")
      doc.table(
        headers: ["prompt", "step \(exampleSteps.0)", "step \(exampleSteps.1)"],
        rows: examples.map { [$0.prompt, $0.before, $0.after] })
    }
    if !settings.isEmpty {
      doc.heading("Settings")
      doc.table(headers: ["setting", "value"], rows: settings.map { [$0.0, $0.1] })
    }
    return doc.render()
  }

  /// Reads `directory/metrics.jsonl` and writes `directory/report.html` atomically.
  public static func write(directory: URL, title: String, settings: [(String, String)] = []) throws
  {
    var report = TrainingReport(
      title: title, lines: try read(directory.appendingPathComponent("metrics.jsonl")))
    report.settings = settings
    report.readExamples(directory.appendingPathComponent("eval"))
    let url = directory.appendingPathComponent("report.html")
    try Data(report.html().utf8).write(to: url, options: .atomic)
  }

  /// The first `count` held-out completions of the first and last `eval/step-N.jsonl`, each
  /// with its reward.
  mutating func readExamples(_ folder: URL, count: Int = 8) {
    let names =
      ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
      .filter { $0.hasPrefix("step-") && $0.hasSuffix(".jsonl") }.sorted()
    guard let first = names.first, let last = names.last, first != last,
      let before = try? JSONLReader.readAll(folder.appendingPathComponent(first)),
      let after = try? JSONLReader.readAll(folder.appendingPathComponent(last))
    else { return }
    func shown(_ row: [String: JSONValue]) -> String {
      let text = row["completion"]?.stringValue ?? ""
      let reward = row["reward"]?.numberValue.map { String(format: " (reward %g)", $0) } ?? ""
      return text + reward
    }
    exampleSteps = (
      Int(first.dropFirst(5).dropLast(6)) ?? 0, Int(last.dropFirst(5).dropLast(6)) ?? 0
    )
    examples = zip(before, after).prefix(count).map {
      ($0.0["prompt"]?.stringValue ?? "", shown($0.0), shown($0.1))
    }
  }
}
