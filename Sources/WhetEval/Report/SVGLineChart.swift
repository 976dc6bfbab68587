import Foundation

extension SVGChart {
  /// One named series of `(x, y)` points.
  public struct Series: Sendable, Equatable {
    public var label: String
    public var points: [(x: Double, y: Double)]

    public init(label: String, points: [(x: Double, y: Double)]) {
      self.label = label
      self.points = points
    }

    public static func == (a: Series, b: Series) -> Bool {
      a.label == b.label && a.points.map(\.x) == b.points.map(\.x)
        && a.points.map(\.y) == b.points.map(\.y)
    }
  }

  /// Lines over a shared x axis (training step), each series in its own colour with a legend;
  /// the y range covers every finite value. Series with one point are drawn as dots.
  public static func lines(
    _ series: [Series], xLabel: String, yLabel: String, width: Double = 640, height: Double = 300
  ) -> String {
    let left = 64.0, right = 150.0, top = 20.0, bottom = 44.0
    let plotW = width - left - right, plotH = height - top - bottom
    let xs = series.flatMap { $0.points.map(\.x) }.filter(\.isFinite)
    let ys = series.flatMap { $0.points.map(\.y) }.filter(\.isFinite)
    var svg = header(width: width, height: height)
    guard let x0 = xs.min(), let x1 = xs.max(), var y0 = ys.min(), var y1 = ys.max() else {
      return svg + text(left, top + 20, "no data", size: 12) + "</svg>"
    }
    if y1 - y0 < 1e-9 {
      y0 -= 0.5
      y1 += 0.5
    }
    let xSpan = max(x1 - x0, 1e-9), ySpan = y1 - y0
    func px(_ x: Double) -> Double { left + (x - x0) / xSpan * plotW }
    func py(_ y: Double) -> Double { top + (1 - (y - y0) / ySpan) * plotH }
    svg +=
      "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotW))\" height=\"\(f(plotH))\" fill=\"none\" stroke=\"#c9ced8\"/>\n"
    for k in 0...4 {
      let y = y0 + ySpan * Double(k) / 4
      svg += line(left, py(y), left + plotW, py(y), stroke: "#eef0f4")
      svg += text(
        left - 6, py(y) + 4, String(format: "%.3g", y), size: 11, anchor: "end", fill: "#5b6472")
      let x = x0 + xSpan * Double(k) / 4
      svg += text(
        px(x), top + plotH + 16, String(format: "%g", x.rounded()), size: 11, anchor: "middle",
        fill: "#5b6472")
    }
    svg += text(left + plotW / 2, height - 8, xLabel, size: 13, anchor: "middle")
    svg +=
      "<text x=\"16\" y=\"\(f(top + plotH / 2))\" font-size=\"13\" text-anchor=\"middle\" transform=\"rotate(-90 16 \(f(top + plotH / 2)))\">\(HTMLDocument.escape(yLabel))</text>\n"
    for (i, s) in series.enumerated() {
      let colour = palette[i % palette.count]
      let finite = s.points.filter { $0.x.isFinite && $0.y.isFinite }
      if finite.count == 1 || finite.count > 1 && finite.count <= 12 {
        for p in finite {
          svg +=
            "<circle cx=\"\(f(px(p.x)))\" cy=\"\(f(py(p.y)))\" r=\"3.5\" fill=\"\(colour)\"/>\n"
        }
      }
      if finite.count > 1 {
        let path = finite.map { "\(f(px($0.x))),\(f(py($0.y)))" }.joined(separator: " ")
        svg +=
          "<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\"/>\n"
      }
      let ly = top + 14 + Double(i) * 18
      svg += line(left + plotW + 12, ly - 4, left + plotW + 30, ly - 4, stroke: colour)
      svg += text(left + plotW + 36, ly, s.label, size: 12, fill: colour)
    }
    return svg + "</svg>"
  }
}
