import WhetTensor

/// Dequantization of ggml blocks to Float32, written from ggml's block definitions
/// (`dequantize_row_q4_0`, `…_q4_K`, …).
public enum Dequantize {
  /// Decodes `count` elements of `type` from `source` into `out` (parallel over blocks).
  public static func run(
    _ type: GGMLType, source: UnsafeRawPointer, count: Int, into out: UnsafeMutablePointer<Float>
  ) {
    let blocks = count / type.blockSize
    parallelFor(blocks, minimumPerTask: 256) { range in
      for b in range {
        block(type, source + b * type.bytesPerBlock, out + b * type.blockSize)
      }
    }
  }

  @inline(__always) static func f16(_ p: UnsafeRawPointer, _ offset: Int) -> Float {
    halfToFloat(UInt16(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
  }

  /// Decodes one block of `type` at `p` into `y`.
  @inline(__always) static func block(
    _ type: GGMLType, _ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>
  ) {
    let bytes = p.assumingMemoryBound(to: UInt8.self)
    switch type {
    case .f32:
      y[0] = Float(bitPattern: UInt32(littleEndian: p.loadUnaligned(as: UInt32.self)))
    case .f16:
      y[0] = f16(p, 0)
    case .bf16:
      y[0] = bfloat16ToFloat(UInt16(littleEndian: p.loadUnaligned(as: UInt16.self)))
    case .q4_0:
      // x = (nibble − 8)·d; low nibbles are elements 0…15, high nibbles 16…31.
      let d = f16(p, 0), qs = bytes + 2
      for j in 0..<16 {
        y[j] = Float(Int(qs[j] & 0x0F) - 8) * d
        y[j + 16] = Float(Int(qs[j] >> 4) - 8) * d
      }
    case .q4_1:
      // x = nibble·d + m.
      let d = f16(p, 0), m = f16(p, 2), qs = bytes + 4
      for j in 0..<16 {
        y[j] = Float(qs[j] & 0x0F) * d + m
        y[j + 16] = Float(qs[j] >> 4) * d + m
      }
    case .q5_0, .q5_1:
      // Fifth bit of element j is bit j of qh; x = (5-bit value − 16)·d, or value·d + m.
      let hasMin = type == .q5_1
      let d = f16(p, 0), m: Float = hasMin ? f16(p, 2) : 0
      let qhOffset = hasMin ? 4 : 2
      let qh = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: qhOffset, as: UInt32.self))
      let qs = bytes + qhOffset + 4
      let shift = hasMin ? 0 : 16
      for j in 0..<16 {
        let h0 = Int((qh >> UInt32(j)) & 1) << 4
        let h1 = Int((qh >> UInt32(j + 16)) & 1) << 4
        let x0 = (Int(qs[j] & 0x0F) | h0) - shift
        let x1 = (Int(qs[j] >> 4) | h1) - shift
        y[j] = Float(x0) * d + m
        y[j + 16] = Float(x1) * d + m
      }
    case .q8_0:
      let d = f16(p, 0)
      let qs = (p + 2).assumingMemoryBound(to: Int8.self)
      for j in 0..<32 { y[j] = Float(qs[j]) * d }
    case .q4_K:
      let d = f16(p, 0), dmin = f16(p, 2), scales = bytes + 4
      var q = bytes + 16
      var out = y
      for pair in 0..<4 {
        let (sc1, m1) = scaleMinK4(2 * pair, scales)
        let (sc2, m2) = scaleMinK4(2 * pair + 1, scales)
        let (d1, o1, d2, o2) = (d * Float(sc1), dmin * Float(m1), d * Float(sc2), dmin * Float(m2))
        for l in 0..<32 {
          out[l] = d1 * Float(q[l] & 0x0F) - o1
          out[l + 32] = d2 * Float(q[l] >> 4) - o2
        }
        out += 64
        q += 32
      }
    case .q5_K:
      let d = f16(p, 0), dmin = f16(p, 2), scales = bytes + 4, qh = bytes + 16
      var ql = bytes + 48
      var out = y
      var u1: UInt8 = 1, u2: UInt8 = 2
      for pair in 0..<4 {
        let (sc1, m1) = scaleMinK4(2 * pair, scales)
        let (sc2, m2) = scaleMinK4(2 * pair + 1, scales)
        let (d1, o1, d2, o2) = (d * Float(sc1), dmin * Float(m1), d * Float(sc2), dmin * Float(m2))
        for l in 0..<32 {
          out[l] = d1 * Float(Int(ql[l] & 0x0F) + (qh[l] & u1 != 0 ? 16 : 0)) - o1
          out[l + 32] = d2 * Float(Int(ql[l] >> 4) + (qh[l] & u2 != 0 ? 16 : 0)) - o2
        }
        out += 64
        ql += 32
        u1 <<= 2
        u2 <<= 2
      }
    case .q6_K:
      var ql = bytes, qh = bytes + 128
      var sc = (p + 192).assumingMemoryBound(to: Int8.self)
      let d = f16(p, 208)
      var out = y
      for _ in 0..<2 {
        for l in 0..<32 {
          let s = l / 16
          let q1 = Int((ql[l] & 0x0F) | ((qh[l] >> 0) & 3) << 4) - 32
          let q2 = Int((ql[l + 32] & 0x0F) | ((qh[l] >> 2) & 3) << 4) - 32
          let q3 = Int((ql[l] >> 4) | ((qh[l] >> 4) & 3) << 4) - 32
          let q4 = Int((ql[l + 32] >> 4) | ((qh[l] >> 6) & 3) << 4) - 32
          out[l] = d * Float(sc[s]) * Float(q1)
          out[l + 32] = d * Float(sc[s + 2]) * Float(q2)
          out[l + 64] = d * Float(sc[s + 4]) * Float(q3)
          out[l + 96] = d * Float(sc[s + 6]) * Float(q4)
        }
        out += 128
        ql += 64
        qh += 32
        sc += 8
      }
    }
  }

  /// The 6-bit scale and min of sub-block `j` (0…7) of a K-quant block's 12 packed bytes.
  @inline(__always) static func scaleMinK4(_ j: Int, _ q: UnsafePointer<UInt8>) -> (UInt8, UInt8) {
    if j < 4 { return (q[j] & 63, q[j + 4] & 63) }
    return ((q[j + 4] & 0x0F) | ((q[j - 4] >> 6) << 4), (q[j + 4] >> 4) | ((q[j] >> 6) << 4))
  }
}
