import ArgumentParser
import Foundation
import WhetData
import WhetEval
import WhetLM
import WhetRewards

/// `whet select`: one candidate per query from scored rows.
struct Select: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract:
      "Pick one candidate per query from scored JSONL (rows grouped by `query`, else by `prompt`).")

  @Option(help: "Scored JSONL from `whet score`.") var data: String
  @Option(help: "weaver, majority (vote over extracted answers), or best:SOURCE.") var method =
    "weaver"
  @OptionGroup(title: "Weaver options") var weaver: WeaverOptions
  @Option(
    name: .customLong("source"), help: "Use only this score column (repeatable; default: all).")
  var only: [String] = []
  @Option(help: "Leave this score column out (repeatable).") var exclude: [String] = []
  @Flag(help: "Let Weaver use score columns from sources that read the ground-truth column.")
  var allowLabels = false
  @Option(help: "The ground-truth column (repeatable).") var labelColumn: [String] = ["answer"]

  func run() throws {
    let rows = try readRows(data, strings: ["completion"])
    let groups = QueryGroups(rows: rows)
    let sourceNames = try chooseScoreColumns(rows, only: only, exclude: exclude)
    let matrix = ScoreMatrix(
      sources: sourceNames,
      values: rows.map { row in sourceNames.map { row["scores"]?.objectValue?[$0]?.numberValue } })
    let chosen: SelectionMethod
    do { chosen = try SelectionMethod(method) } catch { throw ValidationError(error.description) }
    if chosen == .weaver, !allowLabels {
      try LabelFreeCheck.check(
        try sourceNames.map { (name: $0, columnsRead: try columnsRead(by: $0, in: rows)) },
        method: "weaver", labelColumns: Set(labelColumn))
    }
    let answers = rows.map { $0["completion"]?.stringValue.flatMap(FinalAnswer.key(of:)) }
    let (selected, result) = try chosen.select(
      scores: matrix, groups: groups, answers: answers, pipeline: try weaver.pipeline())
    var extra: [Int: JSONValue] = [:]
    if let result {
      for (i, p) in result.scores.enumerated() { extra[i] = .number(p) }
      log(
        "weaver: kept \(result.votes.sources.joined(separator: ", ")); dropped \(result.dropped.map(\.name).joined(separator: ", "))"
      )
    }
    for pick in selected {
      guard let i = pick else { continue }
      var row = rows[i]
      row["selected_by"] = .string(method)
      if let p = extra[i] { row["p_correct"] = p }
      print(JSONLWriter.line(row), terminator: "")
    }
  }
}
