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
    let blocks = rows * columns / 32
    var bytes = (0..<(blocks * type.bytesPerBlock)).map { _ in UInt8(truncatingIfNeeded: rng.next())
    }
    for b in 0..<blocks {
      let d = Float16(Float(rng.nextUniform()) * 0.1 + 0.01).bitPattern
      let m = Float16(Float(rng.nextUniform()) - 0.5).bitPattern
      bytes[b * type.bytesPerBlock] = UInt8(d & 0xFF)
      bytes[b * type.bytesPerBlock + 1] = UInt8(d >> 8)
      if type == .q4_1 {
        bytes[b * type.bytesPerBlock + 2] = UInt8(m & 0xFF)
        bytes[b * type.bytesPerBlock + 3] = UInt8(m >> 8)
      }
    }
    return bytes
  }

  /// Packed products equal dequantize-then-multiply, for each format, an odd block count
  /// (a padded pair), a row permutation, and one or two input rows.
  @Test(arguments: [GGMLType.q4_0, .q4_1, .q8_0])
  func packedProductEqualsDequantizedProduct(type: GGMLType) throws {
    let (rows, columns) = (12, 96)  // 3 blocks per row: odd
    let bytes = Self.randomBlocks(type, rows: rows, columns: columns, seed: 1)
    let order = Array((0..<rows).reversed())
    let dense = Tensor(shape: [rows, columns]) { out in
      bytes.withUnsafeBytes { raw in
        Dequantize.run(
          type, source: raw.baseAddress!, count: rows * columns, into: out.baseAddress!)
      }
    }
    let permuted = Tensor(shape: [rows, columns]) { out in
      dense.withUnsafeBufferPointer { src in
        for r in 0..<rows {
          (out.baseAddress! + r * columns).update(
            from: src.baseAddress! + order[r] * columns, count: columns)
        }
      }
    }
    let packed = try #require(
      bytes.withUnsafeBytes {
        PackedMatrix(
          type: type, source: $0.baseAddress!, rows: rows, columns: columns, rowOrder: order)
      })
    for n in [1, 2, 5] {  // 5 = one group of four plus one
      let x = randomTensor([n, columns], seed: UInt64(10 + n))
      let expected = Tensor.matmul(x, permuted, transposeB: true)
      #expect(maxDifference(packed.multiply(x).scalars, expected.scalars) < 1e-4)
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
