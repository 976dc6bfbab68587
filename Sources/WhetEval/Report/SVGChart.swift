import Foundation

/// Inline SVG charts for ``HTMLDocument`` reports: horizontal bars and a scatter plot, drawn
/// from the numbers alone (no fonts or scripts needed beyond the browser's own).
public enum SVGChart {
  /// One bar: a label, a value in `0...max`, and a colour group.
  public struct Bar: Sendable, Equatable {
    public var label: String
    public var value: Double
    public var group: String

    public init(label: String, value: Double, group: String) {
      self.label = label
      self.value = value
      self.group = group
    }
  }

  /// Colours for bar groups, assigned in order of first appearance.
  static let palette = ["#8a94a6", "#4c78a8", "#f58518", "#54a24b", "#b279a2", "#e45756"]

  /// Horizontal bars scaled to `0...maximum`, each labelled with its value as a percentage;
  /// a dashed vertical line marks `reference` (e.g. pass@N) when given.
  public static func horizontalBars(
    _ bars: [Bar], maximum: Double = 1, reference: (label: String, value: Double)? = nil,
    width: Double = 900
  ) -> String {
    let maximum = maximum > 0 && maximum.isFinite ? maximum : 1
    let labelWidth = 260.0
    let barHeight = 22.0
    let gap = 8.0
    let top = 24.0
    let plotWidth = width - labelWidth - 70
    let height = top + Double(bars.count) * (barHeight + gap) + 24
    let scale = maximum > 0 ? plotWidth / maximum : 0
    var groups: [String] = []
    for b in bars where !groups.contains(b.group) { groups.append(b.group) }
    var svg = header(width: width, height: height)
    // Grid every 10 points.
    for tick in stride(from: 0.0, through: maximum + 1e-9, by: maximum / 10) {
      let x = labelWidth + tick * scale
      svg += line(x, top - 6, x, height - 20, stroke: "#e6e9ef")
      svg += text(
        x, height - 6, String(format: "%.0f%%", tick * 100), size: 11, anchor: "middle",
        fill: "#8a94a6")
    }
    for (i, b) in bars.enumerated() {
      let y = top + Double(i) * (barHeight + gap)
      let colour = palette[(groups.firstIndex(of: b.group) ?? 0) % palette.count]
      let w = max(0, min(b.value, maximum)) * scale
      svg += text(labelWidth - 8, y + barHeight * 0.7, b.label, size: 13, anchor: "end")
      svg +=
        "<rect x=\"\(f(labelWidth))\" y=\"\(f(y))\" width=\"\(f(w))\" height=\"\(f(barHeight))\" fill=\"\(colour)\" rx=\"2\"/>\n"
      svg += text(
        labelWidth + w + 6, y + barHeight * 0.7, String(format: "%.1f%%", b.value * 100),
        size: 12)
    }
    if let reference {
      let x = labelWidth + min(reference.value, maximum) * scale
      svg += line(x, top - 10, x, height - 20, stroke: "#e45756", dash: true)
      svg += text(
        x, top - 12, "\(reference.label) \(String(format: "%.1f%%", reference.value * 100))",
        size: 12, anchor: "middle", fill: "#e45756")
    }
    return svg + "</svg>"
  }

  /// One labelled point of a scatter plot.
  public struct Point: Sendable, Equatable {
    public var label: String
    public var x: Double
    public var y: Double

    public init(label: String, x: Double, y: Double) {
      self.label = label
      self.x = x
      self.y = y
    }
  }

  /// A square scatter plot over `range × range` with the diagonal `y = x` drawn, for
  /// estimated-versus-true comparisons.
  public static func scatter(
    _ points: [Point], range: ClosedRange<Double> = 0...1, xLabel: String, yLabel: String,
    size: Double = 460
  ) -> String {
    let margin = 56.0
    let plot = size - 2 * margin
    let span = max(range.upperBound - range.lowerBound, 1e-9)
    func px(_ v: Double) -> Double {
      margin + (min(max(v, range.lowerBound), range.upperBound) - range.lowerBound) / span * plot
    }
    func py(_ v: Double) -> Double { size - margin - (px(v) - margin) }
    var svg = header(width: size + 160, height: size)
    svg +=
      "<rect x=\"\(f(margin))\" y=\"\(f(margin))\" width=\"\(f(plot))\" height=\"\(f(plot))\" fill=\"none\" stroke=\"#c9ced8\"/>\n"
    for k in 0...4 {
      let v = range.lowerBound + span * Double(k) / 4
      svg += text(
        px(v), size - margin + 16, String(format: "%.2f", v), size: 11, anchor: "middle",
        fill: "#5b6472")
      svg += text(
        margin - 6, py(v) + 4, String(format: "%.2f", v), size: 11, anchor: "end", fill: "#5b6472")
    }
    svg += line(
      px(range.lowerBound), py(range.lowerBound), px(range.upperBound), py(range.upperBound),
      stroke: "#8a94a6", dash: true)
    svg += text(margin + plot / 2, size - 14, xLabel, size: 13, anchor: "middle")
    svg +=
      "<text x=\"16\" y=\"\(f(margin + plot / 2))\" font-size=\"13\" text-anchor=\"middle\" transform=\"rotate(-90 16 \(f(margin + plot / 2)))\">\(HTMLDocument.escape(yLabel))</text>\n"
    for (i, p) in points.enumerated() {
      let colour = palette[(i + 1) % palette.count]
      svg +=
        "<circle cx=\"\(f(px(p.x)))\" cy=\"\(f(py(p.y)))\" r=\"6\" fill=\"\(colour)\" fill-opacity=\"0.85\"/>\n"
      svg += text(px(p.x) + 9, py(p.y) + 4, p.label, size: 12, fill: colour)
    }
    return svg + "</svg>"
  }

  static func header(width: Double, height: Double) -> String {
    "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(f(width)) \(f(height))\" width=\"\(f(width))\" height=\"\(f(height))\" font-family=\"Helvetica, Arial, sans-serif\" role=\"img\">\n"
  }

  static func text(
    _ x: Double, _ y: Double, _ s: String, size: Int, anchor: String = "start",
    fill: String = "#1d2430"
  ) -> String {
    "<text x=\"\(f(x))\" y=\"\(f(y))\" font-size=\"\(size)\" text-anchor=\"\(anchor)\" fill=\"\(fill)\">\(HTMLDocument.escape(s))</text>\n"
  }

  static func line(
    _ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String, dash: Bool = false
  ) -> String {
    "<line x1=\"\(f(x1))\" y1=\"\(f(y1))\" x2=\"\(f(x2))\" y2=\"\(f(y2))\" stroke=\"\(stroke)\"\(dash ? " stroke-dasharray=\"5 4\"" : "")/>\n"
  }

  /// A coordinate with one decimal.
  static func f(_ v: Double) -> String { String(format: "%.1f", v) }
}
