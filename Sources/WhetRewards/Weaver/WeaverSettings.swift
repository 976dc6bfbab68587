/// The Weaver pipeline by the names flags and configs use (`whet select`, `whet demo`): one
/// place maps each name to its value.
public struct WeaverSettings: Sendable, Codable, Equatable {
  /// ``LabelModelRegistry`` name.
  public var labelModel = "dawid-skene"
  /// `quantile` (ranks), `minmax`, `winsorised` or `none`.
  public var normalisation = "quantile"
  /// `query` (within each query's candidates) or `global`.
  public var scope = "query"
  /// `threshold:T` (a normalised score ≥ T votes correct) or `rate:R` (each source's top R
  /// share votes correct).
  public var binarise = "threshold:0.5"

  public init() {}

  public func pipeline() throws(WeaverSettingsError) -> WeaverPipeline {
    let normalisation: ScoreNormalisation
    switch self.normalisation {
    case "minmax": normalisation = .minMax
    case "quantile": normalisation = .quantile
    case "winsorised", "winsorized": normalisation = .winsorisedMinMax()
    case "none": normalisation = .none
    default:
      throw .invalid(
        "unknown normalisation '\(self.normalisation)'; valid: minmax, quantile, winsorised, none")
    }
    let scope: NormalisationScope
    switch self.scope {
    case "global": scope = .global
    case "query": scope = .perQuery
    default: throw .invalid("the normalisation scope must be global or query, not '\(self.scope)'")
    }
    let parts = binarise.split(separator: ":", maxSplits: 1).map(String.init)
    guard parts.count == 2, let value = Double(parts[1]), value.isFinite else {
      throw .invalid("binarisation must be threshold:T or rate:R, e.g. threshold:0.5")
    }
    let rule: BinarisationRule
    switch parts[0] {
    case "threshold": rule = .threshold(value)
    case "rate":
      guard value > 0, value < 1 else { throw .invalid("binarisation rate:R needs 0 < R < 1") }
      rule = .positiveRate(value)
    default: throw .invalid("binarisation must be threshold:T or rate:R")
    }
    return WeaverPipeline(
      labelModel: try LabelModelRegistry.make(labelModel), normalisation: normalisation,
      scope: scope, binarisation: rule)
  }

  /// One line describing the settings, for reports.
  public var summary: String {
    "\(labelModel) label model, \(normalisation) normalisation (\(scope)), binarised by \(binarise)"
  }
}

/// Label models by name.
public enum LabelModelRegistry {
  public static let names = ["dawid-skene", "metal", "triplet", "majority"]

  public static func make(_ name: String) throws(WeaverSettingsError) -> any LabelModel {
    switch name {
    case "dawid-skene": return DawidSkeneModel()
    case "metal": return MatrixCompletionModel()
    case "triplet": return TripletModel()
    case "majority": return MajorityVoteModel()
    default:
      throw .invalid("unknown label model '\(name)'; valid: \(names.joined(separator: ", "))")
    }
  }
}

/// Weaver settings that name nothing this library has.
public enum WeaverSettingsError: Error, CustomStringConvertible, Equatable {
  case invalid(String)

  public var description: String {
    switch self {
    case .invalid(let reason): return reason
    }
  }
}
