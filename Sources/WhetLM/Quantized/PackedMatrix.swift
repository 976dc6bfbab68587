import CKernels
import WhetTensor

/// A `[rows, columns]` weight kept in 4- or 8-bit blocks of 32 for fast inference at small
/// batch, where reading the weights dominates (batch-1 decoding reads every weight once per
/// token; 4 bits instead of 32 is 8× less memory traffic).
///
/// Every block is `x = q·d + m` with one scale `d` and one offset `m` per 32 elements, taken
/// from the model file without changing a value:
/// - 4-bit (``Format/nibble``): `Q4_0` (`m = −8d`), `Q4_1`, and the 32-element sub-blocks of
///   `Q4_K` (`d = d·scale`, `m = −dmin·min`); byte `j` holds elements `j` and `j + 16`.
/// - 8-bit (``Format/byte``): `Q8_0`, `Q5_0` (`q − 16`), `Q5_1`, and `Q5_K`'s sub-blocks; one
///   signed byte per element.
///
/// Products quantize the activations per block of 32 to int16 (scale `max|x| / 32767`, round
/// to nearest even) and multiply with integer dot products in the ``CPUKernels`` path
/// chosen at run time; the offsets use each activation block's exact sum. int16, not
/// llama.cpp's int8 activations: with int8, SmolLM2's logits moved by up to 0.26 and a greedy
/// continuation changed at its first token (transformers' top-2 gap there is 0.08); with
/// int16 the packed path keeps transformers' greedy continuations. `Q6_K` (two scales per 32
/// elements) has no packed form and stays Float32.
public final class PackedMatrix: @unchecked Sendable {
  public enum Format: Sendable { case nibble, byte }

  public let format: Format
  public let rows: Int
  public let columns: Int
  /// Blocks of 32 per row.
  let blocksPerRow: Int
  let scales: UnsafeMutablePointer<Float>
  let offsets: UnsafeMutablePointer<Float>
  let weights: UnsafeMutablePointer<UInt8>

  /// Whether any block has a nonzero offset; without one (`Q8_0`) products skip the offset
  /// term and never read ``offsets`` (a tenth of the bytes the vocabulary projection streams).
  private(set) var hasOffsets = true

  var bytesPerBlock: Int { Self.bytesPerBlock(format) }

  static func bytesPerBlock(_ format: Format) -> Int { format == .nibble ? 16 : 32 }

  /// Which ggml block types have a packed form, and in which format.
  public static func format(of type: GGMLType) -> Format? {
    switch type {
    case .q4_0, .q4_1, .q4_K: return .nibble
    case .q8_0, .q5_0, .q5_1, .q5_K: return .byte
    default: return nil
    }
  }

  init(format: Format, rows: Int, columns: Int) {
    self.format = format
    self.rows = rows
    self.columns = columns
    blocksPerRow = columns / 32
    let blocks = rows * blocksPerRow
    scales = Self.allocate(Float.self, blocks)
    offsets = Self.allocate(Float.self, blocks)
    weights = Self.allocate(UInt8.self, blocks * Self.bytesPerBlock(format))
    scales.initialize(repeating: 0, count: blocks)
    offsets.initialize(repeating: 0, count: blocks)
    weights.initialize(repeating: 0, count: blocks * Self.bytesPerBlock(format))
  }

  /// Packs `rows × columns` elements of `type` from `source` (ggml row-major blocks).
  /// `rowOrder[i]` is the source row of packed row `i` (undoing the Q/K permutation).
  /// Returns `nil` for block types without a packed form or rows that are not whole blocks.
  public convenience init?(
    type: GGMLType, source: UnsafeRawPointer, rows: Int, columns: Int, rowOrder: [Int]? = nil
  ) {
    guard let format = Self.format(of: type), columns % type.blockSize == 0, columns % 32 == 0
    else { return nil }
    self.init(format: format, rows: rows, columns: columns)
    let sourceBlocks = columns / type.blockSize
    let subBlocks = type.blockSize / 32
    var q = [Int32](repeating: 0, count: 32)
    for r in 0..<rows {
      let src = source + (rowOrder?[r] ?? r) * sourceBlocks * type.bytesPerBlock
      for blk in 0..<sourceBlocks {
        let p = src + blk * type.bytesPerBlock
        for sub in 0..<subBlocks {
          let slot = r * blocksPerRow + blk * subBlocks + sub
          let (d, m) = q.withUnsafeMutableBufferPointer {
            Self.decode(type, block: p, subBlock: sub, into: $0.baseAddress!)
          }
          scales[slot] = d
          offsets[slot] = m
          let w = weights + slot * bytesPerBlock
          if format == .nibble {
            for j in 0..<16 { w[j] = UInt8(q[j]) | UInt8(q[j + 16]) << 4 }
          } else {
            for j in 0..<32 { w[j] = UInt8(bitPattern: Int8(q[j])) }
          }
        }
      }
    }
    hasOffsets = UnsafeBufferPointer(start: offsets, count: rows * blocksPerRow).contains {
      $0 != 0
    }
  }

