import Foundation
import Testing
import WhetTensor

/// The vectorised exp and SwiGLU (CKernels `vexp.c`) on every path this CPU runs, against
/// `exp` in Double rounded to Float, and each vector path against the portable one.
@Suite struct VectorMathTests {
  /// Distance in representable floats (0 for equal values, 1 for neighbours, across ±0).
  static func ulps(_ a: Float, _ b: Float) -> Int {
    func ordered(_ f: Float) -> Int {
      let bits = Int(Int32(bitPattern: f.bitPattern))
      return bits < 0 ? -(bits & 0x7FFF_FFFF) : bits
    }
    return abs(ordered(a) - ordered(b))
  }

  /// Inputs where an exp goes wrong: zeros, subnormal inputs, the edges of the float range
  /// (subnormal results, overflow), half-way points of the range reduction, infinities.
  static let adversarial: [Float] = [
    0, -0, 1e-45, -1e-45, 1e-40, -1e-38, 1, -1, 0.346_573_6, -0.346_573_6, 0.346_573_57,
    10.397_208, -10.397_208, 20, -20, 60, -60, 87.33, -87.33, -87.34, -87.5, -100, -103.9,
    -103.97, -104, -104.5, -150, 88.7, 88.72, 88.722_83, 88.73, 89, 100, -3.4e38, 3.4e38,
    .infinity, -.infinity, .leastNormalMagnitude, -.leastNormalMagnitude,
  ]

  static func inputs(_ count: Int, seed: UInt64) -> [Float] {
    var rng = SeededGenerator(seed: seed)
    var x = adversarial
    while x.count < count {
      let u = rng.nextUniform()
      x.append(x.count % 3 == 0 ? (u - 0.5) * 1e-3 : -110 + 205 * u)
    }
    return x
  }

  static func exp(_ x: [Float], shift: Float = 0, scale: Float = 1, path: CPUKernels.Path)
    -> (values: [Float], sum: Float)
  {
    var out = [Float](repeating: .nan, count: x.count)
    let sum = x.withUnsafeBufferPointer { px in
      out.withUnsafeMutableBufferPointer { po in
        expSum(
          px.baseAddress!, shift: shift, scale: scale, into: po.baseAddress!, count: x.count,
          path: path)
      }
    }
    return (out, sum)
  }

  @Test func expIsWithinOneUlpOfTheCorrectlyRoundedValue() {
    let x = Self.inputs(4099, seed: 11)
    for path in CPUKernels.supported {
      let (y, _) = Self.exp(x, path: path)
      var worst = 0
      for i in x.indices {
        let expected = Float(Foundation.exp(Double(x[i])))
        worst = max(worst, Self.ulps(y[i], expected))
      }
      #expect(worst <= 1, "\(path): worst \(worst) ulp")
      #expect(Self.exp([.nan, 1, .nan], path: path).values.map(\.isNaN) == [true, false, true])
    }
  }

  @Test func shiftedScaledExpAndItsSum() {
    let x = Self.inputs(1001, seed: 12).filter { abs($0) <= 150 }.map { $0 * 0.1 }
    let shift: Float = 3.25, scale: Float = 1 / 0.7
    for path in CPUKernels.supported {
      let (y, sum) = Self.exp(x, shift: shift, scale: scale, path: path)
      var total = 0.0
      for i in x.indices {
        let argument = scale * (x[i] - shift)  // in Float, as the kernel computes it
        let expected = Foundation.exp(Double(argument))
        #expect(Self.ulps(y[i], Float(expected)) <= 1, "\(path) x=\(x[i])")
        total += expected
      }
      #expect(abs(Double(sum) - total) <= 1e-5 * total, "\(path): \(sum) vs \(total)")
      // The sum alone (no output), and in place, is the same arithmetic.
      let alone = x.withUnsafeBufferPointer {
        expSum($0.baseAddress!, shift: shift, scale: scale, into: nil, count: x.count, path: path)
      }
      #expect(alone == sum)
      var inPlace = x
      let inPlaceSum = inPlace.withUnsafeMutableBufferPointer {
        expSum(
          $0.baseAddress!, shift: shift, scale: scale, into: $0.baseAddress!, count: x.count,
          path: path)
      }
      #expect(inPlace == y && inPlaceSum == sum)
    }
  }

