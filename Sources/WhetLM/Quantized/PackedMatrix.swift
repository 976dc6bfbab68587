import WhetTensor

/// A `[rows, columns]` weight kept in 4- or 8-bit blocks of 32 for fast inference at small
/// batch, where reading the weights dominates (batch-1 decoding reads every weight once per
/// token; 4 bits instead of 32 is 8× less memory traffic).
///
/// Blocks come from the model file unchanged in value (`Q4_0`, `Q4_1`, `Q8_0`), re-laid out so
/// SIMD lanes can unpack them with shifts alone:
/// - 4-bit: two consecutive blocks share 8 words; nibble `i` of word `k` is element `8i + k`
///   of the 64; each block has a scale `d` and an offset `m` (`x = q·d + m`).
/// - 8-bit: a block's 32 bytes are 8 words; byte `i` of word `k` is element `8i + k`, stored
///   offset by 128; each block has a scale `d` (`x = (b − 128)·d`).
public final class PackedMatrix: @unchecked Sendable {
  public enum Format: Sendable { case nibble, byte }

  public let format: Format
  public let rows: Int
  public let columns: Int
  /// Blocks of 32 per row (even for the 4-bit format: an odd count is padded with a zero block).
  let blocksPerRow: Int
  let scales: UnsafeMutablePointer<Float>
  let offsets: UnsafeMutablePointer<Float>
  let words: UnsafeMutablePointer<UInt32>
  let wordsPerRow: Int

  /// Packs `rows × columns` elements of `type` from `source` (ggml row-major blocks).
  /// `rowOrder[i]` is the source row of packed row `i` (undoing the Q/K permutation).
  /// Returns `nil` for block types without a packed form.
  public init?(
    type: GGMLType, source: UnsafeRawPointer, rows: Int, columns: Int, rowOrder: [Int]? = nil
  ) {
    guard columns % 32 == 0 else { return nil }
    switch type {
    case .q4_0, .q4_1: format = .nibble
    case .q8_0: format = .byte
    default: return nil
    }
    self.rows = rows
    self.columns = columns
    let sourceBlocks = columns / 32
    blocksPerRow = format == .nibble ? (sourceBlocks + 1) / 2 * 2 : sourceBlocks
    wordsPerRow = blocksPerRow * (format == .nibble ? 4 : 8)
    scales = .allocate(capacity: rows * blocksPerRow)
    offsets = .allocate(capacity: rows * blocksPerRow)
    words = .allocate(capacity: rows * wordsPerRow)
    scales.initialize(repeating: 0, count: rows * blocksPerRow)
    offsets.initialize(repeating: 0, count: rows * blocksPerRow)
    words.initialize(repeating: 0, count: rows * wordsPerRow)
    let bytesPerBlock = type.bytesPerBlock
    var element = [UInt8](repeating: 0, count: 64)
    for r in 0..<rows {
      let src = source + (rowOrder?[r] ?? r) * sourceBlocks * bytesPerBlock
      for blk in 0..<sourceBlocks {
        let p = src + blk * bytesPerBlock
        let d = halfToFloat(UInt16(littleEndian: p.loadUnaligned(as: UInt16.self)))
        let slot = r * blocksPerRow + blk
        let bytes = p.assumingMemoryBound(to: UInt8.self)
        switch type {
        case .q4_0, .q4_1:
          scales[slot] = d
          offsets[slot] =
            type == .q4_1
            ? halfToFloat(UInt16(littleEndian: p.loadUnaligned(fromByteOffset: 2, as: UInt16.self)))
            : -8 * d
          let qs = bytes + (type == .q4_1 ? 4 : 2)
          let base = (blk % 2) * 32
          for j in 0..<16 {
            element[base + j] = qs[j] & 0x0F
            element[base + j + 16] = qs[j] >> 4
          }
          if blk % 2 == 1 || blk == sourceBlocks - 1 {
            if blk % 2 == 0 { for j in 32..<64 { element[j] = 0 } }
            let w = words + r * wordsPerRow + (blk / 2) * 8
            for k in 0..<8 {
              var word: UInt32 = 0
              for i in 0..<8 { word |= UInt32(element[8 * i + k]) << UInt32(4 * i) }
              w[k] = word
            }
          }
        default:  // .q8_0
          scales[slot] = d
          let qs = (p + 2).assumingMemoryBound(to: Int8.self)
          let w = words + r * wordsPerRow + blk * 8
          for k in 0..<8 {
            var word: UInt32 = 0
            for i in 0..<4 {
              word |= UInt32(UInt8(truncatingIfNeeded: Int(qs[8 * i + k]) + 128)) << UInt32(8 * i)
            }
            w[k] = word
          }
        }
      }
    }
  }

