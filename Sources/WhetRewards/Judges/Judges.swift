import Foundation

/// A pointwise judge: asks the backend to grade each completion and reads `Score: N` from the
/// reply. With the bundled `pointwise_additive` template this is the additive 0–5 rubric of
/// Self-Rewarding Language Models (Yuan et al. 2024); with `rubric` and a `rubric` column it is
/// rubric-conditioned grading (Prometheus style, Kim et al. 2024). Replies without a score
/// abstain, with the reply's start as the reason.
public struct PointwiseJudge: RewardSource {
  public let name: String
  public let backend: any JudgeBackend
  public let prompt: JudgePrompt
  /// Text used for `{{rubric}}` when the item has no `rubric` column.
  public var rubric: String
  public var maxTokens: Int

  public init(
    name: String, backend: any JudgeBackend, prompt: JudgePrompt, rubric: String = "",
    maxTokens: Int = 160
  ) {
    self.name = name
    self.backend = backend
    self.prompt = prompt
    self.rubric = rubric
    self.maxTokens = maxTokens
  }

  public func score(_ items: [ScoringItem]) async throws -> [Score] {
    let prompts = items.map { prompt.render($0, defaults: ["rubric": rubric]) }
    return try await backend.complete(prompts, maxTokens: maxTokens).map { reply in
      guard let s = Self.parseScore(reply) else {
        return .abstain(reason: "no score in reply: \(reply.prefix(60).debugDescription)")
      }
      return .value(s)
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
/// cannot see probabilities).
public struct CorrectnessJudge: RewardSource {
  public let name: String
  public let backend: any JudgeBackend
  public let prompt: JudgePrompt

  public init(name: String, backend: any JudgeBackend, prompt: JudgePrompt) {
    self.name = name
    self.backend = backend
    self.prompt = prompt
  }

  public func score(_ items: [ScoringItem]) async throws -> [Score] {
    let prompts = items.map { prompt.render($0) }
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
    let forward = pairs.map { prompt.render(["prompt": $0.prompt, "a": $0.first, "b": $0.second]) }
    let backward = pairs.map {
      prompt.render(["prompt": $0.prompt, "a": $0.second, "b": $0.first])
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