  /// Stacks the rows of `parts` (all of one format and width): one product computes them all.
  public convenience init?(stackingRows parts: [PackedMatrix]) {
    guard let first = parts.first,
      parts.allSatisfy({ $0.format == first.format && $0.columns == first.columns })
    else { return nil }
    self.init(format: first.format, rows: parts.reduce(0) { $0 + $1.rows }, columns: first.columns)
    var row = 0
    for part in parts {
      let blocks = part.rows * blocksPerRow
      (scales + row * blocksPerRow).update(from: part.scales, count: blocks)
      (offsets + row * blocksPerRow).update(from: part.offsets, count: blocks)
      (weights + row * blocksPerRow * bytesPerBlock).update(
        from: part.weights, count: blocks * bytesPerBlock)
      row += part.rows
    }
    hasOffsets = parts.contains { $0.hasOffsets }
  }

  deinit {
    whet_free_weights(scales)
    whet_free_weights(offsets)
    whet_free_weights(weights)
  }

  /// `count` elements from ``whet_allocate_weights`` (huge pages for large buffers).
  static func allocate<T>(_: T.Type, _ count: Int) -> UnsafeMutablePointer<T> {
    guard let raw = whet_allocate_weights(count * MemoryLayout<T>.stride) else {
      fatalError("PackedMatrix: out of memory for \(count) elements")
    }
    return raw.bindMemory(to: T.self, capacity: count)
  }

  /// Sub-block `sub` (32 elements) of the ggml block at `p`: integer values into `q`, and the
  /// scale and offset with `x = q·d + m` (ggml's `dequantize_row_*`, exactly).
  static func decode(
    _ type: GGMLType, block p: UnsafeRawPointer, subBlock sub: Int,
    into q: UnsafeMutablePointer<Int32>
  ) -> (d: Float, m: Float) {
    let bytes = p.assumingMemoryBound(to: UInt8.self)
    switch type {
    case .q4_0, .q4_1:
      let d = Dequantize.f16(p, 0)
      let qs = bytes + (type == .q4_1 ? 4 : 2)
      for j in 0..<16 {
        q[j] = Int32(qs[j] & 0x0F)
        q[j + 16] = Int32(qs[j] >> 4)
      }
      return (d, type == .q4_1 ? Dequantize.f16(p, 2) : -8 * d)
    case .q5_0, .q5_1:
      let hasMin = type == .q5_1
      let qhOffset = hasMin ? 4 : 2
      let qh = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: qhOffset, as: UInt32.self))
      let qs = bytes + qhOffset + 4
      let shift: Int32 = hasMin ? 0 : 16
      for j in 0..<16 {
        q[j] = (Int32(qs[j] & 0x0F) | Int32((qh >> UInt32(j)) & 1) << 4) - shift
        q[j + 16] = (Int32(qs[j] >> 4) | Int32((qh >> UInt32(j + 16)) & 1) << 4) - shift
      }
      return (Dequantize.f16(p, 0), hasMin ? Dequantize.f16(p, 2) : 0)
    case .q8_0:
      let qs = (p + 2).assumingMemoryBound(to: Int8.self)
      for j in 0..<32 { q[j] = Int32(qs[j]) }
      return (Dequantize.f16(p, 0), 0)
    case .q4_K, .q5_K:
      // Sub-block 2k uses the low nibbles of bytes 32k…32k+31, sub-block 2k + 1 the high ones;
      // Q5_K's fifth bit of sub-block s is bit s of qh[l].
      let d = Dequantize.f16(p, 0), dmin = Dequantize.f16(p, 2), scales = bytes + 4
      let (sc, mn) = Dequantize.scaleMinK4(sub, scales)
      let ql = bytes + (type == .q4_K ? 16 : 48) + 32 * (sub / 2)
      let qh = bytes + 16
      for l in 0..<32 {
        var v = Int32(sub % 2 == 0 ? ql[l] & 0x0F : ql[l] >> 4)
        if type == .q5_K, qh[l] & (1 << UInt8(sub)) != 0 { v += 16 }
        q[l] = v
      }
      return (d * Float(sc), -(dmin * Float(mn)))
    default:
      return (0, 0)
    }
  }

  /// `y = x·Wᵀ` for `x` `[N, columns]` → `[N, rows]`; rows of `W` are split across cores.
  public func multiply(_ x: Tensor) -> Tensor {
    multiply(x, path: CPUKernels.path)
  }

  /// ``multiply(_:)`` on a given kernel path (tests compare every path with the portable one).
  public func multiply(_ x: Tensor, path: CPUKernels.Path) -> Tensor {
    precondition(
      x.lastDimension == columns, "PackedMatrix: input \(x.shape) for \(columns) columns")
    let n = x.rowCount
    let activations = QuantizedActivations(x, path: path)
    let format = self.format == .nibble ? Int32(WHET_BLOCK_NIBBLE) : Int32(WHET_BLOCK_BYTE)
    return Tensor(shape: Array(x.shape.dropLast()) + [rows]) { out in
      let o = out.baseAddress!
      activations.withPointers { q, d, s in
        // Two tasks per worker: the pool hands them out as threads free up, evening out a
        // core that started late (with the attention split over heads, batch 8 went from
        // 211–223 to 236–261 tok/s).
        parallelFor(rows, minimumPerTask: 64, tasksPerWorker: 2) { range in
          whet_quantized_product(
            path.rawValue, format, weights, scales, hasOffsets ? offsets : nil,
            Int32(blocksPerRow),
            Int32(range.lowerBound), Int32(range.upperBound), q, d, s, Int32(n), o, Int32(rows))
        }
      }
    }
  }
}
