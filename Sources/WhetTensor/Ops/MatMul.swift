/// Matrix products through ``GEMM`` (BLAS, or bf16 under ``MixedPrecision``), with transposes
/// passed as flags.

extension Tensor {
  /// Row-major matrix product `op(a) · op(b)`.
  ///
  /// - `a` `[..., M, K]` (or `[..., K, M]` when `transposeA`), `b` `[K, N]` (or `[N, K]`):
  ///   all leading axes of `a` are folded into `M`, so the whole product is one GEMM.
  /// - `a` and `b` both rank 3 with the same batch: one GEMM per batch element.
  ///   (A 2-D `b` is folded into one GEMM, so its gradient needs no sum over a batch.)
  public static func matmul(
    _ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false
  ) -> Tensor {
    let g = MatMulGeometry(a.shape, b.shape, transposeA: transposeA, transposeB: transposeB)
    // Uninitialised: beta = 0 overwrites every element.
    return Tensor(shape: g.outputShape) { c in
      a.withUnsafeBufferPointer { pa in
        b.withUnsafeBufferPointer { pb in
          for i in 0..<g.batch {
            GEMM.product(
              transposeA: transposeA, transposeB: transposeB, m: g.m, n: g.n, k: g.k,
              a: pa.baseAddress! + i * g.m * g.k, lda: transposeA ? g.m : g.k,
              b: pb.baseAddress! + (g.sharedB ? 0 : i * g.k * g.n), ldb: transposeB ? g.k : g.n,
              c: c.baseAddress! + i * g.m * g.n, ldc: g.n)
          }
        }
      }
    }
  }
}

/// The sizes of one `matmul`, checked once.
@usableFromInline struct MatMulGeometry {
  var batch = 1, m = 0, n = 0, k = 0
  var sharedB = true
  var outputShape: [Int] = []

  init(_ a: [Int], _ b: [Int], transposeA: Bool, transposeB: Bool) {
    precondition(a.count >= 2 && (b.count == 2 || b.count == 3), "matmul: shapes \(a), \(b)")
    if b.count == 2 {
      precondition(
        !transposeA || a.count == 2, "matmul: transposeA with a shared 2-D b needs a 2-D a")
      let (ar, ac) = (a.dropLast().reduce(1, *), a.last!)
      m = transposeA ? ac : ar
      k = transposeA ? ar : ac
      let (bk, bn) = transposeB ? (b[1], b[0]) : (b[0], b[1])
      precondition(bk == k, "matmul: inner sizes differ, \(a) and \(b)")
      n = bn
      outputShape = transposeA ? [m, n] : Array(a.dropLast()) + [n]
    } else {
      precondition(a.count == 3 && a[0] == b[0], "matmul: batched shapes \(a), \(b)")
      batch = a[0]
      sharedB = false
      m = transposeA ? a[2] : a[1]
      k = transposeA ? a[1] : a[2]
      let (bk, bn) = transposeB ? (b[2], b[1]) : (b[1], b[2])
      precondition(bk == k, "matmul: inner sizes differ, \(a) and \(b)")
      n = bn
      outputShape = [batch, m, n]
    }
  }
}

/// `op(a) · op(b)` with gradients to both operands.
///
/// Backward (per batch element, `C = op(A)·op(B)`): `dA = dC·op(B)ᵀ`, `dB = op(A)ᵀ·dC`,
/// written back in the stored layout of each operand, again through BLAS flags.
public func matmul(
  _ a: Variable, _ b: Variable, transposeA: Bool = false, transposeB: Bool = false
) -> Variable {
  let av = a.value, bv = b.value
  let out = Tensor.matmul(av, bv, transposeA: transposeA, transposeB: transposeB)
  return Variable.result(out, inputs: [a, b]) { dc in
    let g = MatMulGeometry(av.shape, bv.shape, transposeA: transposeA, transposeB: transposeB)
    dc.withUnsafeBufferPointer { pdc in
      av.withUnsafeBufferPointer { pa in
        bv.withUnsafeBufferPointer { pb in
          let dcp = pdc.baseAddress!, ap = pa.baseAddress!, bp = pb.baseAddress!
          if a.isTracked {
            var da = Tensor.zeros(av.shape)
            da.withUnsafeMutableBufferPointer { pda in
              for i in 0..<g.batch {
                let dci = dcp + i * g.m * g.n
                let bi = bp + (g.sharedB ? 0 : i * g.k * g.n)
                let dai = pda.baseAddress! + i * g.m * g.k
                if !transposeA {  // dA [M, K] = dC [M, N] · op(B)ᵀ
                  GEMM.product(
                    transposeA: false, transposeB: !transposeB, m: g.m, n: g.k, k: g.n,
                    a: dci, lda: g.n, b: bi, ldb: transposeB ? g.k : g.n, c: dai, ldc: g.k)
                } else {  // stored A is [K, M]: dAᵀ = op(B) · dCᵀ
                  GEMM.product(
                    transposeA: transposeB, transposeB: true, m: g.k, n: g.m, k: g.n,
                    a: bi, lda: transposeB ? g.k : g.n, b: dci, ldb: g.n, c: dai, ldc: g.m)
                }
              }
            }
            a.accumulateGradient(da)
          }
          if b.isTracked {
            var db = Tensor.zeros(bv.shape)
            db.withUnsafeMutableBufferPointer { pdb in
              for i in 0..<g.batch {
                let dci = dcp + i * g.m * g.n
                let ai = ap + i * g.m * g.k
                let dbi = pdb.baseAddress! + (g.sharedB ? 0 : i * g.k * g.n)
                if !transposeB {  // dB [K, N] = op(A)ᵀ · dC
                  GEMM.product(
                    transposeA: !transposeA, transposeB: false, m: g.k, n: g.n, k: g.m,
                    a: ai, lda: transposeA ? g.m : g.k, b: dci, ldb: g.n, c: dbi, ldc: g.n)
                } else {  // stored B is [N, K]: dBᵀ = dCᵀ · op(A)
                  GEMM.product(
                    transposeA: true, transposeB: transposeA, m: g.n, n: g.k, k: g.m,
                    a: dci, lda: g.n, b: ai, ldb: transposeA ? g.m : g.k, c: dbi, ldc: g.k)
                }
              }
            }
            b.accumulateGradient(db)
          }
        }
      }
    }
  }
}
