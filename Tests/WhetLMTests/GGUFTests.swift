import Foundation
import TestSupport
import Testing
import WhetLM
import WhetTensor

/// Block formats against values worked out from ggml's definitions, and the file format.
@Suite struct GGUFTests {
  static func half(_ x: Float) -> [UInt8] {
    let b = Float16(x).bitPattern
    return [UInt8(b & 0xFF), UInt8(b >> 8)]
  }

  static func decode(_ type: GGMLType, _ bytes: [UInt8]) -> [Float] {
    precondition(bytes.count == type.bytesPerBlock, "test block has \(bytes.count) bytes")
    var out = [Float](repeating: .nan, count: type.blockSize)
    bytes.withUnsafeBytes { raw in
      out.withUnsafeMutableBufferPointer {
        Dequantize.run(type, source: raw.baseAddress!, count: type.blockSize, into: $0.baseAddress!)
      }
    }
    return out
  }

  @Test func q4_0() {
    // d = 0.5; byte j holds nibble j (element j) and 15 − j (element j + 16); x = (q − 8)·d.
    let qs = (0..<16).map { UInt8($0 | ((15 - $0) << 4)) }
    let y = Self.decode(.q4_0, Self.half(0.5) + qs)
    let low: [Float] = (0..<16).map { Float($0 - 8) * 0.5 }
    let high: [Float] = (0..<16).map { Float(15 - $0 - 8) * 0.5 }
    #expect(y == low + high)
  }

  @Test func q4_1() {
    // d = 0.25, m = −1; x = q·d + m.
    let qs = (0..<16).map { UInt8($0 | ((15 - $0) << 4)) }
    let y = Self.decode(.q4_1, Self.half(0.25) + Self.half(-1) + qs)
    let low: [Float] = (0..<16).map { Float($0) * 0.25 - 1 }
    let high: [Float] = (0..<16).map { Float(15 - $0) * 0.25 - 1 }
    #expect(y == low + high)
  }

  @Test func q5_0AndQ5_1() {
    // qh = 0xAAAAAAAA sets the fifth bit of every odd element (j and j + 16 alike).
    let qh: [UInt8] = [0xAA, 0xAA, 0xAA, 0xAA]
    let qs = (0..<16).map { UInt8($0 | ($0 << 4)) }
    // The 5-bit value of element j and of element j + 16.
    let five: [Int] = (0..<16).map { (j: Int) -> Int in j | ((j % 2) << 4) }
    let both: [Int] = five + five
    let expected0: [Float] = both.map { Float($0 - 16) }
    let expected1: [Float] = both.map { Float($0) * 2 + 0.5 }
    #expect(Self.decode(.q5_0, Self.half(1) + qh + qs) == expected0)
    #expect(Self.decode(.q5_1, Self.half(2) + Self.half(0.5) + qh + qs) == expected1)
  }

  @Test func q8_0() {
    let qs: [UInt8] = (0..<32).map { UInt8(bitPattern: Int8($0 - 16)) }
    let expected: [Float] = (0..<32).map { Float(($0 - 16) * 2) }
    #expect(Self.decode(.q8_0, Self.half(2) + qs) == expected)
  }

  /// The 12 packed scale bytes: sub-blocks 0–3 take 6 bits of bytes 0–3 (scale) and 4–7
  /// (min); sub-blocks 4–7 take nibbles of bytes 8–11 plus the top 2 bits of bytes 0–7.
  static let kScales: [UInt8] = [
    1 | 0x40, 2, 3, 4, 0, 1, 2, 3, 5 | (6 << 4), 7 | (8 << 4), 9 | (10 << 4), 11 | (12 << 4),
  ]
  /// (scale, min) of sub-blocks 0…7 implied by `kScales`: byte 0's top bits (01) add 16 to sub-block 4's scale.
  static let kScaleMins: [(Float, Float)] = [
    (1, 0), (2, 1), (3, 2), (4, 3), (21, 6), (7, 8), (9, 10), (11, 12),
  ]

  @Test func q4_K() {
    // Every byte 0x21: low nibble 1 (sub-blocks 0, 2, 4, 6), high nibble 2 (1, 3, 5, 7).
    let block: [UInt8] =
      Self.half(1) + Self.half(0.5) + Self.kScales + [UInt8](repeating: 0x21, count: 128)
    let y = Self.decode(.q4_K, block)
    var expected: [Float] = []
    for (s, (sc, m)) in Self.kScaleMins.enumerated() {
      let q: Float = s % 2 == 0 ? 1 : 2
      expected += [Float](repeating: sc * q - 0.5 * m, count: 32)
    }
    #expect(y == expected)
  }

  @Test func q5_K() {
    // qh bit 0 set everywhere: only sub-block 0 (low nibbles of the first 32 bytes) gains 16.
    var block: [UInt8] = Self.half(1) + Self.half(0.5) + Self.kScales
    block += [UInt8](repeating: 0x01, count: 32) + [UInt8](repeating: 0x21, count: 128)
    let y = Self.decode(.q5_K, block)
    var expected: [Float] = []
    for (s, (sc, m)) in Self.kScaleMins.enumerated() {
      let q: Float = (s % 2 == 0 ? 1 : 2) + (s == 0 ? 16 : 0)
      expected += [Float](repeating: sc * q - 0.5 * m, count: 32)
    }
    #expect(y == expected)
  }

