import WhetTensor

/// Draws for task generation from a ``SeededGenerator``, using only `next()` so the rows do not
/// depend on the standard library's (unspecified) `random(in:using:)` algorithm.
struct TaskRandom {
  var generator: SeededGenerator

  /// The generator for row `index` of a suite: each row depends only on (seed, suite, index),
  /// so the first k rows of `generate(n:)` are the same for every n ≥ k.
  init(seed: UInt64, salt: UInt64, index: Int) {
    generator = SeededGenerator(
      seed: seed ^ (salt &* 0xD6E8_FEB8_6659_FD93) ^ (UInt64(index) &* 0x9E37_79B9_7F4A_7C15))
  }

  /// Uniform in `range` (rejection sampling: no modulo bias).
  mutating func int(in range: ClosedRange<Int>) -> Int {
    let span = UInt64(range.upperBound - range.lowerBound) + 1
    let limit = UInt64.max - UInt64.max % span
    var x = generator.next()
    while x >= limit { x = generator.next() }
    return range.lowerBound + Int(x % span)
  }

  /// A uniformly chosen element of a non-empty array.
  mutating func pick<T>(_ items: [T]) -> T { items[int(in: 0...(items.count - 1))] }

  /// True with probability one half.
  mutating func coin() -> Bool { generator.next() & 1 == 1 }

  /// A Fisher–Yates shuffle.
  mutating func shuffled<T>(_ items: [T]) -> [T] {
    var out = items
    guard out.count > 1 else { return out }
    for i in stride(from: out.count - 1, to: 0, by: -1) { out.swapAt(i, int(in: 0...i)) }
    return out
  }
}
