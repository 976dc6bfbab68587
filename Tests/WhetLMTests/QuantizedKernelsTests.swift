import CKernels
import Foundation
import TestSupport
import Testing
import WhetTensor

@testable import WhetLM

/// Every kernel path this CPU runs against the portable C path, on random and adversarial
/// inputs. (On a CPU without AVX-512 the VNNI path is not run; `WHET_KERNELS` forces the path
/// of the rest of the suite.)
@Suite struct QuantizedKernelsTests {
  /// Activation blocks that stress the quantizer: zeros, denormals, tiny, huge, mixed signs,
  /// exact ties at .5, and non-finite values.
  static func adversarialActivations(blocks: Int, seed: UInt64) -> [Float] {
    var rng = SeededGenerator(seed: seed)
    var x = [Float](repeating: 0, count: blocks * 32)
    for blk in 0..<blocks {
      for j in 0..<32 {
        let u = Float(rng.nextUniform()) * 2 - 1
        let v: Float
        switch blk % 8 {
        case 0: v = 0
        case 1: v = u * 1e-40  // denormal
        case 2: v = u * 1e-31  // below the zero-scale threshold
        case 3: v = u * 1e30
        case 4: v = j == 0 ? 32767 : Float(j % 5) - 2.5  // ties at .5 after scaling by 1
        case 5: v = j == 7 ? .nan : u
        case 6: v = j == 3 ? -.infinity : u * 3e38
        default: v = u * 10
        }
        x[blk * 32 + j] = v
      }
    }
    return x
  }

  static func quantize(_ x: [Float], path: CPUKernels.Path) -> ([Int16], [Float], [Float]) {
    let a = QuantizedActivations(Tensor(shape: [x.count], scalars: x), path: path)
    return (a.values, a.scales, a.sums)
  }

  @Test func quantizationIsIdenticalOnEveryPathAndFollowsItsDefinition() {
    let x = Self.adversarialActivations(blocks: 24, seed: 3)
    let (q0, d0, s0) = Self.quantize(x, path: .portable)
    for path in CPUKernels.supported {
      let (q, d, s) = Self.quantize(x, path: path)
      #expect(q == q0, "\(path)")
      #expect(d.map(\.bitPattern) == d0.map(\.bitPattern), "\(path)")
      #expect(s.map(\.bitPattern) == s0.map(\.bitPattern), "\(path)")
    }
    for blk in 0..<24 {
      let block = Array(x[(blk * 32)..<(blk * 32 + 32)])
      let amax = block.map(\.magnitude).max()!
      if block.contains(where: { !$0.isFinite }) {
        #expect(d0[blk].isNaN)
        continue
      }
      if amax < 1e-30 {
        #expect(d0[blk] == 0 && q0[(blk * 32)..<(blk * 32 + 32)].allSatisfy { $0 == 0 })
        continue
      }
      #expect(d0[blk] == amax / 32767)
      let inverse = 1 / d0[blk]
      for j in 0..<32 {
        #expect(Int(q0[blk * 32 + j]) == Int((block[j] * inverse).rounded(.toNearestOrEven)))
      }
      let exact = block.reduce(0.0) { $0 + Double($1) }
      #expect(abs(Double(s0[blk]) - exact) <= 1e-5 * block.reduce(0.0) { $0 + Double(abs($1)) })
    }
  }

