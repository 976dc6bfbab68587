import Synchronization

/// Live and peak bytes of every tensor and kernel workspace Whetstone allocates.
///
/// Counting our own allocations measures what an op needs, which the process's resident
/// size cannot: freed heap pages stay resident and hide new allocations. Two atomic
/// operations per allocation; nothing per element.
public enum AllocationStatistics {
  static let live = Atomic<Int>(0)
  static let peak = Atomic<Int>(0)

  /// Bytes currently allocated.
  public static var liveBytes: Int { live.load(ordering: .relaxed) }
  /// The most bytes allocated at once since the last ``resetPeak()``.
  public static var peakBytes: Int { peak.load(ordering: .relaxed) }
  /// Starts a new peak measurement from the current live size.
  public static func resetPeak() { peak.store(liveBytes, ordering: .relaxed) }

  @usableFromInline static func allocated(_ bytes: Int) {
    let now = live.add(bytes, ordering: .relaxed).newValue
    var seen = peak.load(ordering: .relaxed)
    while now > seen {
      let (exchanged, current) = peak.compareExchange(
        expected: seen, desired: now, ordering: .relaxed)
      if exchanged { break }
      seen = current
    }
  }

  @usableFromInline static func freed(_ bytes: Int) { live.subtract(bytes, ordering: .relaxed) }
}

/// Runs `body` with a temporary buffer of `count` floats (uninitialised), counted in
/// ``AllocationStatistics`` and freed when `body` returns.
@inlinable public func withWorkspace<R>(
  _ count: Int, _ body: (UnsafeMutablePointer<Float>) throws -> R
) rethrows -> R {
  let n = max(count, 1)
  let pointer = UnsafeMutablePointer<Float>.allocate(capacity: n)
  AllocationStatistics.allocated(n * MemoryLayout<Float>.stride)
  defer {
    pointer.deallocate()
    AllocationStatistics.freed(n * MemoryLayout<Float>.stride)
  }
  return try body(pointer)
}
