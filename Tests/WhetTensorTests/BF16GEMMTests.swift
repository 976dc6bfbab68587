import CKernels
import Foundation
import Testing
import WhetTensor

/// bf16 products (`gemm_bf16.c` on `vdpbf16ps`, and the rounding path for other CPUs) against
/// a Double product of the operands rounded to bf16 here, independently of the C code.
@Suite struct BF16GEMMTests {
  /// `x` rounded to bf16 (nearest, ties to even), subnormals to signed zero, as a Float.
  static func bf16(_ x: Float) -> Float {
    if x.isNaN { return x }
    if x.isSubnormal || x == 0 { return x.sign == .minus ? -0.0 : 0 }
    let bits = x.bitPattern
    let lower = bits & 0xFFFF, upper = bits & 0xFFFF_0000
    let roundUp = lower > 0x8000 || (lower == 0x8000 && (upper >> 16) & 1 == 1)
    return Float(bitPattern: roundUp ? upper &+ 0x1_0000 : upper)
  }

  /// Values with a few adversarial ones mixed in: subnormals, large magnitudes, exact ties.
  static func values(_ count: Int, seed: UInt64) -> [Float] {
    var rng = SeededGenerator(seed: seed)
    let special: [Float] = [
      1e-40, -1e-41, .leastNormalMagnitude, 1e18, -3e17, 1 + 1.0 / 256, 1 + 3.0 / 256, -0.0,
      Float(bitPattern: 0x3F80_8000), Float(bitPattern: 0x3F81_8000),
    ]
    return (0..<count).map { i in
      i % 17 == 5 ? special[(i / 17) % special.count] : (rng.nextUniform() - 0.5) * 4
    }
  }

  struct Case: CustomStringConvertible {
    var m, n, k: Int
    var transposeA, transposeB: Bool
    var pad = 0  // extra leading-dimension elements
    var alpha: Float = 1, beta: Float = 0
    var description: String {
      "\(m)x\(n)x\(k) tA \(transposeA) tB \(transposeB) pad \(pad) alpha \(alpha) beta \(beta)"
    }
  }

  static let cases: [Case] = [
    Case(m: 1, n: 1, k: 1, transposeA: false, transposeB: true),
    Case(m: 13, n: 33, k: 7, transposeA: false, transposeB: true),
    Case(m: 12, n: 32, k: 64, transposeA: false, transposeB: false),
    Case(m: 25, n: 65, k: 577, transposeA: true, transposeB: false, pad: 3),
    Case(m: 40, n: 17, k: 130, transposeA: true, transposeB: true, pad: 1, alpha: 2, beta: 0.5),
    Case(m: 7, n: 100, k: 33, transposeA: false, transposeB: true, pad: 5, beta: 1),
    Case(m: 130, n: 300, k: 576, transposeA: false, transposeB: true),
  ]

