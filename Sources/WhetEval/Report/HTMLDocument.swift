import Foundation

/// A self-contained HTML page (inline style, inline SVG, no scripts or downloads) built from
/// headings, paragraphs, tables and figures, for reports a person opens in any browser.
public struct HTMLDocument: Sendable {
  public var title: String
  private var body: [String] = []

  public init(title: String) { self.title = title }

  /// `text` with `&`, `<`, `>`, `"` and `'` escaped, safe inside elements and attributes.
  public static func escape(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for c in text {
      switch c {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      case "'": out += "&#39;"
      default: out.append(c)
      }
    }
    return out
  }

  /// A share as a percentage with one decimal: `0.4567` → `"45.7%"`.
  public static func percent(_ share: Double) -> String {
    String(format: "%.1f%%", share * 100)
  }

  /// A section heading (`level` 2 or 3).
  public mutating func heading(_ text: String, level: Int = 2) {
    let l = min(max(level, 2), 4)
    body.append("<h\(l)>\(Self.escape(text))</h\(l)>")
  }

  /// A paragraph of plain text (escaped).
  public mutating func paragraph(_ text: String, className: String? = nil) {
    let cls = className.map { " class=\"\(Self.escape($0))\"" } ?? ""
    body.append("<p\(cls)>\(Self.escape(text))</p>")
  }

  /// A table; every cell is plain text (escaped). Cells in `numericColumns` align right.
  /// Rows whose index is in `highlightedRows` are emphasised.
  public mutating func table(
    headers: [String], rows: [[String]], numericColumns: Set<Int> = [],
    highlightedRows: Set<Int> = []
  ) {
    func cell(_ tag: String, _ text: String, _ column: Int) -> String {
      let cls = numericColumns.contains(column) ? " class=\"num\"" : ""
      return "<\(tag)\(cls)>\(Self.escape(text))</\(tag)>"
    }
    var html = "<table>\n<thead><tr>"
    html += headers.enumerated().map { cell("th", $1, $0) }.joined()
    html += "</tr></thead>\n<tbody>\n"
    for (r, row) in rows.enumerated() {
      html += highlightedRows.contains(r) ? "<tr class=\"hl\">" : "<tr>"
      html += row.enumerated().map { cell("td", $1, $0) }.joined()
      html += "</tr>\n"
    }
    html += "</tbody>\n</table>"
    body.append(html)
  }

  /// A figure: trusted markup (such as an ``SVGChart`` drawing) with an escaped caption.
  public mutating func figure(_ markup: String, caption: String) {
    body.append("<figure>\(markup)<figcaption>\(Self.escape(caption))</figcaption></figure>")
  }

  /// The page.
  public func render() -> String {
    """
    <!DOCTYPE html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>\(Self.escape(title))</title>
    <style>
    body { font: 15px/1.5 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #1d2430;
      max-width: 980px; margin: 2em auto; padding: 0 1.2em; }
    h1 { font-size: 1.6em; margin-bottom: 0.2em; }
    h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #dde2ea; padding-bottom: 0.2em; }
    table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.95em; }
    th, td { padding: 0.3em 0.8em; border-bottom: 1px solid #e6e9ef; text-align: left; }
    th { background: #f4f6f9; font-weight: 600; }
    td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
    tr.hl td { background: #fff7e0; font-weight: 600; }
    figure { margin: 1em 0; }
    figcaption { color: #5b6472; font-size: 0.9em; margin-top: 0.3em; }
    p.note { color: #5b6472; font-size: 0.92em; }
    .lead { font-size: 1.05em; }
    </style>
    </head>
    <body>
    <h1>\(Self.escape(title))</h1>
    \(body.joined(separator: "\n"))
    </body>
    </html>

    """
  }
}
