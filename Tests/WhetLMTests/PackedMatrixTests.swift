import Foundation
import TestSupport
import Testing
import WhetLM
import WhetNN
import WhetTensor

@Suite struct PackedMatrixTests {
  /// Random blocks of `type` with sane scales, `rows × columns`.
  static func randomBlocks(_ type: GGMLType, rows: Int, columns: Int, seed: UInt64) -> [UInt8] {
    var rng = SeededGenerator(seed: seed)
    let blocks = rows * columns / type.blockSize
    var bytes = (0..<(blocks * type.bytesPerBlock)).map { _ in UInt8(truncatingIfNeeded: rng.next())
    }
    let hasMin: Set<GGMLType> = [.q4_1, .q5_1, .q4_K, .q5_K]
    for b in 0..<blocks {
      let d = Float16(Float(rng.nextUniform()) * 0.1 + 0.01).bitPattern
      let m = Float16(Float(rng.nextUniform()) * (type.blockSize == 256 ? 0.02 : 1) - 0.5)
        .bitPattern
      let at = b * type.bytesPerBlock
      bytes[at] = UInt8(d & 0xFF)
      bytes[at + 1] = UInt8(d >> 8)
      if hasMin.contains(type) {
        bytes[at + 2] = UInt8(m & 0xFF)
        bytes[at + 3] = UInt8(m >> 8)
      }
    }
    return bytes
  }

  /// The dequantized weight (Float32 from ``Dequantize``), rows taken in `order`.
  static func dense(_ bytes: [UInt8], _ type: GGMLType, rows: Int, columns: Int, order: [Int])
    -> [Float]
  {
    var flat = [Float](repeating: 0, count: rows * columns)
    bytes.withUnsafeBytes { raw in
      flat.withUnsafeMutableBufferPointer {
        Dequantize.run(type, source: raw.baseAddress!, count: rows * columns, into: $0.baseAddress!)
      }
    }
    return order.flatMap { flat[($0 * columns)..<(($0 + 1) * columns)] }
  }

  /// `x·Wᵀ` with the activations quantized as documented (per 32: d = max|x|/32767,
  /// q = round-half-even(x·(1/d))) and each weight block's offset `m` times the exact block sum,
  /// in Double. `offsets[r][blk]` is the block's `m` (recovered from the dense weight and q).
  static func reference(
    x: [Float], n: Int, weight: [Float], rows: Int, columns: Int,
    offsets: [[Float]]
  ) -> [Float] {
    var out = [Float](repeating: 0, count: n * rows)
    for b in 0..<n {
      let xb = Array(x[(b * columns)..<((b + 1) * columns)])
      var xq = [Double](repeating: 0, count: columns)
      for blk in 0..<(columns / 32) {
        let block = xb[(blk * 32)..<(blk * 32 + 32)]
        let amax = block.map(abs).max()!
        let d = amax / 32767
        let inverse = 1 / d
        for j in 0..<32 {
          xq[blk * 32 + j] =
            Double((xb[blk * 32 + j] * inverse).rounded(.toNearestOrEven)) * Double(d)
        }
      }
      for r in 0..<rows {
        var s = 0.0
        for blk in 0..<(columns / 32) {
          let m = Double(offsets[r][blk])
          for j in (blk * 32)..<(blk * 32 + 32) {
            s += (Double(weight[r * columns + j]) - m) * xq[j] + m * Double(xb[j])
          }
        }
        out[b * rows + r] = Float(s)
      }
    }
    return out
  }

  /// Each block's offset `m` from the file: Q4_0's −8d, Q4_1/Q5_1's m, K-quants' −dmin·min,
  /// recomputed here from the bytes (independently of the packer).
  static func offsets(_ bytes: [UInt8], _ type: GGMLType, rows: Int, columns: Int, order: [Int])
    -> [[Float]]
  {
    func f16(_ at: Int) -> Float {
      Float(Float16(bitPattern: UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8))
    }
    let perRow = columns / type.blockSize
    return order.map { src in
      (0..<(columns / 32)).map { blk32 -> Float in
        let at = (src * perRow + blk32 * 32 / type.blockSize) * type.bytesPerBlock
        switch type {
        case .q4_0: return -8 * f16(at)
        case .q4_1, .q5_1: return f16(at + 2)
        case .q4_K, .q5_K:
          let sub = blk32 % 8
          let s = Array(bytes[(at + 4)..<(at + 16)])
          let mn = sub < 4 ? s[sub + 4] & 63 : (s[sub + 4] >> 4) | ((s[sub] >> 6) << 4)
          return -(f16(at + 2) * Float(mn))
        default: return 0
        }
      }
    }
  }

