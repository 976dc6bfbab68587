import Foundation
import WhetRewards

/// A step's completions as reward functions see them: `G` consecutive rollouts per prompt.
public struct RolloutBatch: Sendable {
  public var prompts: [OnlinePrompt]
  public var rollouts: [Rollout]
  public var groupSize: Int

  public init(prompts: [OnlinePrompt], rollouts: [Rollout], groupSize: Int) {
    self.prompts = prompts
    self.rollouts = rollouts
    self.groupSize = groupSize
  }

  /// Each completion with its prompt's text and columns.
  public var items: [ScoringItem] {
    rollouts.map {
      ScoringItem(
        prompt: prompts[$0.prompt].text, completion: $0.text, columns: prompts[$0.prompt].columns)
    }
  }

  /// The completions grouped by prompt.
  public var groups: QueryGroups { QueryGroups(queryOfItem: rollouts.map(\.prompt)) }
}

/// A reward function of online RL: one score per completion, `nil` where it abstains.
public protocol OnlineReward: Sendable {
  var name: String { get }
  /// The item columns it reads (`answer` for `math`); empty for label-free rewards.
  var columnsRead: Set<String> { get }
  func score(_ batch: RolloutBatch) async throws -> [Double?]
  /// Counts from the last batch scored, logged with the step's metrics (such as
  /// `sandbox/violations`).
  var diagnostics: [String: Double] { get }
}

extension OnlineReward {
  public var diagnostics: [String: Double] { [:] }
}

/// Any ``RewardSource`` (verifiers, judges, model scores, reward models) as a reward.
public struct SourceReward: OnlineReward {
  public let source: any RewardSource
  public init(_ source: any RewardSource) { self.source = source }
  public var name: String { source.name }
  public var columnsRead: Set<String> { source.columnsRead }
  public func score(_ batch: RolloutBatch) async throws -> [Double?] {
    try await source.score(batch.items).map(\.value)
  }
}

/// Majority vote within the group as the pseudo-label (TTRL, Zuo et al. 2025): the most
/// common final answer (``FinalAnswer/key(of:)``) among a prompt's completions is taken as
/// correct, `r = 1[answer = majority]`; a completion with no answer scores 0, and a group with
/// no answer at all abstains. Ties go to the answer seen first. It never reads the truth.
public struct MajorityVoteReward: OnlineReward {
  public init() {}
  public var name: String { "majority" }
  public var columnsRead: Set<String> { [] }

  public func score(_ batch: RolloutBatch) async throws -> [Double?] {
    let answers = batch.rollouts.map { FinalAnswer.key(of: $0.text) }
    var out = [Double?](repeating: nil, count: answers.count)
    for members in batch.groups.members {
      var counts: [String: Int] = [:]
      var order: [String] = []
      for i in members {
        guard let a = answers[i] else { continue }
        if counts[a] == nil { order.append(a) }
        counts[a, default: 0] += 1
      }
      guard let top = counts.values.max() else { continue }
      let majority = order.first { counts[$0] == top }!
      for i in members { out[i] = answers[i] == majority ? 1 : 0 }
    }
    return out
  }
}

/// Weaver as a reward (this project's label-free RL): weak verifiers that never see the
/// answer score every completion, a label model combines their votes without labels into
/// `P(correct)` (ALGORITHMS.md §1), and that is the reward.
///
/// The verifiers are ``sources`` (such as the policy judging itself, `judge:local:yes`, or a
/// format check) plus what sampling measured for free: the completion's mean self-certainty
/// and mean log-prob, and its agreement with the other completions of its prompt. The label
/// model is fitted on the current batch, or on the last ``window`` batches (older batches'
/// score rows kept, so the fit sees more completions than one step makes).
///
/// Options: ``transform`` `logSigmoid` gives `u = log σ(P − 0.5)` (Wang et al. 2024);
/// ``correctedSource`` replaces `P` by the noise-corrected binary vote of one verifier,
/// `(v − ρ0)/(1 − ρ0 − ρ1)`, its error rates as the label model estimated them.
public final class WeaverReward: OnlineReward, @unchecked Sendable {
  public enum Transform: String, Sendable, Codable, CaseIterable {
    case none
    case logSigmoid = "log_sigmoid"
  }

