import ArgumentParser
import WhetRewards

/// The Weaver pipeline's flags, shared by `whet select` and `whet demo`; names are resolved by
/// ``WeaverSettings``.
struct WeaverOptions: ParsableArguments {
  @Option(help: "Label model: \(LabelModelRegistry.names.joined(separator: ", ")).")
  var labelModel = "dawid-skene"
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

  var settings: WeaverSettings {
    var s = WeaverSettings()
    s.labelModel = labelModel
    s.normalisation = normalisation
    s.scope = normalisationScope
    s.binarise = binarise
    return s
  }

  func pipeline() throws -> WeaverPipeline {
    do { return try settings.pipeline() } catch { throw ValidationError(error.description) }
  }

  /// One line describing the settings, for reports.
  var summary: String { settings.summary }
}
