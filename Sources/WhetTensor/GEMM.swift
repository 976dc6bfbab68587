import CKernels

/// Row-major `C = alpha·op(A)·op(B) + beta·C`, `op(A)` `[M, K]`, `op(B)` `[K, N]`, in the
/// precision of ``MixedPrecision/matmul``: `sgemm` for fp32, ``BF16GEMM`` for bf16.
/// Every matrix product of the model goes through here.
public enum GEMM {
  @inlinable public static func product(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
    alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
    b: UnsafePointer<Float>, ldb: Int,
    beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
  ) {
    if MixedPrecision.matmul == .bf16 && m > 0 && n > 0 && k > 0 {
      BF16GEMM.product(
        transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha, a: a,
        lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    } else {
      BLAS.gemm(
        transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha, a: a,
        lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }
  }
}

/// Matrix products with bf16 operands and fp32 accumulation (see ``MatMulPrecision/bf16``).
///
/// With AVX-512 BF16, both operands are packed into bf16 panels (`whet_bf16_pack`: rows of
/// `op(A)` in panels of 12, columns of `op(B)` in panels of 32, consecutive pairs along `K`)
/// and 12 × 32 tiles of `C` are accumulated by `vdpbf16ps`, split over the workers by row
/// panels. Without it, the operands are rounded the same way into fp32 copies and multiplied
/// by `sgemm`.
public enum BF16GEMM {
  public static func product(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
    alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
    b: UnsafePointer<Float>, ldb: Int,
    beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int,
    hardware: Bool = MixedPrecision.hardwareBF16
  ) {
    // `hardware: false` takes the rounding path on any CPU (the tests compare the two).
    guard hardware && MixedPrecision.cpuHasBF16 else {
      rounded(
        transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha, a: a,
        lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
      return
    }
    let mr = Int(WHET_BF16_MR), nr = Int(WHET_BF16_NR)
    let rowPanels = (m + mr - 1) / mr, columnPanels = (n + nr - 1) / nr
    let aWords = whet_bf16_packed_words(Int32(m), Int32(k), Int32(mr))
    let bWords = whet_bf16_packed_words(Int32(n), Int32(k), Int32(nr))
    // op(A)[i, c] = a[i·lda + c] (or a[c·lda + i]); op(B) is packed as its transpose
    // [N, K]: element (j, c) = op(B)[c, j] = b[c·ldb + j] (or b[j·ldb + c]).
    let (aRow, aColumn) = transposeA ? (1, lda) : (lda, 1)
    let (bRow, bColumn) = transposeB ? (ldb, 1) : (1, ldb)
    let workspace = UnsafeMutablePointer<UInt32>.allocate(capacity: aWords + bWords)
    AllocationStatistics.allocated((aWords + bWords) * 4)
    defer {
      workspace.deallocate()
      AllocationStatistics.freed((aWords + bWords) * 4)
    }
    let packedA = workspace, packedB = workspace + aWords
    let minimumElements = 16_384  // per packing task
    parallelFor(
      columnPanels, minimumPerTask: max(1, minimumElements / max(1, k * nr)), tasksPerWorker: 1
    ) { panels in
      whet_bf16_pack(
        1, b, bRow, bColumn, Int32(n), Int32(k), Int32(nr), Int32(panels.lowerBound),
        Int32(panels.upperBound), packedB)
    }
    parallelFor(
      rowPanels, minimumPerTask: max(1, minimumElements / max(1, k * mr)), tasksPerWorker: 1
    ) { panels in
      whet_bf16_pack(
        1, a, aRow, aColumn, Int32(m), Int32(k), Int32(mr), Int32(panels.lowerBound),
        Int32(panels.upperBound), packedA)
    }
    // About 64k multiply-adds per task at the least, so small products stay on one thread.
    let perPanel = mr * n * k
    parallelFor(rowPanels, minimumPerTask: max(1, 65_536 / max(1, perPanel)), tasksPerWorker: 2) {
      panels in
      whet_bf16_gemm(
        packedA, packedB, Int32(m), Int32(n), Int32(k), Int32(panels.lowerBound),
        Int32(panels.upperBound), alpha, beta, c, ldc)
    }
  }

  /// The path without `vdpbf16ps`: both operands' stored extents rounded to bf16 in fp32
  /// copies, then `sgemm`.
  static func rounded(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
    alpha: Float, a: UnsafePointer<Float>, lda: Int,
    b: UnsafePointer<Float>, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
  ) {
    // Stored rows × leading dimension, the last row only as long as it is used.
    let aCount = ((transposeA ? k : m) - 1) * lda + (transposeA ? m : k)
    let bCount = ((transposeB ? n : k) - 1) * ldb + (transposeB ? k : n)
    withWorkspace(aCount + bCount) { copy in
      whet_bf16_round(a, aCount, copy)
      whet_bf16_round(b, bCount, copy + aCount)
      BLAS.gemm(
        transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
        a: copy, lda: lda, b: copy + aCount, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }
  }
}
