/// Why a metric could not be computed from its inputs.
public enum MetricError: Error, Sendable, Equatable, CustomStringConvertible {
  /// Inputs that must align have different lengths.
  case lengthMismatch(expected: Int, got: Int)
  /// No items to average over.
  case empty
  /// A count or parameter out of range (description says which).
  case invalidArgument(String)
  /// A NaN score or probability at this index.
  case notANumber(index: Int)

  public var description: String {
    switch self {
    case .lengthMismatch(let e, let g): return "length mismatch: expected \(e), got \(g)"
    case .empty: return "no items"
    case .invalidArgument(let s): return "invalid argument: \(s)"
    case .notANumber(let i): return "NaN at index \(i)"
    }
  }
}

/// Evaluation metrics (ALGORITHMS.md §6). Every function validates its input and throws
/// ``MetricError`` instead of trapping.
public enum EvalMetrics {
  static func checkLengths(_ a: Int, _ b: Int) throws(MetricError) {
    guard a == b else { throw .lengthMismatch(expected: a, got: b) }
    guard a > 0 else { throw .empty }
  }

  static func checkNumbers(_ values: [Double]) throws(MetricError) {
    if let i = values.firstIndex(where: { $0.isNaN }) { throw .notANumber(index: i) }
  }
}