  /// Products on every path equal the portable path's for odd sizes (rows, blocks and inputs
  /// not multiples of the vector widths), both formats, adversarial weights and activations.
  @Test(arguments: [PackedMatrix.Format.nibble, .byte])
  func everyPathAgreesWithThePortablePath(format: PackedMatrix.Format) {
    var rng = SeededGenerator(seed: 9)
    for (rows, blocks, n) in [(1, 1, 1), (7, 3, 5), (9, 7, 9), (64, 18, 4), (3, 2, 13)] {
      let m = PackedMatrix(format: format, rows: rows, columns: blocks * 32)
      for i in 0..<(rows * blocks * m.bytesPerBlock) {
        m.weights[i] = UInt8(truncatingIfNeeded: rng.next())
      }
      for i in 0..<(rows * blocks) {
        let kind = i % 5
        m.scales[i] =
          kind == 0 ? 1e-40 : kind == 1 ? 6e4 : Float(rng.nextUniform()) * 0.1
        m.offsets[i] = format == .nibble ? Float(rng.nextUniform()) - 0.5 : 0
      }
      let x = Tensor(
        shape: [n, blocks * 32], scalars: Self.adversarialActivations(blocks: n * blocks, seed: 5))
      let portable = m.multiply(x, path: .portable).scalars
      let bound = Self.magnitudeBound(m, x)
      for path in CPUKernels.supported where path != .portable {
        let got = m.multiply(x, path: path).scalars
        for (i, (a, b)) in zip(got, portable).enumerated() {
          if b.isNaN || a.isNaN {
            #expect(a.isNaN == b.isNaN, "\(path) \(rows)×\(blocks) n=\(n)")
          } else if b.isInfinite || a.isInfinite {
            // Only a sum near the top of the float range may overflow in one order only.
            #expect(a == b || bound[i] > 1e37, "\(path) \(rows)×\(blocks) n=\(n)")
          } else {
            // Summation order differs: relative to the sum of the terms' magnitudes.
            #expect(
              Double(abs(a - b)) <= 1e-5 * max(bound[i], 1), "\(path) \(rows)×\(blocks) n=\(n)")
          }
        }
      }
    }
  }

  /// Σ over blocks of |d_w·d_x·Σ_j q_w·q_x| + |m_w·Σx| for each output `[n, rows]`, in Double.
  static func magnitudeBound(_ m: PackedMatrix, _ x: Tensor) -> [Double] {
    let a = QuantizedActivations(x, path: .portable)
    let n = x.rowCount, blocks = m.blocksPerRow
    var bound = [Double](repeating: 0, count: n * m.rows)
    for b in 0..<n {
      for r in 0..<m.rows {
        var total = 0.0
        for blk in 0..<blocks {
          let w = m.weights + (r * blocks + blk) * m.bytesPerBlock
          var s = 0
          for j in 0..<32 {
            let q =
              m.format == .nibble
              ? Int(j < 16 ? w[j] & 15 : w[j - 16] >> 4) : Int(Int8(bitPattern: w[j]))
            s += abs(q * Int(a.values[(b * blocks + blk) * 32 + j]))
          }
          let rb = r * blocks + blk, bb = b * blocks + blk
          total += abs(Double(m.scales[rb]) * Double(a.scales[bb])) * Double(s)
          total += abs(Double(m.offsets[rb]) * Double(a.sums[bb]))
        }
        bound[b * m.rows + r] = total
      }
    }
    return bound
  }

  /// The integer dot products do not overflow: the extreme int16 values against the extreme
  /// weight values, both formats.
  @Test(arguments: [PackedMatrix.Format.nibble, .byte])
  func extremeValuesDoNotSaturate(format: PackedMatrix.Format) {
    // Two blocks per row, so the paths that take blocks in pairs see the extremes too.
    let m = PackedMatrix(format: format, rows: 2, columns: 64)
    let rowBytes = 2 * m.bytesPerBlock
    for i in 0..<(2 * rowBytes) {
      m.weights[i] = format == .nibble ? 0xFF : (i < rowBytes ? 0x80 : 0x7F)  // 15, −128, 127
    }
    for i in 0..<4 { m.scales[i] = 1 }
    let x = Tensor(shape: [2, 64], scalars: (0..<128).map { $0 < 64 ? 1 : -1 })
    for path in CPUKernels.supported {
      let y = m.multiply(x, path: path).scalars
      // x quantizes to ±32767 with d = 1/32767: Σ q_w · 32767 · (1/32767) = 64 · q_w.
      let w0: Float = format == .nibble ? 15 : -128, w1: Float = format == .nibble ? 15 : 127
      #expect(abs(y[0] - 64 * w0) < 1e-3 && abs(y[1] - 64 * w1) < 1e-3, "\(path) \(y)")
      #expect(abs(y[2] + 64 * w0) < 1e-3 && abs(y[3] + 64 * w1) < 1e-3, "\(path) \(y)")
    }
  }

  /// What `WHET_KERNELS` may say: a supported path is taken, anything else is refused and the
  /// fastest supported path is used. (The value is passed in: tests never change the
  /// environment of a process whose other threads read it.)
  @Test func forcingAPathTakesItAndAnUnknownOneFallsBackToTheBest() {
    var refused: Int32 = 0
    let best = whet_kernels_best(nil, &refused)
    #expect(refused == 0)
    #expect(CPUKernels.Path(rawValue: best) == CPUKernels.supported.last)
    #expect(whet_kernels_best("no-such-path", &refused) == best && refused == 1)
    for path in CPUKernels.supported {
      #expect(whet_kernels_best(path.description, &refused) == path.rawValue && refused == 0)
    }
    for path in CPUKernels.Path.allCases where !path.isSupported {
      #expect(whet_kernels_best(path.description, &refused) == best && refused == 1)
    }
  }
}
