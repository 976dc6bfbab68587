import CKernels

/// The precision of matrix products.
///
/// - `fp32`: fp32 operands and accumulation (OpenBLAS `sgemm`).
/// - `bf16`: mixed precision in the manner of PyTorch's CPU autocast: both operands are rounded
///   to bfloat16 (to nearest, ties to even; subnormals to zero) and their products accumulated
///   in fp32; results, weights and every other op stay fp32 (fp32 master weights). On CPUs with
///   AVX-512 BF16 the products run on `vdpbf16ps` (``BF16GEMM``); elsewhere the rounded
///   operands go through `sgemm`, which gives the same numbers up to fp32 summation order.
///   Kalamkar et al. 2019, "A Study of BFLOAT16 for Deep Learning Training".
public enum MatMulPrecision: String, Sendable, CaseIterable, Codable {
  case fp32, bf16
}

/// The matrix-product precision in effect for the current task or thread, set for a scope
/// the way `torch.autocast` is.
public enum MixedPrecision {
  @TaskLocal public static var matmul: MatMulPrecision = .fp32

  /// Runs `body` with every matrix product (``GEMM/product(transposeA:transposeB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)``)
  /// in `precision`.
  public static func with<R>(_ precision: MatMulPrecision, _ body: () throws -> R) rethrows -> R {
    try $matmul.withValue(precision, operation: body)
  }

  /// Whether bf16 products run on `vdpbf16ps` here: the CPU has AVX-512 BF16 and the kernel
  /// path is not forced below AVX-512 (`WHET_KERNELS=avx2` or `portable` turns them off).
  public static let hardwareBF16: Bool = cpuHasBF16 && CPUKernels.path == .avx512vnni

  static let cpuHasBF16 = whet_bf16_supported() != 0
}
