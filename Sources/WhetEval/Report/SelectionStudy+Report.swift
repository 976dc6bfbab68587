import Foundation

extension SelectionStudy {
  /// Adds the study to `document`: the accuracy of every method as a table and a bar chart
  /// against the pass@N ceiling, then each verifier's estimated versus true accuracy as a
  /// table and a scatter plot.
  public func appendSections(to document: inout HTMLDocument, queries: Int, candidates: Int) {
    document.heading("Accuracy by selection method")
    document.paragraph(
      "Share of the \(queries) questions whose chosen answer is correct, out of \(candidates) "
        + "sampled candidates. Only the last row (an oracle) and this scoring use the hidden answers.",
      className: "note")
    let weaverRow = methods.firstIndex { $0.kind == .weaver }
    document.table(
      headers: ["method", "kind", "accuracy"],
      rows: methods.map { [$0.name, $0.kind.rawValue, HTMLDocument.percent($0.accuracy)] },
      numericColumns: [2], highlightedRows: weaverRow.map { [$0] } ?? [])
    let ceiling = methods.first { $0.kind == .ceiling }
    document.figure(
      SVGChart.horizontalBars(
        methods.filter { $0.kind != .ceiling }.map {
          SVGChart.Bar(label: $0.name, value: $0.accuracy, group: $0.kind.rawValue)
        },
        maximum: 1, reference: ceiling.map { ("pass@N", $0.accuracy) }),
      caption:
        "Accuracy of each way to pick one of N answers; the dashed line is pass@N, the best any selector could do."
    )

    document.heading("Verifier accuracy: estimated without labels versus true")
    let fitted = weaver.fitted
    document.paragraph(
      "The \(fitted.method) label model saw only the binarised votes. It estimates that "
        + "\(HTMLDocument.percent(fitted.classBalance)) of candidates are correct (truly \(HTMLDocument.percent(correctShare))). "
        + "Sources that vote positive on nearly every candidate or on nearly none (outside the "
        + "pipeline's bounds, by default 10%–90%) carry no information and are dropped before the fit.",
      className: "note")
    document.table(
      headers: [
        "verifier", "threshold", "positive rate", "kept", "estimated accuracy", "true accuracy",
        "AUROC",
      ],
      rows: verifiers.enumerated().map { j, v in
        [
          v.name,
          weaver.thresholds.indices.contains(j) ? String(format: "%.3f", weaver.thresholds[j]) : "",
          v.positiveRate.map(HTMLDocument.percent) ?? "–", v.kept ? "yes" : "no",
          v.estimatedAccuracy.map(HTMLDocument.percent) ?? "–",
          v.trueAccuracy.map(HTMLDocument.percent) ?? "–",
          v.auroc.map { String(format: "%.3f", $0) } ?? "–",
        ]
      },
      numericColumns: [1, 2, 4, 5, 6])
    document.paragraph(
      "AUROC is computed from the raw scores against the truth: the chance that a correct "
        + "candidate scores above a wrong one (0.5 is a coin flip; below 0.5 the verifier points "
        + "the wrong way).", className: "note")
    let points = verifiers.compactMap { v -> SVGChart.Point? in
      guard let e = v.estimatedAccuracy, let t = v.trueAccuracy else { return nil }
      return SVGChart.Point(label: v.name, x: t, y: e)
    }
    if !points.isEmpty {
      document.figure(
        SVGChart.scatter(
          points, range: 0...1, xLabel: "true accuracy", yLabel: "estimated accuracy"),
        caption:
          "Each kept verifier's accuracy as the label model estimated it, against the truth; on the dashed line they agree."
      )
    }
  }
}
