#if canImport(Accelerate)
  import Accelerate
#else
  import CBLAS
#endif

/// Thin wrappers over the single-precision BLAS routines Whetstone uses.
///
/// This is the only file that imports the BLAS module, so switching the library
/// (OpenBLAS, BLIS, Accelerate) touches nothing else.
public enum BLAS {
  /// Runs once, before the first BLAS call: picks OpenBLAS's kernels for this CPU when the
  /// library's own detection falls back to its slowest ones, and tunes its thread pool for
  /// Whetstone's mix of BLAS and its own threaded kernels (see `shim.h`).
  @usableFromInline static let configured: Bool = {
    #if !canImport(Accelerate)
      _ = whet_openblas_choose_core()
      whet_openblas_configure_threads()
    #endif
    return true
  }()

  /// The kernel set the BLAS library uses (OpenBLAS's core name), for benchmark reports.
  public static var kernel: String {
    _ = configured
    #if canImport(Accelerate)
      return "Accelerate"
    #else
      return openblas_get_corename().map { String(cString: $0) } ?? "unknown"
    #endif
  }

  /// Row-major `C = alpha * op(A) * op(B) + beta * C` with `op(A)` `[M, K]`, `op(B)` `[K, N]`.
  ///
  /// Transposes are passed to BLAS as flags; nothing is copied.
  @inlinable public static func gemm(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
    alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
    b: UnsafePointer<Float>, ldb: Int,
    beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
  ) {
    if m == 0 || n == 0 { return }
    _ = configured
    if k == 0 {
      // BLAS leaves C untouched for k == 0 only when beta == 1; make the semantics explicit.
      for i in 0..<m { for j in 0..<n { c[i * ldc + j] *= beta } }
      return
    }
    cblas_sgemm(
      CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans,
      transposeB ? CblasTrans : CblasNoTrans,
      Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
  }

  /// Row-major `y = alpha * op(A) * x + beta * y`, `A` `[M, N]`.
  @inlinable public static func gemv(
    transpose: Bool, m: Int, n: Int, alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
    x: UnsafePointer<Float>, beta: Float = 0, y: UnsafeMutablePointer<Float>
  ) {
    if m == 0 || n == 0 { return }
    _ = configured
    cblas_sgemv(
      CblasRowMajor, transpose ? CblasTrans : CblasNoTrans, Int32(m), Int32(n), alpha, a,
      Int32(lda), x, 1, beta, y, 1)
  }
}