  /// Every length from 0 to 40 (tails that fill no whole vector), against the portable path;
  /// nothing past the end is written.
  @Test func oddLengthsAgreeWithThePortablePathAndStayInBounds() {
    let x = Self.inputs(48, seed: 13).filter { abs($0) <= 150 }.map { $0 * 0.2 }
    for n in 0...40 {
      let reference = Self.exp(Array(x.prefix(n)), path: .portable)
      for path in CPUKernels.supported {
        var out = [Float](repeating: 42, count: n + 16)
        let sum = x.withUnsafeBufferPointer { px in
          out.withUnsafeMutableBufferPointer { po in
            expSum(px.baseAddress!, shift: 0.5, into: po.baseAddress!, count: n, path: path)
          }
        }
        let expected = Self.exp(Array(x.prefix(n)).map { $0 - 0.5 }, path: .portable)
        for i in 0..<n { #expect(Self.ulps(out[i], expected.values[i]) <= 1, "\(path) n=\(n)") }
        #expect(out[n...].allSatisfy { $0 == 42 }, "\(path) wrote past \(n)")
        #expect(abs(sum - expected.sum) <= 1e-5 * max(1, expected.sum), "\(path) n=\(n)")
      }
      #expect(reference.values.count == n)
    }
  }

  static func swigluReference(_ g: Float, _ u: Float) -> (value: Double, dGate: Double, dUp: Double)
  {
    let gd = Double(g), s = 1 / (1 + Foundation.exp(-gd))
    let silu = gd.isInfinite && gd < 0 ? Double.nan : gd * s
    return (silu * Double(u), Double(u) * s * (1 + gd * (1 - s)), silu)
  }

  /// Within `relative` of `scale` (by default |b|), or within `absolute` (a subnormal σ keeps
  /// only a few bits: σ(−100) ≈ 3.7e−44 is 26 steps of 2^−149).
  static func close(
    _ a: Float, _ b: Double, relative: Double = 4e-7, scale: Double? = nil, absolute: Double
  ) -> Bool {
    if b.isNaN { return a.isNaN }
    if b.isInfinite { return Double(a) == b }
    return abs(Double(a) - b) <= relative * (scale ?? abs(b)) + absolute
  }

  @Test func swigluAndItsBackwardMatchDoublePrecision() {
    let gates: [Float] =
      [0, -0, 1e-40, -1e-40, 1, -1, 5, -5, 20, -20, 88, -88, 100, -100, 1e30, -1e30, .infinity]
      + Self.inputs(300, seed: 14).filter(\.isFinite).map { $0 * 0.15 }
    var rng = SeededGenerator(seed: 15)
    let ups = gates.map { _ in rng.nextNormal() }
    let grads = gates.map { _ in rng.nextNormal() }
    let n = gates.count
    for path in CPUKernels.supported {
      var out = [Float](repeating: 0, count: n), silu = out, dGate = out, dUp = out
      gates.withUnsafeBufferPointer { g in
        ups.withUnsafeBufferPointer { u in
          grads.withUnsafeBufferPointer { d in
            swiglu(gate: g.baseAddress!, up: u.baseAddress!, into: &out, count: n, path: path)
            swiglu(gate: g.baseAddress!, up: nil, into: &silu, count: n, path: path)
            swigluBackward(
              gate: g.baseAddress!, up: u.baseAddress!, grad: d.baseAddress!, dGate: &dGate,
              dUp: &dUp, count: n, path: path)
          }
        }
      }
      for i in 0..<n {
        let r = Self.swigluReference(gates[i], ups[i])
        let x = Double(gates[i]), u = Double(ups[i]), g = Double(grads[i])
        let tiny = 1e-42 * (1 + abs(x)) * (1 + abs(u)) * (1 + abs(g))
        #expect(Self.close(out[i], r.value, absolute: tiny), "\(path) gate \(x): \(out[i])")
        #expect(Self.close(silu[i], r.dUp, absolute: tiny), "\(path) silu(\(x))")
        #expect(Self.close(dUp[i], g * r.dUp, absolute: tiny), "\(path) dUp \(x)")
        // s(1 + x(1 − s)) cancels near x ≈ −1.28: compare against the size of its terms.
        let s = 1 / (1 + Foundation.exp(-x))
        let terms = abs(g * u) * s * (1 + abs(x) * (1 - s))
        #expect(
          Self.close(dGate[i], g * r.dGate, relative: 1e-6, scale: terms, absolute: tiny),
          "\(path) dGate \(x): \(dGate[i]) vs \(g * r.dGate)")
      }
    }
  }
}