  @Test func q6_K() {
    // ql = 0x21, qh = 0b11_10_01_00: the four 6-bit values per position are
    // 1|0<<4, 1|1<<4, 2|2<<4, 2|3<<4 = 1, 17, 34, 50, minus 32: −31, −15, 2, 18.
    let scales: [UInt8] = (1...16).map { UInt8(bitPattern: Int8($0 % 2 == 0 ? $0 : -$0)) }
    var block: [UInt8] = [UInt8](repeating: 0x21, count: 128) + [UInt8](repeating: 0xE4, count: 64)
    block += scales + Self.half(0.5)
    let y = Self.decode(.q6_K, block)
    let q: [Float] = [-31, -15, 2, 18]
    let sc = scales.map { Float(Int8(bitPattern: $0)) }
    var expected = [Float](repeating: 0, count: 256)
    for half in 0..<2 {
      for l in 0..<32 {
        for k in 0..<4 {
          expected[half * 128 + l + 32 * k] = 0.5 * sc[half * 8 + l / 16 + 2 * k] * q[k]
        }
      }
    }
    #expect(y == expected)
  }

  @Test func floatFormats() {
    #expect(Self.decode(.f16, Self.half(-1.5)) == [-1.5])
    #expect(Self.decode(.bf16, [0x40, 0x3F]) == [0.75])  // 0x3F40 → 0.75
    let bytes: [UInt8] = withUnsafeBytes(of: Float(3.25).bitPattern.littleEndian) { Array($0) }
    #expect(Self.decode(.f32, bytes) == [3.25])
  }

  @Test func rotaryPermutationRoundTrips() {
    // Two heads of dim 4, rows labelled by their HF index: GGUF interleaves each head's halves.
    let hf = Tensor(shape: [8, 1], scalars: (0..<8).map(Float.init))
    let gguf = RotaryPermutation.toGGUF(hf, heads: 2)
    #expect(gguf.scalars == [0, 2, 1, 3, 4, 6, 5, 7])
    #expect(RotaryPermutation.toHF(gguf, heads: 2).scalars == hf.scalars)
  }

  @Test func weightNamesMapBothWays() {
    #expect(
      WeightNames.gguf(fromHF: "model.layers.12.self_attn.q_proj.weight") == "blk.12.attn_q.weight")
    #expect(
      WeightNames.hf(fromGGUF: "blk.3.ffn_down.weight") == "model.layers.3.mlp.down_proj.weight")
    #expect(WeightNames.gguf(fromHF: "model.embed_tokens.weight") == "token_embd.weight")
    #expect(WeightNames.gguf(fromHF: "model.layers.x.mlp.up_proj.weight") == nil)
  }

  static func sampleFile() -> Data {
    var w = GGUFWriter()
    w.setMetadata("general.architecture", .string("llama"))
    w.setMetadata("test.values", .array(elementType: 5, [.int32(-3), .int32(7)]))
    w.setMetadata("test.flag", .bool(true))
    w.setMetadata("test.pi", .float64(3.14159))
    w.addTensor("a", Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6]))
    let q: [UInt8] = (0..<32).map { UInt8($0) }
    w.addTensor("b", type: .q8_0, shape: [32], bytes: Data(Self.half(2) + q))
    return w.encode()
  }

  @Test func writerRoundTrips() throws {
    let file = try GGUFFile(data: Self.sampleFile(), path: "sample.gguf")
    #expect(file.version == 3)
    #expect(
      file.metadataKeys == [
        "general.architecture", "test.values", "test.flag", "test.pi", "general.alignment",
      ])
    #expect(try file.ints("test.values") == [-3, 7])
    #expect(file.metadata["test.flag"] == .bool(true))
    #expect(file.metadata["test.pi"] == .float64(3.14159))
    #expect(try file.tensor("a").shape == [2, 3])
    #expect(try file.tensor("a").scalars == [1, 2, 3, 4, 5, 6])
    let expectedB: [Float] = (0..<32).map { Float($0 * 2) }
    #expect(try file.tensor("b").scalars == expectedB)
    #expect(try file.info("b").offset % 32 == 0)
  }

  static func error(_ data: Data) -> GGUFError? {
    do {
      _ = try GGUFFile(data: data, path: "bad.gguf")
      return nil
    } catch { return error as? GGUFError }
  }

  @Test func badFilesThrowTypedErrorsNamingWhere() throws {
    let good = Self.sampleFile()
    var magic = good
    magic[0] = UInt8(ascii: "X")
    guard case .badMagic(let f, _)? = Self.error(magic) else {
      Issue.record("bad magic not caught"); return
    }
    #expect(f == "bad.gguf")

    // Cut inside the data: the last tensor's bytes run past the end.
    guard case .invalidTensor(_, let tensor, let reason)? = Self.error(good.prefix(good.count - 40))
    else {
      Issue.record("truncated data not caught")
      return
    }
    #expect(tensor == "b")
    #expect(reason.contains("runs past the end"))

    // Cut inside the metadata: the offset of the failed read is reported.
    guard case .truncated(_, let offset, _)? = Self.error(good.prefix(60)) else {
      Issue.record("truncated header not caught")
      return
    }
    #expect(offset > 0 && offset <= 60)

    // A dimension so large the element count overflows: patch tensor "a"'s first dim.
    var huge = good
    let nameRange = try #require(huge.range(of: Data([1, 0, 0, 0, 0, 0, 0, 0]) + Data("a".utf8)))
    let dimOffset = nameRange.upperBound + 4  // after the name: rank (u32), then dims (u64)
    huge.replaceSubrange(
      dimOffset..<(dimOffset + 8), with: withUnsafeBytes(of: UInt64(1) << 62) { Data($0) })
    guard case .invalidTensor(_, "a", let why)? = Self.error(huge) else {
      Issue.record("overflowing dims not caught")
      return
    }
    #expect(why.contains("overflow"))

    // An unsupported version.
    var version = good
    version[4] = 9
    #expect(Self.error(version) == .unsupportedVersion(file: "bad.gguf", version: 9))
  }
}
