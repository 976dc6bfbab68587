import Foundation

/// What a missing score becomes before binarisation.
public enum MissingScorePolicy: Sendable, Equatable {
  /// The source abstains on that item.
  case abstain
  /// The score is replaced by this value after normalisation (Weaver uses `NaN → 0`).
  case fill(Double)
}

/// How normalised scores become votes (Weaver step 2).
public enum BinarisationRule: Sendable, Equatable {
  /// `score ≥ τ` → 1, else 0, for every source.
  case threshold(Double)
  /// Per source, `τ_w` = the `(1 − rate)` quantile of its scores, so about `rate` of its
  /// votes are positive (`score ≥ τ_w` → 1).
  case positiveRate(Double)
}

/// A source removed by the positive-rate filter (Weaver step 3).
public struct DroppedSource: Sendable, Equatable {
  public var name: String
  /// Share of positive votes among its non-abstaining votes (`nil` if it always abstained).
  public var positiveRate: Double?
}

/// The Weaver pipeline (Saad-Falcon et al. 2025, "Shrinking the generation-verification gap
/// with weak verifiers"; ALGORITHMS.md §2): combine many weak verifiers without labels and
/// pick the best candidate of every query.
///
/// 1. Normalise each source's scores (``ScoreNormalisation``, over all items or per query);
///    abstentions and NaN follow ``abstentions`` and ``nanScores``.
/// 2. Binarise (``BinarisationRule``).
/// 3. Drop sources whose positive rate lies outside the open interval
///    (``minimumPositiveRate``, ``maximumPositiveRate``), default (0.1, 0.9): near-constant
///    sources carry no information.
/// 4. Optionally add the majority vote of the kept sources as one more source, then fit the
///    ``LabelModel`` without labels.
/// 5. Score every candidate by `P(correct | votes)` and select the argmax of each query
///    (ties → the lowest item index).
public struct WeaverPipeline: Sendable {
  public var normalisation: ScoreNormalisation
  public var scope: NormalisationScope
  public var binarisation: BinarisationRule
  public var minimumPositiveRate: Double
  public var maximumPositiveRate: Double
  public var abstentions: MissingScorePolicy
  public var nanScores: MissingScorePolicy
  public var addMajorityVoteSource: Bool
  public var labelModel: any LabelModel

  public init(
    labelModel: any LabelModel = DawidSkeneModel(),
    normalisation: ScoreNormalisation = .minMax, scope: NormalisationScope = .global,
    binarisation: BinarisationRule = .threshold(0.5),
    minimumPositiveRate: Double = 0.1, maximumPositiveRate: Double = 0.9,
    abstentions: MissingScorePolicy = .abstain, nanScores: MissingScorePolicy = .fill(0),
    addMajorityVoteSource: Bool = false
  ) {
    self.labelModel = labelModel
    self.normalisation = normalisation
    self.scope = scope
    self.binarisation = binarisation
    self.minimumPositiveRate = minimumPositiveRate
    self.maximumPositiveRate = maximumPositiveRate
    self.abstentions = abstentions
    self.nanScores = nanScores
    self.addMajorityVoteSource = addMajorityVoteSource
  }

  /// Everything the pipeline computed.
  public struct Result: Sendable {
    /// Per-source normalised scores after the missing-score policies (`nil` = abstain).
    public var normalised: ScoreMatrix
    /// Binarisation threshold of every input source.
    public var thresholds: [Double]
    /// Votes of every input source, before the positive-rate filter.
    public var allVotes: VoteMatrix
    /// Votes of the kept sources (plus the majority-vote source if requested).
    public var votes: VoteMatrix
    /// Sources removed by the positive-rate filter.
    public var dropped: [DroppedSource]
    /// The fitted label model (its source estimates are the learned verifier accuracies).
    public var fitted: FittedLabelModel
    /// `P(correct | votes)` of every candidate.
    public var scores: [Double]
    /// The selected item of every query, aligned with `QueryGroups.ids`.
    public var selected: [Int?]
  }

