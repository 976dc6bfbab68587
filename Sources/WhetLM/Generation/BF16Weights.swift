import WhetNN
import WhetTensor

/// A decoder's linear weights packed once for bf16 products (``BF16Matrix``), in the groups
/// ``DecoderInference`` multiplies: Q/K/V stacked, gate/up stacked, the output and down
/// projections alone, and the output projection (vocabulary).
///
/// Batched decoding under ``MatMulPrecision/bf16`` is compute-bound from a few dozen rows,
/// where these tiles run at about twice fp32 GEMM; packing each weight once per `generate`
/// call instead of once per step removes the repacking from every step. The weights are read
/// when the pack is made, so it must not outlive an update of them (``Generator`` makes one
/// per call).
public final class BF16Weights: @unchecked Sendable {
  private var matrices: [ObjectIdentifier: BF16Matrix] = [:]
  /// The output projection `[V, C]`.
  public let output: BF16Matrix

  /// Packs every weight of `model` (about 2 bytes per parameter). Needs AVX-512 BF16.
  public init(_ model: TransformerDecoder) {
    output = BF16Matrix(weight: model.outputWeight.value)
    for layer in model.layers {
      let a = layer.attention, mlp = layer.mlp
      add([a.qProj, a.kProj, a.vProj])
      add([a.oProj])
      add([mlp.gateProj, mlp.upProj])
      add([mlp.downProj])
    }
  }

  private func add(_ group: [Linear]) {
    let weight =
      group.count == 1
      ? group[0].weight.value : Tensor.concatenate(group.map(\.weight.value), alongAxis: 0)
    matrices[ObjectIdentifier(group[0])] = BF16Matrix(weight: weight)
  }

  /// The packed weights of the group that starts with `first` (Q for Q/K/V, gate for
  /// gate/up), or of a layer alone.
  public func matrix(startingWith first: Linear) -> BF16Matrix? {
    matrices[ObjectIdentifier(first)]
  }

  /// `x` `[N, K]` times the packed `[M, K]` weight, transposed: `[N, M]`.
  static func multiply(_ x: Tensor, _ w: BF16Matrix) -> Tensor {
    let n = x.rowCount
    return Tensor(shape: [n, w.n]) { out in
      x.withUnsafeBufferPointer { px in
        BF16GEMM.multiply(
          m: n, a: px.baseAddress!, lda: x.lastDimension, b: w, c: out.baseAddress!, ldc: w.n)
      }
    }
  }
}