  public let sources: [any RewardSource]
  public let pipeline: WeaverPipeline
  public var window: Int
  public var transform: Transform = .none
  public var correctedSource: String? = nil
  /// Score rows of the previous batches (newest last), at most `window − 1`.
  var history: [Batch] = []

  /// One past batch: its score rows and the group of each row.
  struct Batch: Codable {
    var matrix: [[Double?]]
    var groups: [Int]
  }
  /// What the last fit estimated, for logs.
  public private(set) var lastFit: WeaverPipeline.Result? = nil
  /// Why the last batch could not be fitted, if it could not.
  public private(set) var lastError: String? = nil

  public init(sources: [any RewardSource], pipeline: WeaverPipeline, window: Int = 1) throws {
    try LabelFreeCheck.check(sources, method: "the weaver reward")
    self.sources = sources
    self.pipeline = pipeline
    self.window = max(1, window)
  }

  public var name: String { "weaver" }
  public var columnsRead: Set<String> { [] }

  /// The verifier names, in matrix order.
  public var sourceNames: [String] {
    sources.map(\.name) + ["self-certainty", "mean-logprob", AnswerAgreement.name]
  }

  public func score(_ batch: RolloutBatch) async throws -> [Double?] {
    let items = batch.items
    var columns: [[Double?]] = []
    for source in sources { columns.append(try await source.score(items).map(\.value)) }
    let groups = batch.groups
    columns.append(batch.rollouts.map(\.meanSelfCertainty))
    columns.append(batch.rollouts.map(\.meanLogProb))
    columns.append(
      try AnswerAgreement.scores(
        answers: batch.rollouts.map { FinalAnswer.key(of: $0.text) }, groups: groups))
    let rows = items.indices.map { i in columns.map { $0[i] } }
    // The fit sees the kept history and this batch; groups stay apart across batches.
    var allRows: [[Double?]] = []
    var allGroups: [Int] = []
    var offset = 0
    for past in history {
      allRows += past.matrix
      allGroups += past.groups.map { $0 + offset }
      offset += (past.groups.max() ?? -1) + 1
    }
    let first = allRows.count
    allRows += rows
    allGroups += batch.rollouts.map { $0.prompt + offset }
    let result: WeaverPipeline.Result
    do {
      result = try pipeline.run(
        ScoreMatrix(sources: sourceNames, values: allRows),
        groups: QueryGroups(queryOfItem: allGroups))
    } catch {
      // No fit (every verifier constant on this batch, say): the reward abstains this step,
      // which gives these completions no advantage, and the run goes on.
      lastError = "\(error)"
      return Array(repeating: nil, count: rows.count)
    }
    lastError = nil
    lastFit = result
    history.append(Batch(matrix: rows, groups: batch.rollouts.map(\.prompt)))
    if history.count > window - 1 { history.removeFirst(history.count - (window - 1)) }
    let p = Array(result.scores[first...])
    if let correctedSource {
      guard let j = result.votes.sources.firstIndex(of: correctedSource) else {
        throw WeaverError.invalidParameter(
          "noise correction names \(correctedSource), which is not among the kept verifiers \(result.votes.sources)"
        )
      }
      let estimate = result.fitted.sourceEstimates[j]
      return try (first..<allRows.count).map { i -> Double? in
        let vote = result.votes[i, j]
        guard vote != .abstain else { return nil }
        return try RewardTransforms.correctNoisyVerifier(
          vote == .positive ? 1 : 0, estimate: estimate)
      }
    }
    switch transform {
    case .none: return p
    case .logSigmoid: return p.map { RewardTransforms.logSigmoid($0, reference: 0.5) }
    }
  }

  /// The kept history as JSON text, for checkpoints (so a resumed run fits on what an
  /// uninterrupted one would).
  public var state: String {
    let data = (try? JSONEncoder().encode(history)) ?? Data("[]".utf8)
    return String(decoding: data, as: UTF8.self)
  }

  public func restore(state text: String) throws {
    history = try JSONDecoder().decode([Batch].self, from: Data(text.utf8))
  }
}
