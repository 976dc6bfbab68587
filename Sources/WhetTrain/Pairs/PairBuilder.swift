import Foundation
import WhetData
import WhetLM
import WhetRewards
import WhetTensor

/// Builds preference pairs from scored candidates: within each question's candidates, the
/// highest-scored against the lowest-scored (Yuan et al. 2024's self-rewarding construction,
/// with any scorer: a label model's P(correct), one weak source, or the ground truth as an
/// oracle). Ties are skipped, and so are pairs whose score margin is below `minimumMargin`.
public struct PairBuilder {
  /// What ranks a question's candidates.
  public enum Ranking: Equatable, Sendable {
    /// A numeric column, such as Weaver's `p_correct`.
    case column(String)
    /// One source in the `scores` object `whet score` writes.
    case source(String)
    /// A seeded random order (the control arm).
    case random(seed: UInt64)

    /// Parses `p_correct`, `score:NAME` or `random:SEED`.
    public init(_ text: String) {
      if text.hasPrefix("score:") {
        self = .source(String(text.dropFirst(6)))
      } else if text.hasPrefix("random:"), let seed = UInt64(text.dropFirst(7)) {
        self = .random(seed: seed)
      } else {
        self = .column(text)
      }
    }
  }

  public var ranking: Ranking
  public var minimumMargin: Double = 0
  /// Write prompts and answers as chat messages (the candidates were sampled through the
  /// chat template), else as plain text.
  public var conversational = true

  public init(ranking: Ranking) { self.ranking = ranking }

  /// What building pairs did.
  public struct Result {
    public var pairs: [[String: JSONValue]]
    public var questions: Int
    public var skippedTies: Int
    public var skippedMargin: Int
  }

  /// Pairs from `rows` (grouped by `query`, else by `prompt`, in first-seen order).
  public func pairs(_ rows: [[String: JSONValue]], file: String) throws(ExampleError) -> Result {
    let (order, groups) = Self.grouped(rows)
    var rng = SeededGenerator(
      seed: { if case .random(let s) = ranking { return s } else { return 0 } }())
    var result = Result(pairs: [], questions: order.count, skippedTies: 0, skippedMargin: 0)
    for key in order {
      let members = groups[key] ?? []
      var scored: [(score: Double, line: Int, row: [String: JSONValue])] = []
      for m in members {
        scored.append((try score(m.row, line: m.line, file: file, rng: &rng), m.line, m.row))
      }
      guard let best = scored.max(by: { $0.score < $1.score }),
        let worst = scored.min(by: { $0.score < $1.score })
      else { continue }
      if best.score == worst.score {
        result.skippedTies += 1
        continue
      }
      if best.score - worst.score < minimumMargin {
        result.skippedMargin += 1
        continue
      }
      let (prompt, chosen) = try Self.text(best.row, line: best.line, file: file)
      let (_, rejected) = try Self.text(worst.row, line: worst.line, file: file)
      let pair = self.pair(
        prompt: prompt, chosen: chosen, rejected: rejected, margin: best.score - worst.score,
        from: best.row)
      result.pairs.append(pair)
    }
    return result
  }

  /// SPIN pairs (Chen et al. 2024, arXiv 2401.01335, "self-play fine-tuning"): per question,
  /// the reference answer in `referenceColumn` (chosen) against the model's own first sample
  /// (rejected). A sample equal to the reference is a tie and skipped.
  public func spinPairs(_ rows: [[String: JSONValue]], referenceColumn: String, file: String)
    throws(ExampleError) -> Result
  {
    let (order, groups) = Self.grouped(rows)
    var result = Result(pairs: [], questions: order.count, skippedTies: 0, skippedMargin: 0)
    for key in order {
      guard let first = groups[key]?.first else { continue }
      let (prompt, sample) = try Self.text(first.row, line: first.line, file: file)
      guard let reference = first.row[referenceColumn]?.stringValue else {
        throw ExampleError(
          file: file, line: first.line, reason: "no string `\(referenceColumn)` column")
      }
      if reference.trimmingCharacters(in: .whitespacesAndNewlines)
        == sample.trimmingCharacters(in: .whitespacesAndNewlines)
      {
        result.skippedTies += 1
        continue
      }
      result.pairs.append(
        pair(prompt: prompt, chosen: reference, rejected: sample, margin: nil, from: first.row))
    }
    return result
  }

