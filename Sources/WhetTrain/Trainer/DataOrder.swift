import WhetTensor

/// The order examples are visited in: a Fisher–Yates shuffle per epoch from a generator
/// seeded by the run's seed and the epoch, so any position can be recomputed on resume.
enum DataOrder {
  static func shuffled(count: Int, seed: UInt64, epoch: Int) -> [Int] {
    var rng = SeededGenerator(seed: seed &+ 0x9E37_79B9_7F4A_7C15 &* UInt64(epoch + 1))
    var order = Array(0..<count)
    for i in stride(from: order.count - 1, to: 0, by: -1) {
      let j = Int(rng.next() % UInt64(i + 1))
      order.swapAt(i, j)
    }
    return order
  }
}
