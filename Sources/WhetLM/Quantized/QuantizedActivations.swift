import CKernels
import WhetTensor

/// Activations `[N, K]` quantized per block of 32 for ``PackedMatrix`` products: int16 values,
/// one scale per block (`max|x| / 32767`) and each block's exact sum (for the weights' offsets).
/// The same on every kernel path, bit for bit.
struct QuantizedActivations {
  let values: [Int16]
  let scales: [Float]
  let sums: [Float]

  init(_ x: Tensor, path: CPUKernels.Path) {
    let blocks = x.count / 32
    var values = [Int16](repeating: 0, count: blocks * 32)
    var scales = [Float](repeating: 0, count: blocks)
    var sums = [Float](repeating: 0, count: blocks)
    x.withUnsafeBufferPointer { px in
      values.withUnsafeMutableBufferPointer { q in
        scales.withUnsafeMutableBufferPointer { d in
          sums.withUnsafeMutableBufferPointer { s in
            whet_quantize_q16(
              path.rawValue, px.baseAddress!, Int32(blocks), q.baseAddress!, d.baseAddress!,
              s.baseAddress!)
          }
        }
      }
    }
    self.values = values
    self.scales = scales
    self.sums = sums
  }

  func withPointers<R>(
    _ body: (UnsafePointer<Int16>, UnsafePointer<Float>, UnsafePointer<Float>) -> R
  ) -> R {
    values.withUnsafeBufferPointer { q in
      scales.withUnsafeBufferPointer { d in
        sums.withUnsafeBufferPointer { s in body(q.baseAddress!, d.baseAddress!, s.baseAddress!) }
      }
    }
  }
}
