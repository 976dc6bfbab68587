/// How close two numbers must be to count as the same answer: `|a − b| ≤ max(absolute,
/// relative · max(|a|, |b|))`, the rule of Python's `math.isclose`.
public struct NumericTolerance: Sendable, Equatable {
  /// Allowed difference as a fraction of the larger magnitude.
  public var relative: Double
  /// Allowed difference near zero.
  public var absolute: Double

  /// Defaults are tight (1e-6 relative, 1e-9 absolute): `0.33` does not match `1/3`, while
  /// `0.75` matches `3/4` and `1,234.0` matches `1234`.
  public init(relative: Double = 1e-6, absolute: Double = 1e-9) {
    self.relative = relative
    self.absolute = absolute
  }

  /// Whether `a` and `b` agree within the tolerance.
  public func accepts(_ a: Double, _ b: Double) -> Bool {
    guard a.isFinite, b.isFinite else { return a == b }
    return abs(a - b) <= max(absolute, relative * max(abs(a), abs(b)))
  }
}