  /// Delta-learning pairs (Geng et al. 2025, arXiv 2507.06187: the gain comes from the gap
  /// between two responses, not from either's absolute quality): per question, the stronger
  /// model's first sample (chosen) against the weaker model's (rejected), matched by `query`,
  /// else by `prompt`. Questions missing from either file, and identical answers, are skipped.
  public func deltaPairs(
    stronger: [[String: JSONValue]], strongerFile: String, weaker: [[String: JSONValue]],
    weakerFile: String
  ) throws(ExampleError) -> Result {
    let (order, strong) = Self.grouped(stronger)
    let (_, weak) = Self.grouped(weaker)
    var result = Result(pairs: [], questions: order.count, skippedTies: 0, skippedMargin: 0)
    for key in order {
      guard let s = strong[key]?.first, let w = weak[key]?.first else { continue }
      let (prompt, chosen) = try Self.text(s.row, line: s.line, file: strongerFile)
      let (_, rejected) = try Self.text(w.row, line: w.line, file: weakerFile)
      if chosen == rejected {
        result.skippedTies += 1
        continue
      }
      result.pairs.append(
        pair(prompt: prompt, chosen: chosen, rejected: rejected, margin: nil, from: s.row))
    }
    return result
  }

  /// Rows grouped by `query` (else `prompt`), keys in first-seen order, with 1-based lines.
  static func grouped(_ rows: [[String: JSONValue]]) -> (
    order: [String], groups: [String: [(line: Int, row: [String: JSONValue])]]
  ) {
    var order: [String] = []
    var groups: [String: [(line: Int, row: [String: JSONValue])]] = [:]
    for (i, row) in rows.enumerated() {
      let key = QueryGroups.key(row)
      if groups[key] == nil { order.append(key) }
      groups[key, default: []].append((i + 1, row))
    }
    return (order, groups)
  }

  static func text(_ row: [String: JSONValue], line: Int, file: String) throws(ExampleError) -> (
    prompt: String, completion: String
  ) {
    guard let prompt = row["prompt"]?.stringValue, let completion = row["completion"]?.stringValue
    else {
      throw ExampleError(
        file: file, line: line, reason: "a candidate needs string `prompt` and `completion`")
    }
    return (prompt, completion)
  }

  /// One pair row: chat messages or plain text, the margin if any, and the question's
  /// `query`, `answer` and `task` carried over.
  func pair(
    prompt: String, chosen: String, rejected: String, margin: Double?,
    from row: [String: JSONValue]
  ) -> [String: JSONValue] {
    func message(_ role: String, _ text: String) -> JSONValue {
      .array([.object(["role": .string(role), "content": .string(text)])])
    }
    var pair: [String: JSONValue] =
      conversational
      ? [
        "prompt": message("user", prompt), "chosen": message("assistant", chosen),
        "rejected": message("assistant", rejected),
      ]
      : ["prompt": .string(prompt), "chosen": .string(chosen), "rejected": .string(rejected)]
    if let margin { pair["margin"] = .number(margin) }
    for column in ["query", "answer", "task"] { if let v = row[column] { pair[column] = v } }
    return pair
  }

  func score(_ row: [String: JSONValue], line: Int, file: String, rng: inout SeededGenerator)
    throws(ExampleError) -> Double
  {
    switch ranking {
    case .random:
      return Double(rng.nextUniform())
    case .column(let name):
      switch row[name] {
      case .number(let x)?: return x
      case .bool(let b)?: return b ? 1 : 0
      default:
        throw ExampleError(file: file, line: line, reason: "no numeric `\(name)` column to rank by")
      }
    case .source(let name):
      guard case .number(let x)? = row["scores"]?.objectValue?[name] else {
        throw ExampleError(file: file, line: line, reason: "no score from source '\(name)'")
      }
      return x
    }
  }
}
