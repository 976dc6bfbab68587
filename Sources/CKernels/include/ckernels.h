// Quantized dot-product kernels for decoding: int16 activations (quantized per block of 32)
// against 4- or 8-bit weight blocks, with integer dot products that Swift's SIMD types cannot
// express (AVX-512 VNNI `vpdpwssd`, and `vpdpbusd` on the int16 inputs split into byte planes;
// AVX2 `vpmaddwd`). int16 rather than llama.cpp's int8
// activations: int8 moved SmolLM2's logits by up to 0.26 and changed greedy continuations.
//
// The library is built for the portable floor; each path is compiled with its own target
// attribute and chosen at run time from CPUID (`whet_kernels_best`), or forced by name (the
// Swift side passes WHET_KERNELS=portable|avx2|avx512vnni).
#ifndef WHET_CKERNELS_H
#define WHET_CKERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Kernel paths, slowest and most portable first.
enum {
  WHET_KERNELS_PORTABLE = 0,
  WHET_KERNELS_AVX2 = 1,
  WHET_KERNELS_AVX512VNNI = 2,
};

/// Weight block formats: 32 elements per block, one scale `d` and one offset `m` per block.
enum {
  /// 16 bytes per block: byte j holds element j (low nibble) and j + 16 (high nibble), values
  /// q in 0...15; x = q·d + m (ggml's Q4_0 with m = −8d, Q4_1, and Q4_K's sub-blocks).
  WHET_BLOCK_NIBBLE = 0,
  /// 32 signed bytes per block, q in −128...127; x = q·d + m (ggml's Q8_0 with m = 0).
  WHET_BLOCK_BYTE = 1,
};

/// 1 if `path` runs on this CPU and OS (AVX state enabled by the OS included).
int whet_kernels_supported(int path);

/// The fastest supported path, or the one `forced` names ("portable", "avx2", "avx512vnni";
/// the caller passes WHET_KERNELS). An unsupported or unknown name falls back to the fastest
/// supported path and sets `*refused` to 1; NULL or "" chooses the fastest.
int whet_kernels_best(const char *forced, int *refused);

/// Quantizes `blocks` blocks of 32 floats to int16: d = max|x| / 32767, q = round-to-nearest-even(x / d)
/// (computed as x · (1/d)), and the exact block sums Σx for the weight offsets. A block whose
/// max |x| is below 1e-30 gets d = 0 and q = 0; a block with a non-finite value gets d = NaN.
/// Every path gives bit-identical results.
void whet_quantize_q16(
  int path, const float *x, int blocks, int16_t *q, float *d, float *sums);

/// out[b·ldo + r] = Σ_blk wd[r,blk]·xd[b,blk]·Σ_j wq[r,blk,j]·xq[b,blk,j] + wm[r,blk]·xs[b,blk]
/// for rows r in [row_begin, row_end) of a weight with `blocks` blocks per row and inputs b in
/// [0, n). Weight row r starts at w + r·blocks·bytes_per_block (16 or 32). `wm` NULL means
/// every offset is 0 (Q8_0): the offset term is skipped and its array never read.
void whet_quantized_product(
  int path, int format, const uint8_t *w, const float *wd, const float *wm, int blocks,
  int row_begin, int row_end, const int16_t *xq, const float *xd, const float *xs, int n,
  float *out, int ldo);

/// A buffer of `bytes` for weights that decoding streams from memory once per token: from
/// 2 MiB up it is 2 MiB-aligned and advised for transparent huge pages (fewer TLB misses:
/// the products read 2–14 % faster in a one-off timing loop). NULL when out of memory.
/// Free with whet_free_weights.
void *whet_allocate_weights(size_t bytes);
void whet_free_weights(void *p);

#ifdef __cplusplus
}
#endif

#endif
