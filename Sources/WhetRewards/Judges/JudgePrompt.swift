import Foundation

/// A judge's prompt template: text with `{{name}}` placeholders (`prompt`, `completion`, `a`,
/// `b`, `rubric`, or any extra column). The defaults ship as files in `Templates/`; a user
/// passes their own file to override one.
public struct JudgePrompt: Sendable, Equatable {
  public var text: String

  public init(text: String) { self.text = text }

  /// Reads a template file (a user override).
  public init(contentsOf url: URL) throws {
    do {
      text = try String(contentsOf: url, encoding: .utf8)
    } catch {
      throw JudgeError.unreadableTemplate(file: url.path, reason: error.localizedDescription)
    }
  }

  /// One of the bundled defaults: `pointwise_additive`, `correctness_yes_no`, `pairwise`, `rubric`.
  public static func bundled(_ name: String) throws -> JudgePrompt {
    guard
      let url = Bundle.module.url(
        forResource: name, withExtension: "txt", subdirectory: "Templates")
        ?? Bundle.module.url(forResource: name, withExtension: "txt")
    else {
      throw JudgeError.unreadableTemplate(
        file: "\(name).txt", reason: "not among the bundled templates")
    }
    return try JudgePrompt(contentsOf: url)
  }

  /// The template filled from an item: its columns, then `prompt` and `completion`; `defaults`
  /// fill placeholders the item's columns lack.
  public func render(_ item: ScoringItem, defaults: [String: String] = [:]) -> String {
    var values = defaults.merging(item.columns) { _, column in column }
    values["prompt"] = item.prompt
    values["completion"] = item.completion
    return render(values)
  }

  /// The text with each `{{key}}` replaced by its value.
  public func render(_ values: [String: String]) -> String {
    var out = text
    for (key, value) in values { out = out.replacingOccurrences(of: "{{\(key)}}", with: value) }
    return out
  }
}

/// A judge could not produce a verdict.
public enum JudgeError: Error, CustomStringConvertible, Equatable {
  case unreadableTemplate(file: String, reason: String)
  case http(endpoint: String, status: Int, body: String)
  case timeout(endpoint: String, seconds: Double, attempts: Int)
  case transport(endpoint: String, reason: String)
  case malformedResponse(endpoint: String, reason: String)

  public var description: String {
    switch self {
    case .unreadableTemplate(let f, let r): return "\(f): cannot read judge template: \(r)"
    case .http(let e, let s, let b): return "\(e): HTTP \(s): \(b.prefix(200))"
    case .timeout(let e, let s, let n): return "\(e): no answer within \(s) s (\(n) attempts)"
    case .transport(let e, let r): return "\(e): \(r)"
    case .malformedResponse(let e, let r): return "\(e): unexpected response: \(r)"
    }
  }
}