  /// Packed products equal the documented arithmetic (int16 activations, exact offsets) on the
  /// dequantized weight, for every packed type, every kernel path, a row permutation, and
  /// 1–9 inputs (groups of four plus every remainder).
  @Test(arguments: [GGMLType.q4_0, .q4_1, .q8_0, .q5_0, .q5_1, .q4_K, .q5_K])
  func packedProductEqualsQuantizedArithmetic(type: GGMLType) throws {
    let (rows, columns) = (13, type.blockSize == 256 ? 512 : 96)  // 3 blocks: odd
    let bytes = Self.randomBlocks(type, rows: rows, columns: columns, seed: 1)
    let order = Array((0..<rows).reversed())
    let weight = Self.dense(bytes, type, rows: rows, columns: columns, order: order)
    let offsets = Self.offsets(bytes, type, rows: rows, columns: columns, order: order)
    let packed = try #require(
      bytes.withUnsafeBytes {
        PackedMatrix(
          type: type, source: $0.baseAddress!, rows: rows, columns: columns, rowOrder: order)
      })
    for n in [1, 2, 3, 4, 5, 9] {
      let x = randomTensor([n, columns], seed: UInt64(10 + n))
      let expected = Self.reference(
        x: x.scalars, n: n, weight: weight, rows: rows, columns: columns, offsets: offsets)
      let scale = expected.map(abs).max()!
      for path in CPUKernels.supported {
        let got = packed.multiply(x, path: path).scalars
        #expect(maxDifference(got, expected) < 2e-5 * max(scale, 1), "\(type) \(path) n=\(n)")
      }
      // And close to the Float32 product: the int16 rounding of x is the only difference.
      let float32 = Tensor.matmul(
        x, Tensor(shape: [rows, columns], scalars: weight), transposeB: true)
      #expect(maxDifference(packed.multiply(x).scalars, float32.scalars) < 1e-4 * scale)
    }
  }

  /// Stacking packed matrices gives the rows of each, in order.
  @Test func stackedRowsAreTheParts() throws {
    let parts = try (0..<3).map { i in
      let bytes = Self.randomBlocks(.q4_1, rows: 5 + i, columns: 64, seed: UInt64(i))
      return try #require(
        bytes.withUnsafeBytes {
          PackedMatrix(type: .q4_1, source: $0.baseAddress!, rows: 5 + i, columns: 64)
        })
    }
    let stacked = try #require(PackedMatrix(stackingRows: parts))
    let x = randomTensor([3, 64], seed: 4)
    let whole = stacked.multiply(x)
    let pieces = parts.map { $0.multiply(x) }
    for b in 0..<3 {
      let expected = pieces.flatMap { p in
        p.scalars[(b * p.lastDimension)..<((b + 1) * p.lastDimension)]
      }
      #expect(Array(whole.scalars[(b * 18)..<((b + 1) * 18)]) == expected)
    }
  }

  /// With packed weights, SmolLM2's greedy continuations still match transformers.
  @Test func smolLM2GreedyWithPackedWeights() throws {
    let file = try #require(SmolLM2.file, "\(SmolLM2.missing)")
    let model = try #require(SmolLM2.decoder)
    let packed = try PackedWeights.fromGGUF(file, model: model)
    #expect(packed.count == 30 * 7 + 1)
    let generator = Generator(model: model, packed: packed, stopTokens: [2]) { _ in "" }
    for prompt in SmolLM2.reference {
      let out = try generator.generate(
        prompts: [prompt.inputIDs], parameters: .greedy(maxTokens: 16))[0]
      // transformers' continuation either ends with EOS (2) or runs the full 16 tokens.
      let endsWithEOS = prompt.greedy.last == 2
      let expectedReason: FinishReason = endsWithEOS ? .endOfSequence : .length
      #expect(out.finishReason == expectedReason)
      #expect(out.tokens == (endsWithEOS ? Array(prompt.greedy.dropLast()) : prompt.greedy))
    }
  }
}