  deinit {
    scales.deallocate()
    offsets.deallocate()
    words.deallocate()
  }

  /// `y = x·Wᵀ` for `x` `[N, columns]` → `[N, rows]`; rows of `W` are split across cores.
  public func multiply(_ x: Tensor) -> Tensor {
    precondition(
      x.lastDimension == columns, "PackedMatrix: input \(x.shape) for \(columns) columns")
    let n = x.rowCount
    // Per block sums of x, for the offsets: Σ (q·d + m)·x = d·Σ q·x + m·Σ x.
    let sums = Tensor(shape: [n, blocksPerRow]) { s in
      s.initialize(repeating: 0)
      x.withUnsafeBufferPointer { px in
        for b in 0..<n {
          for blk in 0..<(columns / 32) {
            var t: Float = 0
            for j in 0..<32 { t += px[b * columns + blk * 32 + j] }
            s[b * blocksPerRow + blk] = t
          }
        }
      }
    }
    return Tensor(shape: Array(x.shape.dropLast()) + [rows]) { out in
      x.withUnsafeBufferPointer { px in
        sums.withUnsafeBufferPointer { ps in
          parallelFor(rows, minimumPerTask: 64, tasksPerWorker: 1) { range in
            for r in range {
              var b = 0
              // Four inputs at a time share each unpacked block.
              while b + 4 <= n {
                let xb = px.baseAddress! + b * columns
                let d =
                  format == .nibble
                  ? nibbleDot4(row: r, x: xb, sums: ps.baseAddress! + b * blocksPerRow)
                  : byteDot4(row: r, x: xb)
                for k in 0..<4 { out[(b + k) * rows + r] = d[k] }
                b += 4
              }
              while b < n {
                let xb = px.baseAddress! + b * columns
                out[b * rows + r] =
                  format == .nibble
                  ? nibbleDot(row: r, x: xb, sums: ps.baseAddress! + b * blocksPerRow)
                  : byteDot(row: r, x: xb)
                b += 1
              }
            }
          }
        }
      }
    }
  }

  @inline(__always) static func toFloat(_ v: SIMD8<UInt32>) -> SIMD8<Float> {
    // 0x4B000000 is 2²³ as a float; OR-ing a small integer into its mantissa and subtracting
    // 2²³ converts exactly, without the generic (slow) SIMD integer-to-float conversion.
    unsafeBitCast(v | 0x4B00_0000, to: SIMD8<Float>.self) - 8_388_608
  }

  @inline(__always) func nibbleDot(row r: Int, x: UnsafePointer<Float>, sums: UnsafePointer<Float>)
    -> Float
  {
    let rx = UnsafeRawPointer(x)
    let w = UnsafeRawPointer(words + r * wordsPerRow)
    let d = scales + r * blocksPerRow, m = offsets + r * blocksPerRow
    var acc = SIMD8<Float>()
    var offsetTerm: Float = 0
    let realColumns = columns
    for pair in 0..<(blocksPerRow / 2) {
      let packed = w.loadUnaligned(fromByteOffset: pair * 32, as: SIMD8<UInt32>.self)
      let base = pair * 64
      var a = SIMD8<Float>(), b = SIMD8<Float>()
      for i in 0..<4 {
        let q = Self.toFloat((packed &>> UInt32(4 * i)) & 0x0F)
        a.addProduct(q, rx.loadUnaligned(fromByteOffset: (base + 8 * i) * 4, as: SIMD8<Float>.self))
      }
      if base + 32 < realColumns {
        for i in 4..<8 {
          let q = Self.toFloat((packed &>> UInt32(4 * i)) & 0x0F)
          b.addProduct(
            q, rx.loadUnaligned(fromByteOffset: (base + 8 * i) * 4, as: SIMD8<Float>.self))
        }
      }
      acc.addProduct(SIMD8(repeating: d[2 * pair]), a)
      acc.addProduct(SIMD8(repeating: d[2 * pair + 1]), b)
      offsetTerm += m[2 * pair] * sums[2 * pair] + m[2 * pair + 1] * sums[2 * pair + 1]
    }
    return acc.sum() + offsetTerm
  }