  /// Runs steps 1–5 on `scores`, candidates grouped by `groups`.
  public func run(_ scores: ScoreMatrix, groups: QueryGroups) throws(WeaverError) -> Result {
    guard groups.itemCount == scores.itemCount else {
      throw .shapeMismatch(
        what: "items in groups", expected: scores.itemCount, got: groups.itemCount)
    }
    guard minimumPositiveRate < maximumPositiveRate else {
      throw .invalidParameter("minimumPositiveRate must be below maximumPositiveRate")
    }
    let normalised = try normalise(scores, groups: groups)
    let thresholds = try self.thresholds(normalised)
    let all: VoteMatrix
    do throws(LabelModelError) {
      all = try VoteMatrix(binarising: normalised, thresholds: thresholds)
    } catch {
      throw .labelModel(error)
    }
    var kept: [Int] = []
    var dropped: [DroppedSource] = []
    for j in 0..<all.sourceCount {
      let rate = all.positiveRate(source: j)
      if let rate, rate > minimumPositiveRate, rate < maximumPositiveRate {
        kept.append(j)
      } else {
        dropped.append(DroppedSource(name: all.sources[j], positiveRate: rate))
      }
    }
    guard !kept.isEmpty else { throw .noSourcesLeft(dropped: dropped.map(\.name)) }
    let votes: VoteMatrix
    let fitted: FittedLabelModel
    do throws(LabelModelError) {
      var kept = try all.selectingSources(kept)
      if addMajorityVoteSource {
        let majority = LabelModelKernels.posteriors(kept, rule: .majority).map { p -> Vote in
          p > 0.5 ? .positive : (p < 0.5 ? .negative : .abstain)
        }
        kept = try kept.appendingSource(named: "majority_vote", votes: majority)
      }
      votes = kept
      fitted = try labelModel.fit(votes)
    } catch {
      throw .labelModel(error)
    }
    let selected = try groups.argmax(fitted.posteriors.map { Optional($0) })
    return Result(
      normalised: normalised, thresholds: thresholds, allVotes: all, votes: votes,
      dropped: dropped,
      fitted: fitted, scores: fitted.posteriors, selected: selected)
  }

  /// Step 1 with the missing-score policies applied.
  public func normalise(_ scores: ScoreMatrix, groups: QueryGroups?) throws(WeaverError)
    -> ScoreMatrix
  {
    let n = scores.itemCount
    let m = scores.sources.count
    var columns: [[Double?]] = []
    for j in 0..<m {
      var column = scores.values.map { $0[j] }
      if case .fill(let value) = abstentions {
        column = column.map { $0 ?? value }
      }
      column = try ScoreNormaliser.normalise(
        column, method: normalisation, scope: scope, groups: groups)
      column = column.map { v in
        guard let v, v.isNaN else { return v }
        if case .fill(let value) = nanScores { return value }
        return nil
      }
      columns.append(column)
    }
    let rows = (0..<n).map { i in (0..<m).map { j in columns[j][i] } }
    return ScoreMatrix(sources: scores.sources, values: rows)
  }

  /// Step 2's per-source thresholds.
  public func thresholds(_ normalised: ScoreMatrix) throws(WeaverError) -> [Double] {
    let m = normalised.sources.count
    switch binarisation {
    case .threshold(let tau):
      guard !tau.isNaN else { throw .invalidParameter("threshold is NaN") }
      return [Double](repeating: tau, count: m)
    case .positiveRate(let rate):
      guard rate > 0, rate < 1 else { throw .invalidParameter("positive rate must be in (0, 1)") }
      return (0..<m).map { j in
        let sorted = normalised.values.compactMap { $0[j] }.filter { !$0.isNaN }.sorted()
        return sorted.isEmpty ? .infinity : ScoreNormaliser.percentile(sorted: sorted, 1 - rate)
      }
    }
  }
}
