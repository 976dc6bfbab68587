/// Why the Weaver pipeline, a score normalisation or a reward transform could not run.
public enum WeaverError: Error, Sendable, Equatable, CustomStringConvertible {
  /// Two inputs that must align (items, groups, sources) have different lengths.
  case shapeMismatch(what: String, expected: Int, got: Int)
  /// A configuration value is out of range.
  case invalidParameter(String)
  /// Every source was dropped (near-constant votes); the names and positive rates.
  case noSourcesLeft(dropped: [String])
  /// The label model failed on the binarised votes.
  case labelModel(LabelModelError)
  /// A label-free method was given sources that read the ground truth: each source's name
  /// and the label columns it reads.
  case readsLabels(method: String, sources: [String: [String]])

  public var description: String {
    switch self {
    case .shapeMismatch(let what, let e, let g): return "\(what): expected \(e), got \(g)"
    case .invalidParameter(let s): return "invalid parameter: \(s)"
    case .noSourcesLeft(let d):
      return "every source was dropped as near-constant (\(d.joined(separator: ", ")))"
    case .labelModel(let e): return "label model: \(e)"
    case .readsLabels(let method, let sources):
      let names = sources.keys.sorted()
      let list = names.map { "'\($0)' reads \(sources[$0]!.joined(separator: ", "))" }
      return
        "\(method) is label-free, but \(list.joined(separator: "; ")): leave it out (--exclude \(names.joined(separator: " --exclude "))) or pass --allow-labels to use it knowingly"
    }
  }
}
