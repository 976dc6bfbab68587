/// Why a vote matrix could not be built or a label model could not be fitted.
///
/// Every failure caused by the input (shapes, codes, too few sources, data that carry no
/// signal) is reported with one of these cases; nothing in the label models traps on input.
public enum LabelModelError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The vote matrix has no items or no sources.
  case empty
  /// `codes.count` is not `itemCount × sourceCount`, or rows differ in length.
  case shapeMismatch(expected: Int, got: Int)
  /// A vote code other than 0 (negative), 1 (positive) or 2 (abstain).
  case invalidVote(code: UInt8, item: Int, source: Int)
  /// The method needs at least `needed` sources.
  case tooFewSources(needed: Int, got: Int)
  /// New votes name other sources, in another order, than the votes the model was fitted on.
  case sourceMismatch(expected: [String], got: [String])
  /// A configuration value is out of range (name and reason).
  case invalidParameter(String)
  /// The votes carry no usable signal for this method (e.g. every pairwise agreement is zero).
  case degenerate(String)

  public var description: String {
    switch self {
    case .empty: return "vote matrix is empty (no items or no sources)"
    case .shapeMismatch(let e, let g):
      return "vote matrix shape mismatch: expected \(e) votes, got \(g)"
    case .invalidVote(let c, let i, let s):
      return "invalid vote code \(c) at item \(i), source \(s) (expected 0, 1 or 2 = abstain)"
    case .tooFewSources(let n, let g): return "label model needs at least \(n) sources, got \(g)"
    case .sourceMismatch(let e, let g): return "sources \(g) do not match the fitted sources \(e)"
    case .invalidParameter(let s): return "invalid label-model parameter: \(s)"
    case .degenerate(let s): return "votes carry no usable signal: \(s)"
    }
  }
}
