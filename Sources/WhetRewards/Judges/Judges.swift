import Foundation

/// A pointwise judge: asks the backend to grade each completion and reads `Score: N` from the
/// reply. With the bundled `pointwise_additive` template this is the additive 0–5 rubric of
/// Self-Rewarding Language Models (Yuan et al. 2024); with `rubric` and a `rubric` column it is
/// rubric-conditioned grading (Prometheus style, Kim et al. 2024). Replies without a score
/// abstain, with the reply's start as the reason; so does a score outside ``range``
/// (reason `out of range: …`), rather than being clamped into it. A contentless completion
/// (``ContentCheck``) gets `range.lowerBound` without a model call.
public struct PointwiseJudge: RewardSource {
  public let name: String
  public let backend: any JudgeBackend
  public let prompt: JudgePrompt
  /// Text used for `{{rubric}}` when the item has no `rubric` column.
  public var rubric: String
  public var maxTokens: Int
  /// The scores the rubric allows (0–5 for the additive rubric, 1–5 for `rubric`).
  public var range: ClosedRange<Double>
  /// Apply ``ContentCheck`` before asking the model.
  public var checksContent: Bool

  public init(
    name: String, backend: any JudgeBackend, prompt: JudgePrompt, rubric: String = "",
    maxTokens: Int = 160, range: ClosedRange<Double> = 0...5, checksContent: Bool = true
  ) {
    self.name = name
    self.backend = backend
    self.prompt = prompt
    self.rubric = rubric
    self.maxTokens = maxTokens
    self.range = range
    self.checksContent = checksContent
  }

  /// Only the placeholders the template names.
  public var columnsRead: Set<String> { prompt.columnsRead }

  public func score(_ items: [ScoringItem]) async throws -> [Score] {
    let range = self.range
    return try await prompt.judge(
      items, defaults: ["rubric": rubric], checksContent: checksContent,
      contentless: range.lowerBound
    ) { prompts in
      try await backend.complete(prompts, maxTokens: maxTokens).map { reply in
        guard let s = Self.parseScore(reply) else {
          return .abstain(reason: "no score in reply: \(reply.prefix(60).debugDescription)")
        }
        guard range.contains(s) else {
          return .abstain(
            reason: "out of range: score \(s) outside \(range.lowerBound)–\(range.upperBound)")
        }
        return .value(s)
      }
    }
  }

  /// The number after the last `Score:` (case-insensitive), if any.
  public static func parseScore(_ reply: String) -> Double? {
    guard let range = reply.range(of: "score:", options: [.caseInsensitive, .backwards]) else {
      return nil
    }
    let rest = reply[range.upperBound...].drop { $0 == " " || $0 == "*" || $0 == "\t" }
    let number = rest.prefix { $0.isNumber || $0 == "." }
    return Double(number.hasSuffix(".") ? String(number.dropLast()) : String(number))
  }
}

/// A yes/no correctness judge scored by `P(yes)` (or the reply's first word when the backend
/// cannot see probabilities). A contentless completion (``ContentCheck``) scores 0 without a
/// model call.
public struct CorrectnessJudge: RewardSource {
  public let name: String
  public let backend: any JudgeBackend
  public let prompt: JudgePrompt
  /// Apply ``ContentCheck`` before asking the model.
  public var checksContent: Bool

  public init(
    name: String, backend: any JudgeBackend, prompt: JudgePrompt, checksContent: Bool = true
  ) {
    self.name = name
    self.backend = backend
    self.prompt = prompt
    self.checksContent = checksContent
  }

  /// Only the placeholders the template names.
  public var columnsRead: Set<String> { prompt.columnsRead }

  public func score(_ items: [ScoringItem]) async throws -> [Score] {
    try await prompt.judge(items, checksContent: checksContent, contentless: 0) { prompts in
      try await yesScores(prompts)
    }
  }

  private func yesScores(_ prompts: [String]) async throws -> [Score] {
    let probabilities = try await backend.yesProbability(prompts)
    var out: [Score] = []
    var fallback: [Int] = []
    for (i, p) in probabilities.enumerated() {
      if let p {
        out.append(.value(p))
      } else {
        out.append(.abstain(reason: "pending"))
        fallback.append(i)
      }
    }
    if !fallback.isEmpty {
      let replies = try await backend.complete(fallback.map { prompts[$0] }, maxTokens: 4)
      for (i, reply) in zip(fallback, replies) {
        let word = reply.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        out[i] =
          word.hasPrefix("yes")
          ? .value(1)
          : word.hasPrefix("no") ? .value(0) : .abstain(reason: "reply is neither yes nor no")
      }
    }
    return out
  }
}

/// The verdict of a pairwise comparison asked in both orders.
public enum PairVerdict: String, Sendable, Equatable {
  case first, second
  /// The two orders disagreed (position bias) or a reply was unreadable: no verdict.
  case inconsistent
}

/// A pairwise judge: each pair is asked as (A, B) and as (B, A); only an order-consistent
/// preference counts, which removes position bias (Zheng et al. 2023).
public struct PairwiseJudge: Sendable {
  public let backend: any JudgeBackend
  public let prompt: JudgePrompt

  public init(backend: any JudgeBackend, prompt: JudgePrompt) {
    self.backend = backend
    self.prompt = prompt
  }

  public func compare(_ pairs: [(prompt: String, first: String, second: String)]) async throws
    -> [PairVerdict]
  {
    let forward = try pairs.map {
      try prompt.render(["prompt": $0.prompt, "a": $0.first, "b": $0.second])
    }
    let backward = try pairs.map {
      try prompt.render(["prompt": $0.prompt, "a": $0.second, "b": $0.first])
    }
    let replies = try await backend.complete(forward + backward, maxTokens: 4)
    func letter(_ s: String) -> Character? {
      let t = s.trimmingCharacters(in: .whitespacesAndNewlines).uppercased()
      return t.first.flatMap { $0 == "A" || $0 == "B" ? $0 : nil }
    }
    return pairs.indices.map { i in
      switch (letter(replies[i]), letter(replies[pairs.count + i])) {
      case ("A", "B"): return .first
      case ("B", "A"): return .second
      default: return .inconsistent
      }
    }
  }
}

extension JudgePrompt {
  /// The columns a judge with this template reads: its placeholders other than the prompt and
  /// the completion.
  public var columnsRead: Set<String> { Set(placeholders).subtracting(["prompt", "completion"]) }

  /// Renders each item and asks `ask` about the rendered ones: an item whose template needs a
  /// column it lacks abstains, and (with `checksContent`) a contentless completion gets
  /// `contentless` without being asked.
  func judge(
    _ items: [ScoringItem], defaults: [String: String] = [:], checksContent: Bool,
    contentless: Double, ask: ([String]) async throws -> [Score]
  ) async throws -> [Score] {
    var out = [Score](repeating: .abstain(reason: "not judged"), count: items.count)
    var asked: [Int] = []
    var prompts: [String] = []
    for (i, item) in items.enumerated() {
      if checksContent, ContentCheck.isContentless(item.completion) {
        out[i] = .value(contentless)
        continue
      }
      do {
        prompts.append(try render(item, defaults: defaults))
        asked.append(i)
      } catch {
        out[i] = .abstain(reason: "\(error)")
      }
    }
    guard !prompts.isEmpty else { return out }
    for (i, score) in zip(asked, try await ask(prompts)) { out[i] = score }
    return out
  }
}
