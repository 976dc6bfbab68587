/// Keeps label-free methods label-free.
///
/// Weaver, majority vote and label-model rewards claim to combine verifiers that never see
/// the answer; a source that reads the ground-truth column (`math` reads `answer`) would let
/// the label in through the back door. Every ``RewardSource`` declares
/// ``RewardSource/columnsRead``; this check refuses any that reads a label column unless the
/// caller opts in.
public enum LabelFreeCheck {
  /// The ground-truth columns of the data formats whet reads.
  public static let defaultLabelColumns: Set<String> = ["answer"]

  /// Throws ``WeaverError/readsLabels(method:sources:)`` when a source reads a label column,
  /// unless `allowLabels`.
  ///
  /// - Parameters:
  ///   - sources: each source's name and the columns it reads.
  ///   - method: the label-free method, for the message (`weaver`, `majority`).
  public static func check(
    _ sources: [(name: String, columnsRead: Set<String>)], method: String,
    labelColumns: Set<String> = defaultLabelColumns, allowLabels: Bool = false
  ) throws(WeaverError) {
    guard !allowLabels else { return }
    var offending: [String: [String]] = [:]
    for source in sources {
      let read = source.columnsRead.intersection(labelColumns)
      if !read.isEmpty { offending[source.name] = read.sorted() }
    }
    if !offending.isEmpty { throw .readsLabels(method: method, sources: offending) }
  }

  /// ``check(_:method:labelColumns:allowLabels:)`` on reward sources.
  public static func check(
    _ sources: [any RewardSource], method: String,
    labelColumns: Set<String> = defaultLabelColumns, allowLabels: Bool = false
  ) throws(WeaverError) {
    try check(
      sources.map { ($0.name, $0.columnsRead) }, method: method, labelColumns: labelColumns,
      allowLabels: allowLabels)
  }
}
