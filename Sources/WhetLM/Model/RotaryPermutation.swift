import WhetTensor

/// llama.cpp's converter reorders the rows of Llama's Q and K projections so that each head's
/// rotary pairs are adjacent (interleaved RoPE). Whetstone uses Hugging Face's "rotate half"
/// layout, so the permutation is undone on load and redone on export.
///
/// Within head `h` of size `D`, HF row `h·D + s·D/2 + i` (half `s` ∈ {0, 1}, `i` < D/2) is
/// GGUF row `h·D + 2i + s` (the converter's `reshape(heads, 2, D/2, …).swapaxes(1, 2)`).
public enum RotaryPermutation {
  /// Rows of `weight` (`[heads·D, …]`, GGUF order) in HF order.
  public static func toHF(_ weight: Tensor, heads: Int) -> Tensor {
    permute(weight, heads: heads, toHF: true)
  }

  /// Rows of `weight` (`[heads·D, …]`, HF order) in GGUF order.
  public static func toGGUF(_ weight: Tensor, heads: Int) -> Tensor {
    permute(weight, heads: heads, toHF: false)
  }

  static func permute(_ weight: Tensor, heads: Int, toHF: Bool) -> Tensor {
    let rows = weight.shape[0]
    let width = weight.count / max(rows, 1)
    precondition(rows % (2 * heads) == 0, "rotary permutation: \(rows) rows for \(heads) heads")
    let d = rows / heads, half = d / 2
    return Tensor(shape: weight.shape) { out in
      weight.withUnsafeBufferPointer { src in
        for h in 0..<heads {
          for s in 0..<2 {
            for i in 0..<half {
              let hfRow = h * d + s * half + i, ggufRow = h * d + 2 * i + s
              let (to, from) = toHF ? (hfRow, ggufRow) : (ggufRow, hfRow)
              (out.baseAddress! + to * width).update(
                from: src.baseAddress! + from * width, count: width)
            }
          }
        }
      }
    }
  }
}
