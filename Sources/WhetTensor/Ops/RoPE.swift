import Foundation

/// Rotary position embedding (Su et al. 2021, "RoFormer"), in the "rotate half" layout that
/// Hugging Face Llama uses: within each head, dimension `i` pairs with `i + rotaryDim/2`.

/// Cosines and sines of `position · θ^(−2i/rotaryDim)`, `[positions.count, rotaryDim/2]` each.
///
/// Computed in Float32 exactly as transformers does (`inv_freq` by a float `pow`, then a
/// float product), so logits agree with the reference to the last bits we can check.
public struct RotaryTable: Sendable {
  public let cos: [Float]
  public let sin: [Float]
  public let half: Int

  public init(positions: [Int], rotaryDimension: Int, theta: Float) {
    precondition(rotaryDimension % 2 == 0, "rotary dimension must be even")
    let half = rotaryDimension / 2
    self.init(
      positions: positions,
      frequencies: RotaryFrequencies(
        inverse: (0..<half).map { i in
          1 / Foundation.pow(theta, Float(2 * i) / Float(rotaryDimension))
        }))
  }

  /// The table for given inverse frequencies; cos and sin are multiplied by
  /// `frequencies.attentionFactor` (YaRN), as transformers does.
  public init(positions: [Int], frequencies: RotaryFrequencies) {
    let invFreq = frequencies.inverse
    half = invFreq.count
    let scale = frequencies.attentionFactor
    var c = [Float](repeating: 0, count: positions.count * half)
    var s = c
    for (p, pos) in positions.enumerated() {
      for i in 0..<half {
        let angle = Float(pos) * invFreq[i]
        c[p * half + i] = Foundation.cos(angle) * scale
        s[p * half + i] = Foundation.sin(angle) * scale
      }
    }
    cos = c
    sin = s
  }
}

/// Inverse rotary frequencies `[rotaryDim/2]` and the factor cos and sin are scaled by.
public struct RotaryFrequencies: Sendable, Equatable {
  public var inverse: [Float]
  public var attentionFactor: Float

  public init(inverse: [Float], attentionFactor: Float = 1) {
    self.inverse = inverse
    self.attentionFactor = attentionFactor
  }
}

extension Tensor {
  /// Rotates `x` `[N, heads·D]` in place of a copy; row `n` uses table row `n`.
  /// `inverse` rotates by the negative angle (the backward of the forward rotation).
  public static func rope(_ x: Tensor, heads: Int, table: RotaryTable, inverse: Bool = false)
    -> Tensor
  {
    let width = x.lastDimension, rows = x.rowCount
    precondition(width % heads == 0, "rope: width \(width) not divisible by \(heads) heads")
    let d = width / heads, half = table.half
    precondition(2 * half <= d, "rope: rotary dimension \(2 * half) exceeds head dim \(d)")
    precondition(table.cos.count == rows * half, "rope: table has wrong number of positions")
    let sign: Float = inverse ? -1 : 1
    var out = x
    out.withUnsafeMutableBufferPointer { po in
      table.cos.withUnsafeBufferPointer { pc in
        table.sin.withUnsafeBufferPointer { ps in
          parallelFor(rows, minimumPerTask: 8) { r in
            for n in r {
              for h in 0..<heads {
                let base = po.baseAddress! + n * width + h * d
                for i in 0..<half {
                  let c = pc[n * half + i], s = sign * ps[n * half + i]
                  let x1 = base[i], x2 = base[i + half]
                  base[i] = x1 * c - x2 * s
                  base[i + half] = x2 * c + x1 * s
                }
              }
            }
          }
        }
      }
    }
    return out
  }
}

/// RoPE on `x` `[B, T, heads·D]` (or `[N, heads·D]`) with one table row per token.
/// Backward: a rotation is orthogonal, so the gradient is rotated by the negative angle.
public func rope(_ x: Variable, heads: Int, table: RotaryTable) -> Variable {
  let out = Tensor.rope(x.value, heads: heads, table: table)
  return Variable.result(out, inputs: [x]) { g in
    x.accumulateGradient(Tensor.rope(g, heads: heads, table: table, inverse: true))
  }
}