  /// ``nibbleDot(row:x:sums:)`` for four consecutive inputs (rows of `x`, `sums`) at once.
  @inline(__always) func nibbleDot4(row r: Int, x: UnsafePointer<Float>, sums: UnsafePointer<Float>)
    -> SIMD4<Float>
  {
    let w = UnsafeRawPointer(words + r * wordsPerRow)
    let d = scales + r * blocksPerRow, m = offsets + r * blocksPerRow
    let (x0, x1, x2, x3) = (
      UnsafeRawPointer(x), UnsafeRawPointer(x + columns), UnsafeRawPointer(x + 2 * columns),
      UnsafeRawPointer(x + 3 * columns)
    )
    var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>(), acc2 = SIMD8<Float>(), acc3 = SIMD8<Float>()
    var offsetTerm = SIMD4<Float>()
    for pair in 0..<(blocksPerRow / 2) {
      let packed = w.loadUnaligned(fromByteOffset: pair * 32, as: SIMD8<UInt32>.self)
      let base = pair * 64
      for half in 0..<2 where base + 32 * half < columns {
        var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
        for i in (4 * half)..<(4 * half + 4) {
          let q = Self.toFloat((packed &>> UInt32(4 * i)) & 0x0F)
          let offset = (base + 8 * i) * 4
          a0.addProduct(q, x0.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self))
          a1.addProduct(q, x1.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self))
          a2.addProduct(q, x2.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self))
          a3.addProduct(q, x3.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self))
        }
        let blk = 2 * pair + half
        let scale = SIMD8<Float>(repeating: d[blk])
        acc0.addProduct(scale, a0)
        acc1.addProduct(scale, a1)
        acc2.addProduct(scale, a2)
        acc3.addProduct(scale, a3)
        offsetTerm +=
          m[blk]
          * SIMD4(
            sums[blk], sums[blocksPerRow + blk], sums[2 * blocksPerRow + blk],
            sums[3 * blocksPerRow + blk])
      }
    }
    return SIMD4(acc0.sum(), acc1.sum(), acc2.sum(), acc3.sum()) + offsetTerm
  }

  @inline(__always) func byteDot(row r: Int, x: UnsafePointer<Float>) -> Float {
    let rx = UnsafeRawPointer(x)
    let w = UnsafeRawPointer(words + r * wordsPerRow)
    let d = scales + r * blocksPerRow
    var acc = SIMD8<Float>()
    for blk in 0..<blocksPerRow {
      let packed = w.loadUnaligned(fromByteOffset: blk * 32, as: SIMD8<UInt32>.self)
      var a = SIMD8<Float>()
      for i in 0..<4 {
        // Stored as b + 128: subtract 2²³ + 128 to get the signed value.
        let q =
          unsafeBitCast(((packed &>> UInt32(8 * i)) & 0xFF) | 0x4B00_0000, to: SIMD8<Float>.self)
          - 8_388_736
        a.addProduct(
          q, rx.loadUnaligned(fromByteOffset: (blk * 32 + 8 * i) * 4, as: SIMD8<Float>.self))
      }
      acc.addProduct(SIMD8(repeating: d[blk]), a)
    }
    return acc.sum()
  }

  /// ``byteDot(row:x:)`` for four consecutive inputs at once.
  @inline(__always) func byteDot4(row r: Int, x: UnsafePointer<Float>) -> SIMD4<Float> {
    let w = UnsafeRawPointer(words + r * wordsPerRow)
    let d = scales + r * blocksPerRow
    let (x0, x1, x2, x3) = (
      UnsafeRawPointer(x), UnsafeRawPointer(x + columns), UnsafeRawPointer(x + 2 * columns),
      UnsafeRawPointer(x + 3 * columns)
    )
    var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>(), acc2 = SIMD8<Float>(), acc3 = SIMD8<Float>()
    for blk in 0..<blocksPerRow {
      let packed = w.loadUnaligned(fromByteOffset: blk * 32, as: SIMD8<UInt32>.self)
      var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
      for i in 0..<4 {
        let q =
          unsafeBitCast(((packed &>> UInt32(8 * i)) & 0xFF) | 0x4B00_0000, to: SIMD8<Float>.self)
          - 8_388_736
        let offset = (blk * 32 + 8 * i) * 4
        a0.addProduct(q, x0.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self))
        a1.addProduct(q, x1.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self))
        a2.addProduct(q, x2.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self))
        a3.addProduct(q, x3.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self))
      }
      let scale = SIMD8<Float>(repeating: d[blk])
      acc0.addProduct(scale, a0)
      acc1.addProduct(scale, a1)
      acc2.addProduct(scale, a2)
      acc3.addProduct(scale, a3)
    }
    return SIMD4(acc0.sum(), acc1.sum(), acc2.sum(), acc3.sum())
  }
}
