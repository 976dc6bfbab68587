import Foundation

/// How a source's continuous scores are rescaled before binarisation (Weaver step 1,
/// Saad-Falcon et al. 2025, "Shrinking the generation-verification gap with weak verifiers";
/// ALGORITHMS.md §2).
public enum ScoreNormalisation: Sendable, Equatable {
  /// Scores are used as they are.
  case none
  /// `(x − min) / (max − min)`; a constant column maps to 0.
  case minMax
  /// The mid-rank empirical CDF, `(rank − 1) / (count − 1)` with ties sharing their mean rank,
  /// in `[0, 1]`; a single value maps to 0.
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
public enum ScoreNormaliser {
  /// Normalises `values` with `method`.
  public static func normalise(_ values: [Double?], method: ScoreNormalisation) throws(WeaverError)
    -> [Double?]
  {
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

  /// `(x − min) / (max − min)` over the finite values; a constant column maps to 0.
  public static func minMax(_ values: [Double?]) -> [Double?] {
    var lo = Double.infinity
    var hi = -Double.infinity
    for case let v? in values where v.isFinite {
      lo = min(lo, v)
      hi = max(hi, v)
    }
    guard lo <= hi else { return values }
    let range = hi - lo
    return values.map { v in
      guard let v, !v.isNaN else { return v }
      if range == 0 { return 0 }
      return min(max((v - lo) / range, 0), 1)
    }
  }

  /// Mid-rank empirical CDF in `[0, 1]` over the non-NaN values.
  public static func quantile(_ values: [Double?]) -> [Double?] {
    let present = values.indices.filter { values[$0].map { !$0.isNaN } ?? false }
    guard present.count > 1 else { return values.map { $0.map { $0.isNaN ? $0 : 0 } } }
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
