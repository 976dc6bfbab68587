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
/// panels (and by column panels too when there are few rows). Without it, the operands are
/// rounded the same way into fp32 copies and multiplied by `sgemm`.
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
    let right = BF16Matrix(b, ldb: ldb, transposed: transposeB, n: n, k: k)
    multiply(
      transposeA: transposeA, m: m, alpha: alpha, a: a, lda: lda, b: right, beta: beta, c: c,
      ldc: ldc)
  }

  /// `C = alpha·op(A)·Bᵀ + beta·C` for a right operand packed once (``BF16Matrix``, `[N, K]`),
  /// `op(A)` `[M, K]`. Needs AVX-512 BF16 (``MixedPrecision/hardwareBF16``).
  public static func multiply(
    transposeA: Bool = false, m: Int, alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
    b: BF16Matrix, beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
  ) {
    let n = b.n, k = b.k
    if m == 0 || n == 0 { return }
    let mr = Int(WHET_BF16_MR), nr = Int(WHET_BF16_NR)
    let rowPanels = (m + mr - 1) / mr, columnPanels = (n + nr - 1) / nr
    let aWords = whet_bf16_packed_words(Int32(m), Int32(k), Int32(mr))
    let (aRow, aColumn) = transposeA ? (1, lda) : (lda, 1)
    let packedA = UnsafeMutablePointer<UInt32>.allocate(capacity: aWords)
    AllocationStatistics.allocated(aWords * 4)
    defer {
      packedA.deallocate()
      AllocationStatistics.freed(aWords * 4)
    }
    parallelFor(rowPanels, minimumPerTask: max(1, 16_384 / max(1, k * mr)), tasksPerWorker: 1) {
      panels in
      whet_bf16_pack(
        1, a, aRow, aColumn, Int32(m), Int32(k), Int32(mr), Int32(panels.lowerBound),
        Int32(panels.upperBound), packedA)
    }
    // At least about 64k multiply-adds per task, so small products stay on one thread. With
    // fewer row panels than tasks wanted, the columns are split too.
    let wanted = 2 * Parallelism.workerCount
    let chunks = rowPanels >= wanted ? 1 : min(columnPanels, (wanted + rowPanels - 1) / rowPanels)
    let perTask = mr * k * (n / chunks)
    let minimum = max(1, 65_536 / max(1, perTask))
    let (pm, pn, pk) = (Int32(m), Int32(n), Int32(k))
    if chunks == 1 {
      parallelFor(rowPanels, minimumPerTask: minimum, tasksPerWorker: 2) { panels in
        whet_bf16_gemm(
          packedA, b.words, pm, pn, pk, Int32(panels.lowerBound), Int32(panels.upperBound), 0,
          Int32(columnPanels), alpha, beta, c, ldc)
      }
      return
    }
    parallelFor(rowPanels * chunks, minimumPerTask: minimum, tasksPerWorker: 1) { tasks in
      for t in tasks {
        let panel = Int32(t / chunks), chunk = t % chunks
        whet_bf16_gemm(
          packedA, b.words, pm, pn, pk, panel, panel + 1, Int32(columnPanels * chunk / chunks),
          Int32(columnPanels * (chunk + 1) / chunks), alpha, beta, c, ldc)
      }
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

/// The right operand of bf16 products, packed once: `[N, K]` in bf16 panels of 32 rows
/// (`whet_bf16_pack`), for `x·Wᵀ` with `W` `[N, K]`. Decoding packs each weight once per
/// `generate` call and reuses it at every step. Needs AVX-512 BF16.
public final class BF16Matrix: @unchecked Sendable {
  public let n: Int, k: Int
  let words: UnsafeMutablePointer<UInt32>
  let count: Int

  /// `weight` `[N, K]` (a linear layer's `[out, in]`).
  public convenience init(weight: Tensor) {
    precondition(weight.rank == 2, "BF16Matrix: weight must be [N, K], got \(weight.shape)")
    let (n, k) = (weight.shape[0], weight.shape[1])
    self.init(rows: n, k: k) { panels, out in
      weight.withUnsafeBufferPointer { pw in
        whet_bf16_pack(
          1, pw.baseAddress!, k, 1, Int32(n), Int32(k), Int32(WHET_BF16_NR),
          Int32(panels.lowerBound),
          Int32(panels.upperBound), out)
      }
    }
  }

  /// `op(B)`ᵀ for `op(B)` `[K, N]` stored at `b` with leading dimension `ldb`.
  convenience init(_ b: UnsafePointer<Float>, ldb: Int, transposed: Bool, n: Int, k: Int) {
    // Element (j, c) of the packed [N, K] is op(B)[c, j] = b[c·ldb + j] (or b[j·ldb + c]).
    let (row, column) = transposed ? (ldb, 1) : (1, ldb)
    self.init(rows: n, k: k) { panels, out in
      whet_bf16_pack(
        1, b, row, column, Int32(n), Int32(k), Int32(WHET_BF16_NR), Int32(panels.lowerBound),
        Int32(panels.upperBound), out)
    }
  }

  private init(rows n: Int, k: Int, pack: (Range<Int>, UnsafeMutablePointer<UInt32>) -> Void) {
    self.n = n
    self.k = k
    count = whet_bf16_packed_words(Int32(n), Int32(k), Int32(WHET_BF16_NR))
    words = .allocate(capacity: max(count, 1))
    AllocationStatistics.allocated(count * 4)
    let panels = (n + Int(WHET_BF16_NR) - 1) / Int(WHET_BF16_NR)
    let out = words
    parallelFor(
      panels, minimumPerTask: max(1, 16_384 / max(1, k * Int(WHET_BF16_NR))), tasksPerWorker: 1
    ) { range in pack(range, out) }
  }

  deinit {
    words.deallocate()
    AllocationStatistics.freed(count * 4)
  }
}
