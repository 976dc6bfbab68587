import ArgumentParser
import WhetRewards

/// The Weaver pipeline's settings, shared by `whet select` and `whet demo`.
struct WeaverOptions: ParsableArguments {
  @Option(help: "Label model: dawid-skene, metal, triplet, majority.") var labelModel =
    "dawid-skene"
  @Option(help: "Score normalisation: quantile (ranks), minmax, winsorised, none.")
  var normalisation = "quantile"
  @Option(
    help:
      "Normalise within each query's candidates (query; best-of-N compares only those) or over all candidates (global)."
  )
  var normalisationScope = "query"
  @Option(
    help:
      "Binarisation: threshold:T (normalised score ≥ T votes correct) or rate:R (each source's top R share votes correct)."
  )
  var binarise = "threshold:0.5"

  func pipeline() throws -> WeaverPipeline {
    let normalisation: ScoreNormalisation
    switch self.normalisation {
    case "minmax": normalisation = .minMax
    case "quantile": normalisation = .quantile
    case "winsorised", "winsorized": normalisation = .winsorisedMinMax()
    case "none": normalisation = .none
    default:
      throw ValidationError(
        "unknown --normalisation '\(self.normalisation)'; valid: minmax, quantile, winsorised, none"
      )
    }
    let scope: NormalisationScope
    switch normalisationScope {
    case "global": scope = .global
    case "query": scope = .perQuery
    default: throw ValidationError("--normalisation-scope must be global or query")
    }
    let parts = binarise.split(separator: ":", maxSplits: 1).map(String.init)
    guard parts.count == 2, let value = Double(parts[1]), value.isFinite else {
      throw ValidationError("--binarise must be threshold:T or rate:R, e.g. threshold:0.5")
    }
    let rule: BinarisationRule
    switch parts[0] {
    case "threshold": rule = .threshold(value)
    case "rate":
      guard value > 0, value < 1 else { throw ValidationError("--binarise rate:R needs 0 < R < 1") }
      rule = .positiveRate(value)
    default: throw ValidationError("--binarise must be threshold:T or rate:R")
    }
    return WeaverPipeline(
      labelModel: try labelModelNamed(labelModel), normalisation: normalisation, scope: scope,
      binarisation: rule)
  }

  /// One line describing the settings, for reports.
  var summary: String {
    "\(labelModel) label model, \(normalisation) normalisation (\(normalisationScope)), binarised by \(binarise)"
  }
}

/// The label model called `name` on the command line.
func labelModelNamed(_ name: String) throws -> any LabelModel {
  switch name {
  case "dawid-skene": return DawidSkeneModel()
  case "metal": return MatrixCompletionModel()
  case "triplet": return TripletModel()
  case "majority": return MajorityVoteModel()
  default:
    throw ValidationError(
      "unknown label model '\(name)'; valid: dawid-skene, metal, triplet, majority")
  }
}
