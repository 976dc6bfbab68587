import Foundation

/// A deterministic pseudo-random generator (xoshiro256**, seeded through SplitMix64).
///
/// Every random choice in Whetstone takes one of these explicitly, and its whole state can
/// be saved in a checkpoint and restored, so a resumed run draws the same numbers.
public struct SeededGenerator: RandomNumberGenerator, Sendable, Equatable {
  public var state: (UInt64, UInt64, UInt64, UInt64)

  public init(seed: UInt64) {
    var s = seed
    func splitMix() -> UInt64 {
      s &+= 0x9E37_79B9_7F4A_7C15
      var z = s
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
    state = (splitMix(), splitMix(), splitMix(), splitMix())
  }

  /// Restores a generator from a saved ``stateWords`` value.
  public init(stateWords: [UInt64]) {
    precondition(stateWords.count == 4, "generator state has 4 words")
    state = (stateWords[0], stateWords[1], stateWords[2], stateWords[3])
  }

  public var stateWords: [UInt64] { [state.0, state.1, state.2, state.3] }

  public static func == (a: SeededGenerator, b: SeededGenerator) -> Bool {
    a.stateWords == b.stateWords
  }

  @inlinable static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

  public mutating func next() -> UInt64 {
    let result = SeededGenerator.rotl(state.1 &* 5, 7) &* 9
    let t = state.1 << 17
    state.2 ^= state.0
    state.3 ^= state.1
    state.1 ^= state.2
    state.0 ^= state.3
    state.2 ^= t
    state.3 = SeededGenerator.rotl(state.3, 45)
    return result
  }

  /// Uniform in [0, 1) with 24 random bits.
  public mutating func nextUniform() -> Float { Float(next() >> 40) * (1.0 / 16_777_216.0) }

  /// Uniform in [0, 1) with 53 random bits.
  public mutating func nextUniformDouble() -> Double {
    Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
  }

  /// Standard normal sample (Box–Muller, one value per call).
  public mutating func nextNormal() -> Float {
    let u1 = max(nextUniformDouble(), 1e-300)
    let u2 = nextUniformDouble()
    return Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
  }
}
