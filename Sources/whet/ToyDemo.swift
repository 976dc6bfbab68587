import ArgumentParser
import Foundation
import WhetNN
import WhetTensor

/// `whet demo-toy`: trains a small decoder from scratch to reverse digit strings, printing the
/// falling loss and a few answers, to show the numeric core learning end to end.
struct ToyDemo: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "demo-toy",
    abstract:
      "Train a small transformer from scratch to reverse digit strings (a training smoke test).")

  @Option(help: "Optimizer steps.") var steps = 1500
  @Option(help: "Sequences per step.") var batchSize = 32
  @Option(help: "Peak learning rate (AdamW, warm-up then cosine decay).") var learningRate: Float =
    3e-3
  @Option(help: "Seed for initialisation and data.") var seed: UInt64 = 1

  func validate() throws {
    guard steps > 0, batchSize > 0 else {
      throw ValidationError("--steps and --batch-size must be positive")
    }
    guard learningRate > 0, learningRate.isFinite else {
      throw ValidationError("--learning-rate must be positive")
    }
  }

  func run() throws {
    let task = DigitReversal()
    var rng = SeededGenerator(seed: seed)
    let config = TransformerConfiguration(
      vocabularySize: DigitReversal.vocabularySize, hiddenSize: 64, layerCount: 2, heads: 4,
      kvHeads: 2, intermediateSize: 128, ropeTheta: 10_000)
    let model = TransformerDecoder(config, rng: &rng)
    let optimizer = AdamW(weightDecay: 0.01)
    let schedule = LearningRateSchedule.cosine(warmupSteps: steps / 20, totalSteps: steps)
    print(
      "Training a \(model.parameterCount)-parameter decoder to reverse digit strings (\(steps) steps × \(batchSize))."
    )
    let start = Date()
    var window: [Float] = []
    for step in 0..<steps {
      let batch = task.batch(size: batchSize, using: &rng)
      let report = try trainingStep(
        parameters: model.parameters, optimizer: optimizer,
        learningRate: schedule.learningRate(base: learningRate, atStep: step), maxGradientNorm: 1,
        microBatches: [
          {
            languageModelLoss(model, tokens: batch.tokens, targets: batch.targets, batch: batchSize)
          }
        ])
      window.append(report.loss)
      if (step + 1) % max(1, steps / 20) == 0 || step == 0 {
        let mean = window.reduce(0, +) / Float(window.count)
        let bar = String(repeating: "█", count: max(0, min(40, Int(mean * 12))))
        print(
          String(
            format: "step %4d  loss %.4f  lr %.2e  %@", step + 1, mean, report.learningRate, bar))
        window.removeAll()
      }
    }
    let seconds = Date().timeIntervalSince(start)
    var evalRNG = SeededGenerator(seed: seed &+ 1_000)
    var correct = 0
    let shown = 6, evaluated = 100
    print("\nHeld-out strings (greedy decoding):")
    for i in 0..<evaluated {
      let digits = task.randomDigits(using: &evalRNG)
      let answer = task.reverse(model: model, digits: digits)
      let ok = answer == Array(digits.reversed())
      if ok { correct += 1 }
      if i < shown {
        print(
          "  \(digits.map(String.init).joined()) → \(answer.map(String.init).joined())  \(ok ? "✓" : "✗")"
        )
      }
    }
    print(
      String(
        format: "\nExact-match accuracy on %d held-out strings: %d%%  (training took %.1f s)",
        evaluated, correct * 100 / evaluated, seconds))
  }
}

/// The synthetic task: `d₁ … dₙ SEP dₙ … d₁ EOS`, with the loss on the reversed half only.
struct DigitReversal {
  static let separator = 10, end = 11, padding = 12
  static let vocabularySize = 13
  let minLength = 3, maxLength = 8
  var sequenceLength: Int { 2 * maxLength + 2 }

  func randomDigits(using rng: inout SeededGenerator) -> [Int] {
    let n = minLength + Int(rng.next() % UInt64(maxLength - minLength + 1))
    return (0..<n).map { _ in Int(rng.next() % 10) }
  }

  /// Right-padded rows; targets are −1 except where the next token is part of the answer.
  func batch(size: Int, using rng: inout SeededGenerator) -> (tokens: [Int], targets: [Int]) {
    var tokens: [Int] = [], targets: [Int] = []
    for _ in 0..<size {
      let d = randomDigits(using: &rng)
      var row = d + [Self.separator] + d.reversed() + [Self.end]
      let answerStart = d.count  // the SEP position predicts the first reversed digit
      var rowTargets = (0..<row.count).map { i in
        i >= answerStart && i + 1 < row.count ? row[i + 1] : -1
      }
      row += Array(repeating: Self.padding, count: sequenceLength - row.count)
      rowTargets += Array(repeating: -1, count: sequenceLength - rowTargets.count)
      tokens += row
      targets += rowTargets
    }
    return (tokens, targets)
  }

  /// Greedy decoding until EOS (recomputing the prefix each step; the KV cache comes later).
  func reverse(model: TransformerDecoder, digits: [Int]) -> [Int] {
    var sequence = digits + [Self.separator]
    var answer: [Int] = []
    for _ in 0...maxLength {
      let logits = model.lastPositionLogits(tokens: sequence, batch: 1).scalars
      let next = logits.indices.max { logits[$0] < logits[$1] }!
      if next == Self.end { break }
      answer.append(next)
      sequence.append(next)
    }
    return answer
  }
}
