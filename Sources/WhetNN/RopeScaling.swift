import Foundation
import WhetTensor

/// How rotary frequencies are scaled for longer contexts: the variants that current models
/// use, computed as transformers' `ROPE_INIT_FUNCTIONS` do (`modeling_rope_utils.py`), in
/// Float32 where it computes in Float32.
public enum RopeScaling: Codable, Sendable, Equatable {
  /// Plain RoPE, `θ^(−2i/d)` (Su et al. 2021).
  case none
  /// Position interpolation: every frequency divided by `factor` (Chen et al. 2023).
  case linear(factor: Double)
  /// Dynamic NTK: past `originalContext` positions, the base grows to
  /// `θ·(factor·L/originalContext − (factor − 1))^(d/(d−2))` for a sequence of length `L`.
  case dynamic(factor: Double, originalContext: Int)
  /// Llama 3.1: low frequencies (wavelength > `originalContext / lowFrequencyFactor`) divided
  /// by `factor`, high ones kept, the band between smoothly interpolated.
  case llama3(
    factor: Double, lowFrequencyFactor: Double, highFrequencyFactor: Double, originalContext: Int)
  /// YaRN (Peng et al. 2023): per-dimension blend of interpolated and extrapolated frequencies
  /// by a linear ramp between the correction dimensions of `betaFast` and `betaSlow`
  /// rotations, with cos/sin scaled by `attentionFactor`.
  case yarn(
    factor: Double, originalContext: Int, betaFast: Double, betaSlow: Double,
    attentionFactor: Double, truncate: Bool)
  /// Frequencies given outright as divisors, one per rotary pair (GGUF's `rope_freqs.weight`,
  /// which llama.cpp's converter writes for Llama 3.1 scaling): `θ^(−2i/d) / divisors[i]`.
  case divisors([Float])

  /// Inverse frequencies `[d/2]` and the cos/sin scale for a sequence of `sequenceLength`
  /// positions (only ``dynamic(factor:originalContext:)`` depends on it).
  public func frequencies(theta: Float, dimension d: Int, sequenceLength: Int) -> RotaryFrequencies
  {
    let half = d / 2
    func plain(_ base: Float) -> [Float] {
      (0..<half).map { i in 1 / Foundation.pow(base, Float(2 * i) / Float(d)) }
    }
    switch self {
    case .none:
      return RotaryFrequencies(inverse: plain(theta))
    case .linear(let factor):
      return RotaryFrequencies(inverse: plain(theta).map { $0 / Float(factor) })
    case .dynamic(let factor, let original):
      let length = Double(max(sequenceLength, original))
      let base =
        Double(theta)
        * Foundation.pow(
          factor * length / Double(original) - (factor - 1), Double(d) / Double(d - 2))
      return RotaryFrequencies(inverse: plain(Float(base)))
    case .llama3(let factor, let low, let high, let original):
      let lowWavelength = Double(original) / low, highWavelength = Double(original) / high
      let inverse = plain(theta).map { f -> Float in
        let wavelength = 2 * Float.pi / f
        let divided = Double(wavelength) > lowWavelength ? f / Float(factor) : f
        guard Double(wavelength) <= lowWavelength, Double(wavelength) >= highWavelength else {
          return divided
        }
        let smooth = Float((Double(original) / Double(wavelength) - low) / (high - low))
        return (1 - smooth) * divided / Float(factor) + smooth * divided
      }
      return RotaryFrequencies(inverse: inverse)
    case .yarn(let factor, let original, let betaFast, let betaSlow, let attention, let truncate):
      func correctionDimension(_ rotations: Double) -> Double {
        Double(d) * Foundation.log(Double(original) / (rotations * 2 * Double.pi))
          / (2 * Foundation.log(Double(theta)))
      }
      var low = correctionDimension(betaFast), high = correctionDimension(betaSlow)
      if truncate {
        low = low.rounded(.down)
        high = high.rounded(.up)
      }
      low = max(low, 0)
      high = min(high, Double(d - 1))
      if low == high { high += 0.001 }
      let positionFrequencies = (0..<half).map { i in
        Foundation.pow(theta, Float(2 * i) / Float(d))
      }
      let inverse = (0..<half).map { i -> Float in
        let ramp = Float(min(max((Double(i) - low) / (high - low), 0), 1))
        let extrapolationShare = 1 - ramp
        let extrapolated = 1 / positionFrequencies[i]
        let interpolated = 1 / (Float(factor) * positionFrequencies[i])
        return interpolated * (1 - extrapolationShare) + extrapolated * extrapolationShare
      }
      return RotaryFrequencies(inverse: inverse, attentionFactor: Float(attention))
    case .divisors(let divisors):
      return RotaryFrequencies(inverse: zip(plain(theta), divisors).map { $0 / $1 })
    }
  }

  /// YaRN's default attention factor: `0.1·ln(factor) + 1` (or the ratio of the two `mscale`
  /// terms when both are given), 1 for `factor` ≤ 1.
  public static func yarnAttentionFactor(factor: Double, mscale: Double?, mscaleAllDim: Double?)
    -> Double
  {
    func scale(_ m: Double) -> Double { factor <= 1 ? 1 : 0.1 * m * Foundation.log(factor) + 1 }
    if let mscale, let mscaleAllDim, mscale != 0, mscaleAllDim != 0 {
      return scale(mscale) / scale(mscaleAllDim)
    }
    return scale(1)
  }
}
