import Foundation
import WhetLM
import WhetNN
import WhetTensor

/// Scores from one model's own distribution over a completion.
public enum ModelScoreKind: String, Sendable, CaseIterable {
  /// `log π(y | x)`.
  case sequenceLogProb = "logprob"
  /// `log π(y | x) / |y|`.
  case meanLogProb = "mean-logprob"
  /// Mean over tokens of `KL(U ‖ p_t)` (Kang et al. 2025, "Scalable Best-of-N Selection for
  /// Large Language Models via Self-Certainty").
  case selfCertainty = "self-certainty"
}

/// A ``RewardSource`` reading one ``ModelScoreKind`` from a model.
///
/// `@unchecked Sendable`: the model is only read while scoring.
public struct ModelScoreSource: RewardSource, @unchecked Sendable {
  /// Only the prompt and the completion.
  public var columnsRead: Set<String> { [] }
  public let kind: ModelScoreKind
  public let scorer: CompletionScorer
  public var name: String { kind.rawValue }

  public init(_ kind: ModelScoreKind, scorer: CompletionScorer) {
    self.kind = kind
    self.scorer = scorer
  }

  public func score(_ items: [ScoringItem]) async throws -> [Score] {
    let stats = try scorer.statistics(items.map { ($0.prompt, $0.completion) })
    return stats.map { s in
      if s.tokenLogProbs.isEmpty { return .abstain(reason: "empty completion") }
      switch kind {
      case .sequenceLogProb: return .value(s.sequenceLogProb)
      case .meanLogProb: return .value(s.meanLogProb)
      case .selfCertainty: return .value(s.meanSelfCertainty)
      }
    }
  }
}

/// LaSeR's last-token self-reward (Yang et al. 2025): `β·(log π(z | x, y) − c)` for a fixed
/// token `z` placed after the completion.
public struct LastTokenRewardSource: RewardSource, @unchecked Sendable {
  /// Only the prompt and the completion.
  public var columnsRead: Set<String> { [] }
  public let scorer: CompletionScorer
  public let token: Int
  public let beta: Double
  public let offset: Double
  public var name: String { "laser" }

  public init(scorer: CompletionScorer, token: Int, beta: Double = 1, offset: Double = 0) {
    self.scorer = scorer
    self.token = token
    self.beta = beta
    self.offset = offset
  }

  public func score(_ items: [ScoringItem]) async throws -> [Score] {
    try scorer.statistics(items.map { ($0.prompt, $0.completion) }, appending: [token]).map {
      guard let last = $0.tokenLogProbs.last else { return .abstain(reason: "nothing scored") }
      return .value(beta * (Double(last) - offset))
    }
  }
}

/// The difference of two models' sequence log-probs, scaled: `β·(log π_a(y|x) − log π_b(y|x))`.
///
/// With a policy and its reference this is the implicit (DPO) reward (Rafailov et al. 2023);
/// with a strong and a weak model, the density-ratio reward (CDR, β = 1).
public struct LogRatioSource: RewardSource, @unchecked Sendable {
  /// Only the prompt and the completion.
  public var columnsRead: Set<String> { [] }
  public let name: String
  public let numerator: CompletionScorer
  public let denominator: CompletionScorer
  public let beta: Double

  public init(
    name: String, numerator: CompletionScorer, denominator: CompletionScorer, beta: Double = 1
  ) {
    self.name = name
    self.numerator = numerator
    self.denominator = denominator
    self.beta = beta
  }

  /// `β·(log π(y|x) − log π_ref(y|x))`.
  public static func implicitReward(
    policy: CompletionScorer, reference: CompletionScorer, beta: Double
  ) -> LogRatioSource {
    LogRatioSource(name: "implicit-reward", numerator: policy, denominator: reference, beta: beta)
  }

  /// `log π_strong(y|x) − log π_weak(y|x)`.
  public static func densityRatio(strong: CompletionScorer, weak: CompletionScorer)
    -> LogRatioSource
  {
    LogRatioSource(name: "density-ratio", numerator: strong, denominator: weak)
  }

  public func score(_ items: [ScoringItem]) async throws -> [Score] {
    let pairs = items.map { ($0.prompt, $0.completion) }
    let a = try numerator.statistics(pairs), b = try denominator.statistics(pairs)
    return zip(a, b).map { x, y in
      x.tokenLogProbs.isEmpty
        ? .abstain(reason: "empty completion")
        : .value(beta * (x.sequenceLogProb - y.sequenceLogProb))
    }
  }
}
