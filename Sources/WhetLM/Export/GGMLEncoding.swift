import Foundation
import WhetTensor

/// Float32 rows encoded as GGML block types, as llama.cpp's reference quantizers
/// (`ggml-quants.c`) encode them.
public enum GGMLEncoding {
  /// The types a model can be exported as.
  public static let exportTypes: [GGMLType] = [.f32, .f16, .q8_0]

  /// `values` (a whole tensor, rows of `rowLength`) as `type`.
  ///
  /// - `f16`: IEEE half, round to nearest even.
  /// - `q8_0`: per block of 32, `d = max|x| / 127` stored as f16, `q = round(x / d)` with the
  ///   Float32 `d` (`quantize_row_q8_0_ref`).
  public static func encode(_ values: Tensor, as type: GGMLType) throws(ExportError) -> Data {
    guard exportTypes.contains(type) else {
      throw .unsupported(
        "GGUF type \(type.name) (written: \(exportTypes.map(\.name).joined(separator: ", ")))")
    }
    guard type != .q8_0 || values.count % 32 == 0 else {
      throw .unsupported("Q8_0 needs whole blocks of 32 values, not \(values.count)")
    }
    return values.withUnsafeBufferPointer { x in
      switch type {
      case .f32:
        return Data(buffer: x)
      case .f16:
        var out = Data(count: 2 * x.count)
        out.withUnsafeMutableBytes { raw in
          let p = raw.bindMemory(to: UInt16.self)
          for i in 0..<x.count { p[i] = Float16(x[i]).bitPattern.littleEndian }
        }
        return out
      case .q8_0:
        var out = Data(count: x.count / 32 * 34)
        out.withUnsafeMutableBytes { raw in
          let base = raw.baseAddress!
          for block in 0..<(x.count / 32) {
            var amax: Float = 0
            for j in 0..<32 { amax = max(amax, abs(x[block * 32 + j])) }
            let d = amax / 127
            let inverse: Float = d != 0 ? 1 / d : 0
            let p = base + block * 34
            p.storeBytes(of: Float16(d).bitPattern.littleEndian, as: UInt16.self)
            for j in 0..<32 {
              let q = Int8((x[block * 32 + j] * inverse).rounded(.toNearestOrAwayFromZero))
              p.storeBytes(of: q, toByteOffset: 2 + j, as: Int8.self)
            }
          }
        }
        return out
      default:
        return Data()  // refused above
      }
    }
  }
}
