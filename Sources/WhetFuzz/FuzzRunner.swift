import Foundation

/// Runs a target over seeded mutants of its seed and counts what happened.
public struct FuzzReport: Sendable, CustomStringConvertible {
  public var target: String
  public var inputs: Int
  public var accepted: Int
  public var seconds: Double
  public var rejected: Int { inputs - accepted }

  public var description: String {
    target.padding(toLength: 15, withPad: " ", startingAt: 0)
      + String(
        format: "%8d inputs  %7d accepted  %7d rejected with an error  %6.1f s", inputs, accepted,
        rejected, seconds)
  }
}

public enum FuzzRunner {
  /// `iterations` mutants of `target.seed` (the seed itself first). Before each input, when
  /// `reproducer` is set, the input is written there, so a crash leaves it behind.
  public static func run(
    _ target: FuzzTarget, iterations: Int, seed: UInt64, reproducer: URL? = nil
  ) -> FuzzReport {
    var mutator = Mutator(seed: seed)
    let start = Date()
    var accepted = 0
    for i in 0..<iterations {
      let input = i == 0 ? target.seed : mutator.mutate(target.seed)
      if let reproducer { try? Data(input).write(to: reproducer) }
      if target.run(input) { accepted += 1 }
    }
    if let reproducer { try? FileManager.default.removeItem(at: reproducer) }
    return FuzzReport(
      target: target.name, inputs: iterations, accepted: accepted,
      seconds: Date().timeIntervalSince(start))
  }
}
