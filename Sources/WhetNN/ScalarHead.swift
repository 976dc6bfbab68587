import Foundation
import WhetTensor

/// A scalar head `r = w·h` on a decoder's final hidden state at one position per row: the
/// reward model of Ouyang et al. 2022 (arXiv 2203.02155) and the `score` layer of
/// transformers' `LlamaForSequenceClassification` (`[1, C]`, no bias), which is also how it is
/// saved: `score.weight` in a safetensors file.
public final class ScalarHead {
  /// `[1, C]`.
  public let weight: Variable

  public init(weight: Tensor) {
    self.weight = Variable(weight)
  }

  /// PyTorch's default `nn.Linear` init, `U(−1/√C, 1/√C)`, from a seeded generator.
  public convenience init(hiddenSize c: Int, rng: inout SeededGenerator) {
    self.init(
      weight: randomParameter(shape: [1, c], role: .linearWeight(inputSize: c), using: &rng))
  }

  /// The head in `url` (`score.weight`, `[1, C]` or `[C]`), checked against `hiddenSize`.
  public convenience init(contentsOf url: URL, hiddenSize c: Int) throws {
    let file = try SafetensorsFile(contentsOf: url)
    guard file.entries["score.weight"] != nil else {
      throw ScalarHeadError.invalid(file: url.path, reason: "no tensor 'score.weight'")
    }
    if let extra = file.names.first(where: { $0 != "score.weight" }) {
      throw ScalarHeadError.invalid(
        file: url.path, reason: "unexpected tensor '\(extra)' (only score.weight is read)")
    }
    let w = try file.tensor("score.weight")
    guard w.count == c, w.shape == [1, c] || w.shape == [c] else {
      throw ScalarHeadError.invalid(
        file: url.path, reason: "score.weight has shape \(w.shape), expected [1, \(c)]")
    }
    guard w.scalars.allSatisfy(\.isFinite) else {
      throw ScalarHeadError.invalid(file: url.path, reason: "score.weight is not finite")
    }
    self.init(weight: w.reshaped([1, c]))
  }

  public var namedParameters: [(name: String, variable: Variable)] { [("score.weight", weight)] }

  /// Writes `score.weight` atomically.
  public func save(to url: URL) throws {
    try SafetensorsFile.write([("score.weight", weight.value)], to: url)
  }

  /// `[B]` scores of `hidden` `[B·T, C]` (rows of width `T`) at position `positions[b]` of
  /// each row.
  public func callAsFunction(_ hidden: Variable, width: Int, positions: [Int]) -> Variable {
    let c = weight.value.count
    var indices: [Int] = []
    indices.reserveCapacity(positions.count * c)
    for (b, t) in positions.enumerated() {
      let row = (b * width + t) * c
      indices += row..<(row + c)
    }
    let last = reshape(gather(hidden, indices), [positions.count, c])
    return reshape(matmul(last, weight, transposeB: true), [positions.count])
  }
}

/// A head file that cannot be used.
public enum ScalarHeadError: Error, CustomStringConvertible {
  case invalid(file: String, reason: String)

  public var description: String {
    switch self {
    case .invalid(let file, let reason): return "\(file): \(reason)"
    }
  }
}
