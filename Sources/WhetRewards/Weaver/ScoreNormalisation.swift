import Foundation

/// How a source's continuous scores are rescaled before binarisation (Weaver step 1,
/// Saad-Falcon et al. 2025, "Shrinking the generation-verification gap with weak verifiers";
/// ALGORITHMS.md §2).
public enum ScoreNormalisation: Sendable, Equatable {
  /// Scores are used as they are.
  case none
  /// `(x − min) / (max − min)`.
  case minMax
  /// The mid-rank empirical CDF, `(rank − 1) / (count − 1)` with ties sharing their mean rank,
  /// in `[0, 1]`.
  case quantile
  /// Clip to the `lower` and `upper` quantiles (default 5% / 95%), then min-max.
  case winsorisedMinMax(lower: Double = 0.05, upper: Double = 0.95)
}

/// Over which items the normalisation statistics are taken.
public enum NormalisationScope: Sendable, Equatable {
  /// One min / max / rank over all items of the source.
  case global
  /// Separately within every query's candidates.
  case perQuery
}

/// Score normalisation helpers on one source's column. `nil` entries (abstentions) and NaN
/// stay as they are and are ignored by the statistics.
///
/// Values that are all equal (or a single value) carry no information about which item is
/// better, so under every method they become abstentions (`nil`): a verifier that rejects
/// every candidate of a query must not turn, by rank 0.5 and threshold 0.5, into one that
/// accepts them all.
public enum ScoreNormaliser {
  /// Normalises `values` with `method`; all-equal values abstain.
  public static func normalise(_ values: [Double?], method: ScoreNormalisation) throws(WeaverError)
    -> [Double?]
  {
    if isUninformative(values) { return abstainingTies(values) }
    switch method {
    case .none: return values
    case .minMax: return minMax(values)
    case .quantile: return quantile(values)
    case .winsorisedMinMax(let lower, let upper):
      return try winsorisedMinMax(values, lower: lower, upper: upper)
    }
  }

  /// Normalises `values` with `method`, over all items or within each query group.
  public static func normalise(
    _ values: [Double?], method: ScoreNormalisation, scope: NormalisationScope,
    groups: QueryGroups?
  ) throws(WeaverError) -> [Double?] {
    guard case .perQuery = scope else { return try normalise(values, method: method) }
    guard let groups else { throw .invalidParameter("per-query normalisation needs query groups") }
    guard groups.itemCount == values.count else {
      throw .shapeMismatch(what: "items in groups", expected: values.count, got: groups.itemCount)
    }
    var out = values
    for items in groups.members {
      let normalised = try normalise(items.map { values[$0] }, method: method)
      for (k, i) in items.enumerated() { out[i] = normalised[k] }
    }
    return out
  }

  /// Whether the present, non-NaN values are fewer than two distinct ones.
  public static func isUninformative(_ values: [Double?]) -> Bool {
    var first: Double?
    for case let v? in values where !v.isNaN {
      guard let f = first else {
        first = v
        continue
      }
      if v != f { return false }
    }
    return true
  }

  /// `values` with every present, non-NaN value replaced by an abstention.
  static func abstainingTies(_ values: [Double?]) -> [Double?] {
    values.map { v in v.flatMap { $0.isNaN ? $0 : nil } }
  }

  /// `(x − min) / (max − min)` over the finite values; all-equal values abstain.
  public static func minMax(_ values: [Double?]) -> [Double?] {
    if isUninformative(values) { return abstainingTies(values) }
    var lo = Double.infinity
    var hi = -Double.infinity
    for case let v? in values where v.isFinite {
      lo = min(lo, v)
      hi = max(hi, v)
    }
    guard lo < hi else { return abstainingTies(values) }
    let range = hi - lo
    return values.map { v in
      guard let v, !v.isNaN else { return v }
      return min(max((v - lo) / range, 0), 1)
    }
  }

  /// Mid-rank empirical CDF in `[0, 1]` over the non-NaN values; all-equal values abstain.
  public static func quantile(_ values: [Double?]) -> [Double?] {
    if isUninformative(values) { return abstainingTies(values) }
    let present = values.indices.filter { values[$0].map { !$0.isNaN } ?? false }
    let order = present.sorted { values[$0]! < values[$1]! }
    var out = values
    var start = 0
    let denominator = Double(order.count - 1)
    while start < order.count {
      var end = start
      while end + 1 < order.count && values[order[end + 1]]! == values[order[start]]! { end += 1 }
      let rank = Double(start + end) / 2
      for k in start...end { out[order[k]] = rank / denominator }
      start = end + 1
    }
    return out
  }

  /// Clips to the `lower` / `upper` quantiles of the finite values (linear interpolation), then
  /// min-max.
  public static func winsorisedMinMax(
    _ values: [Double?], lower: Double = 0.05, upper: Double = 0.95
  )
    throws(WeaverError) -> [Double?]
  {
    guard lower >= 0, upper <= 1, lower < upper else {
      throw .invalidParameter("winsorising quantiles must satisfy 0 ≤ lower < upper ≤ 1")
    }
    let sorted = values.compactMap { $0 }.filter { !$0.isNaN }.sorted()
    guard !sorted.isEmpty else { return values }
    let lo = percentile(sorted: sorted, lower)
    let hi = percentile(sorted: sorted, upper)
    return minMax(values.map { v in v.map { $0.isNaN ? $0 : min(max($0, lo), hi) } })
  }

  /// The `q`-quantile of ascending `sorted` values with linear interpolation between order
  /// statistics (NumPy's default `linear` method).
  public static func percentile(sorted: [Double], _ q: Double) -> Double {
    guard !sorted.isEmpty else { return .nan }
    let position = min(max(q, 0), 1) * Double(sorted.count - 1)
    let below = Int(position.rounded(.down))
    let above = min(below + 1, sorted.count - 1)
    let fraction = position - Double(below)
    return sorted[below] + (sorted[above] - sorted[below]) * fraction
  }
}
