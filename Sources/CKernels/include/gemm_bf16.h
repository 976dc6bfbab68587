// Mixed-precision matrix products: fp32 operands rounded to bfloat16, products accumulated in
// fp32, fp32 results. On CPUs with AVX-512 BF16 the inner loop is `vdpbf16ps`, which takes
// two bf16 pairs per fp32 lane per instruction: twice the multiply-adds of an fp32 FMA.
//
// Operands are first packed (`whet_bf16_pack`) into panels of `width` rows with consecutive
// pairs along the shared dimension k, the layout `vdpbf16ps` reads: panel p, pair q, lane i
// is one 32-bit word holding bf16(x[p·width + i, 2q]) in its low half and
// bf16(x[p·width + i, 2q + 1]) in its high half. Rows past the end and an odd last column are
// zero. Rounding is to nearest, ties to even; subnormal values become zero of the same sign
// (as `vdpbf16ps` itself treats them), NaN stays NaN and ±inf stays ±inf.
//
// CPUs without AVX-512 BF16 get the same numbers another way: `whet_bf16_round` rounds the
// operands the same way, and an fp32 GEMM multiplies them (bf16 products are exact in fp32), so
// the paths differ only by fp32 summation order.
#ifndef WHET_GEMM_BF16_H
#define WHET_GEMM_BF16_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Rows per panel of the left operand and of the right operand (the micro-tile is
/// WHET_BF16_MR × WHET_BF16_NR outputs).
enum { WHET_BF16_MR = 12, WHET_BF16_NR = 32 };

/// 1 if this CPU and OS run AVX-512 BF16 (`vdpbf16ps`), with AVX-512F, BW and VL.
int whet_bf16_supported(void);

/// out[i] = x[i] rounded to bf16 as `whet_bf16_pack` rounds it, as a float (`out` may be `x`).
void whet_bf16_round(const float *x, long n, float *out);

/// The number of 32-bit words `whet_bf16_pack` writes for `rows` × `k` in panels of `width`.
long whet_bf16_packed_words(int rows, int k, int width);

/// Packs the logical `[rows, k]` matrix whose element (r, c) is src[r·row_stride + c·col_stride]
/// into bf16 panels of `width` rows (layout above) at `dst`, for panels [panel_begin, panel_end).
/// `use_bf16_instructions` converts with AVX-512 BF16 (same bits as the portable rounding).
void whet_bf16_pack(
  int use_bf16_instructions, const float *src, long row_stride, long col_stride, int rows, int k, int width,
  int panel_begin, int panel_end, uint32_t *dst);

/// c[i·ldc + j] = alpha·Σ_c a[i, c]·b[j, c] + beta·c[i·ldc + j] for rows i in the A panels
/// [panel_begin, panel_end) (WHET_BF16_MR rows each, the last one clipped at m) and columns j
/// in the B panels [column_panel_begin, column_panel_end) (WHET_BF16_NR columns each, clipped
/// at n). `a` is packed with width WHET_BF16_MR and `b` with width WHET_BF16_NR, both over the
/// same k. With beta == 0, c is only written (its old contents may be NaN).
/// Only when `whet_bf16_supported()`.
void whet_bf16_gemm(
  const uint32_t *a, const uint32_t *b, int m, int n, int k, int panel_begin, int panel_end,
  int column_panel_begin, int column_panel_end, float alpha, float beta, float *c, long ldc);

#ifdef __cplusplus
}
#endif

#endif