  /// Runs one case on the chosen path and checks every element against Double.
  static func check(_ c: Case, hardware: Bool) {
    let (ar, ac) = c.transposeA ? (c.k, c.m) : (c.m, c.k)
    let (br, bc) = c.transposeB ? (c.n, c.k) : (c.k, c.n)
    let lda = ac + c.pad, ldb = bc + c.pad, ldc = c.n + c.pad
    let a = values(ar * lda, seed: 1), b = values(br * ldb, seed: 2)
    let c0 = values(c.m * ldc, seed: 3)
    // beta == 0 must overwrite, whatever C held.
    var out = c.beta == 0 ? [Float](repeating: .nan, count: c0.count) : c0
    a.withUnsafeBufferPointer { pa in
      b.withUnsafeBufferPointer { pb in
        out.withUnsafeMutableBufferPointer { pc in
          BF16GEMM.product(
            transposeA: c.transposeA, transposeB: c.transposeB, m: c.m, n: c.n, k: c.k,
            alpha: c.alpha, a: pa.baseAddress!, lda: lda, b: pb.baseAddress!, ldb: ldb,
            beta: c.beta, c: pc.baseAddress!, ldc: ldc, hardware: hardware)
        }
      }
    }
    var worst = 0.0
    for i in 0..<c.m {
      for j in 0..<c.n {
        var sum = 0.0, magnitude = 0.0
        for p in 0..<c.k {
          let x = Double(bf16(c.transposeA ? a[p * lda + i] : a[i * lda + p]))
          let y = Double(bf16(c.transposeB ? b[j * ldb + p] : b[p * ldb + j]))
          sum += x * y
          magnitude += abs(x * y)
        }
        let expected = Double(c.alpha) * sum + Double(c.beta) * Double(c0[i * ldc + j])
        // fp32 accumulation: at most k roundings of partial sums bounded by Σ|x·y|.
        let bound =
          Double(c.k + 2) * 6e-8
          * (Double(abs(c.alpha)) * magnitude
            + abs(Double(c.beta) * Double(c0[i * ldc + j]))) + 1e-30
        let error = abs(Double(out[i * ldc + j]) - expected)
        worst = max(worst, error / bound)
      }
    }
    #expect(worst <= 1, "\(c): error \(worst) × the fp32 accumulation bound")
    // Padding between rows of C is untouched.
    if c.pad > 0, c.beta == 0 {
      #expect(out[c.n].isNaN, "\(c): wrote past the row")
    }
  }

  @Test(arguments: cases)
  func vdpbf16psMatchesDouble(_ c: Case) throws {
    try #require(MixedPrecision.hardwareBF16, "this CPU has no AVX-512 BF16")
    Self.check(c, hardware: true)
  }

  @Test(arguments: cases)
  func roundingPathMatchesDouble(_ c: Case) {
    Self.check(c, hardware: false)
  }

  /// The AVX-512 packing (`vcvtne2ps2bf16` and a register transpose) against the portable
  /// integer rounding, bit for bit, on random bit patterns (NaN, ±inf, subnormals included),
  /// both stride layouts, both panel widths and sizes that do not divide the panels.
  @Test func vectorPackingMatchesPortableBitForBit() throws {
    try #require(MixedPrecision.hardwareBF16, "this CPU has no AVX-512 BF16")
    var rng = SeededGenerator(seed: 9)
    for (rows, k) in [(1, 1), (17, 31), (37, 33), (64, 1000), (96, 576)] {
      let source = (0..<(rows * k)).map { _ in
        Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()))
      }
      for width in [Int(WHET_BF16_MR), Int(WHET_BF16_NR)] {
        for rowMajor in [true, false] {
          let words = whet_bf16_packed_words(Int32(rows), Int32(k), Int32(width))
          let panels = Int32((rows + width - 1) / width)
          let (rs, cs) = rowMajor ? (k, 1) : (1, rows)
          func pack(_ vectorised: Int32) -> [UInt32] {
            var out = [UInt32](repeating: 0xAAAA_AAAA, count: words)
            source.withUnsafeBufferPointer { ps in
              out.withUnsafeMutableBufferPointer { pd in
                whet_bf16_pack(
                  vectorised, ps.baseAddress!, rs, cs, Int32(rows), Int32(k), Int32(width), 0,
                  panels, pd.baseAddress!)
              }
            }
            return out
          }
          let portable = pack(0), vector = pack(1)
          #expect(portable == vector, "rows \(rows) k \(k) width \(width) rowMajor \(rowMajor)")
          // And the portable rounding is that of `bf16` above, word by word.
          let pairs = (k + 1) / 2
          for r in [0, rows - 1] {
            for q in [0, pairs - 1] {
              let word = portable[(r / width) * pairs * width + q * width + r % width]
              let low = source[rowMajor ? r * k + 2 * q : 2 * q * rows + r]
              let expected = Self.bf16(low).bitPattern >> 16
              #expect(low.isNaN || word & 0xFFFF == expected, "row \(r) pair \(q)")
            }
          }
        }
      }
    }
  }
}
