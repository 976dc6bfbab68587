/// A reward source that judges each item on its own, synchronously and without I/O: the
/// rule-based verifiers. Conformers implement ``verify(_:)``; batch scoring maps over it.
public protocol ItemVerifier: RewardSource {
  /// The verdict on one item.
  func verify(_ item: ScoringItem) -> Score
}

extension ItemVerifier {
  /// One ``verify(_:)`` per item, in order.
  public func score(_ items: [ScoringItem]) async throws -> [Score] { items.map(verify) }
}
