import Foundation
import WhetTensor

/// Seeded byte-level mutations of a valid input, of the kinds that break file readers: bit
/// flips, boundary values written over length and offset fields, insertions, deletions,
/// duplicated ranges and truncation (the classic AFL/libFuzzer mutation set, Zalewski 2014).
public struct Mutator {
  var rng: SeededGenerator

  public init(seed: UInt64) { rng = SeededGenerator(seed: seed) }

  static let interesting64: [UInt64] = [
    0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0xFFFF, 0x7FFF_FFFF, 0xFFFF_FFFF, 0x8000_0000_0000_0000,
    0x7FFF_FFFF_FFFF_FFFF, 0xFFFF_FFFF_FFFF_FFFF, 1 << 40,
  ]

  /// One to four mutations of `input`.
  public mutating func mutate(_ input: [UInt8]) -> [UInt8] {
    var bytes = input
    for _ in 0..<Int.random(in: 1...4, using: &rng) {
      let n = bytes.count
      switch Int.random(in: 0..<7, using: &rng) {
      case 0 where n > 0:
        bytes[Int.random(in: 0..<n, using: &rng)] ^= UInt8(1 << Int.random(in: 0..<8, using: &rng))
      case 1 where n > 0:
        bytes[Int.random(in: 0..<n, using: &rng)] =
          [0, 0xFF, 0x7F, 0x80, 0x20, 0x22, 0x7B][
            Int.random(in: 0..<7, using: &rng)]
      case 2 where n >= 8:
        // A boundary integer over a field: little-endian 4 or 8 bytes.
        let width = Bool.random(using: &rng) ? 4 : 8
        let at = Int.random(in: 0...(n - width), using: &rng)
        let value = Self.interesting64.randomElement(using: &rng)!
        for k in 0..<width { bytes[at + k] = UInt8(truncatingIfNeeded: value >> (8 * k)) }
      case 3:
        let at = Int.random(in: 0...n, using: &rng)
        let count = Int.random(in: 1...16, using: &rng)
        bytes.insert(
          contentsOf: (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }, at: at)
      case 4 where n > 1:
        let start = Int.random(in: 0..<n, using: &rng)
        let end = min(n, start + Int.random(in: 1...64, using: &rng))
        bytes.removeSubrange(start..<end)
      case 5 where n > 1:
        let start = Int.random(in: 0..<n, using: &rng)
        let end = min(n, start + Int.random(in: 1...64, using: &rng))
        bytes.insert(contentsOf: bytes[start..<end], at: Int.random(in: 0...n, using: &rng))
      case 6 where n > 0:
        bytes.removeLast(Int.random(in: 1...max(1, n / 2), using: &rng))
      default:
        break
      }
    }
    return bytes
  }
}
