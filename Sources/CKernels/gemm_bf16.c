// Mixed-precision matrix products (see gemm_bf16.h): packing to bf16 panels and a 12 × 32
// micro-tile on `vdpbf16ps`.
#include "gemm_bf16.h"

#include <string.h>

#if defined(__x86_64__) || defined(_M_X64)
#define WHET_X86 1
#include <cpuid.h>
#include <immintrin.h>
#endif

// MARK: - CPU features

int whet_bf16_supported(void) {
#ifdef WHET_X86
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
  if (!((c >> 27) & 1)) return 0;  // OSXSAVE
  uint32_t lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  if ((lo & 0xE6) != 0xE6) return 0;  // XMM, YMM, opmask and ZMM state
  if (__get_cpuid_max(0, 0) < 7) return 0;
  __cpuid_count(7, 0, a, b, c, d);
  int f = (b >> 16) & 1, bw = (b >> 30) & 1, vl = (b >> 31) & 1;
  if (!(f && bw && vl) || a < 1) return 0;
  __cpuid_count(7, 1, a, b, c, d);
  return (a >> 5) & 1;  // AVX512_BF16
#else
  return 0;
#endif
}

// MARK: - Packing

/// bf16 bits of `f`: round to nearest, ties to even; subnormals to signed zero; NaN quiet.
static inline uint32_t whet_bf16_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  uint32_t magnitude = u & 0x7fffffffu;
  if (magnitude > 0x7f800000u) return (u >> 16) | 0x40u;
  if (magnitude < 0x00800000u) return (u >> 16) & 0x8000u;
  return (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
}

void whet_bf16_round(const float *x, long n, float *out) {
  for (long i = 0; i < n; i++) {
    uint32_t bits = whet_bf16_bits(x[i]) << 16;
    memcpy(out + i, &bits, 4);
  }
}

long whet_bf16_packed_words(int rows, int k, int width) {
  long panels = (rows + width - 1) / width, pairs = (k + 1) / 2;
  return panels * pairs * width;
}

#ifdef WHET_X86
#define WHET_BF16_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))

/// 16 words from two contiguous runs of 16 floats: word i = bf16(even[i]) | bf16(odd[i]) << 16.
WHET_BF16_TARGET static inline __m512i whet_bf16_interleave(const float *even, const float *odd, __mmask16 mask) {
  __m256i lo = (__m256i)_mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(mask, even));
  __m256i hi = odd ? (__m256i)_mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(mask, odd)) : _mm256_setzero_si256();
  return _mm512_or_si512(_mm512_cvtepu16_epi32(lo), _mm512_slli_epi32(_mm512_cvtepu16_epi32(hi), 16));
}

/// Transposes 16 rows of 16 words in place: afterwards r[c] holds column c of the input.
WHET_BF16_TARGET static inline void whet_transpose16(__m512i r[16]) {
  __m512i t[16];
  for (int i = 0; i < 8; i++) {
    t[2 * i] = _mm512_unpacklo_epi32(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_epi32(r[2 * i], r[2 * i + 1]);
  }
  for (int i = 0; i < 4; i++) {
    r[4 * i] = _mm512_unpacklo_epi64(t[4 * i], t[4 * i + 2]);
    r[4 * i + 1] = _mm512_unpackhi_epi64(t[4 * i], t[4 * i + 2]);
    r[4 * i + 2] = _mm512_unpacklo_epi64(t[4 * i + 1], t[4 * i + 3]);
    r[4 * i + 3] = _mm512_unpackhi_epi64(t[4 * i + 1], t[4 * i + 3]);
  }
  for (int i = 0; i < 2; i++) {
    for (int j = 0; j < 4; j++) {
      t[8 * i + j] = _mm512_shuffle_i32x4(r[8 * i + j], r[8 * i + 4 + j], 0x88);
      t[8 * i + 4 + j] = _mm512_shuffle_i32x4(r[8 * i + j], r[8 * i + 4 + j], 0xdd);
    }
  }
  for (int j = 0; j < 8; j++) {
    r[j] = _mm512_shuffle_i32x4(t[j], t[8 + j], 0x88);
    r[j + 8] = _mm512_shuffle_i32x4(t[j], t[8 + j], 0xdd);
  }
}

/// One panel of `count` rows on AVX-512 BF16 with unit column stride: up to 16 rows × 16 pairs
/// at a time, converted by `vcvtne2ps2bf16` and transposed in registers.
WHET_BF16_TARGET static void whet_bf16_pack_rows_avx512(
  const float *src, long row_stride, int count, int k, int width, uint32_t *panel) {
  long pairs = (k + 1) / 2;
  for (int i = 0; i < count; i += 16) {
    int n = count - i < 16 ? count - i : 16;
    __mmask16 mask = (__mmask16)((1u << n) - 1);
    long q = 0;
    for (; 2 * q + 32 <= k; q += 16) {
      __m512i r[16];
      for (int t = 0; t < 16; t++) {
        const float *row = src + (long)(i + t) * row_stride + 2 * q;
        r[t] = t < n ? (__m512i)_mm512_cvtne2ps_pbh(_mm512_loadu_ps(row + 16), _mm512_loadu_ps(row))
                     : _mm512_setzero_si512();
      }
      whet_transpose16(r);
      for (int t = 0; t < 16; t++) _mm512_mask_storeu_epi32(panel + (q + t) * width + i, mask, r[t]);
    }
    for (; q < pairs; q++) {  // the last pairs, fewer than 16
      for (int t = 0; t < n; t++) {
        const float *row = src + (long)(i + t) * row_stride;
        uint32_t high = 2 * q + 1 < k ? whet_bf16_bits(row[2 * q + 1]) : 0;
        panel[q * width + i + t] = whet_bf16_bits(row[2 * q]) | high << 16;
      }
    }
  }
}

/// Panels [panel_begin, panel_end) on AVX-512 BF16 with unit row stride: pair by pair across
/// all of them, so each source row is read once, contiguously.
WHET_BF16_TARGET static void whet_bf16_pack_columns_avx512(
  const float *src, long col_stride, int rows, int k, int width, int panel_begin, int panel_end,
  uint32_t *dst) {
  long pairs = (k + 1) / 2;
  for (long q = 0; q < pairs; q++) {
    const float *even = src + 2 * q * col_stride;
    const float *odd = 2 * q + 1 < k ? even + col_stride : 0;
    for (int p = panel_begin; p < panel_end; p++) {
      int first = p * width;
      int count = rows - first < width ? rows - first : width;
      uint32_t *out = dst + (long)p * pairs * width + q * width;
      for (int i = 0; i < count; i += 16) {
        int left = count - i < 16 ? count - i : 16;
        __mmask16 mask = (__mmask16)((1u << left) - 1);
        _mm512_mask_storeu_epi32(
          out + i, mask,
          whet_bf16_interleave(even + first + i, odd ? odd + first + i : 0, mask));
      }
    }
  }
}
#endif

void whet_bf16_pack(
  int use_bf16_instructions, const float *src, long row_stride, long col_stride, int rows, int k,
  int width, int panel_begin, int panel_end, uint32_t *dst) {
  long pairs = (k + 1) / 2, whole = k / 2;
#ifdef WHET_X86
  int columns = use_bf16_instructions && row_stride == 1 && col_stride != 1;
  if (columns) {
    whet_bf16_pack_columns_avx512(src, col_stride, rows, k, width, panel_begin, panel_end, dst);
  }
#else
  int columns = 0;
#endif
  for (int p = panel_begin; p < panel_end; p++) {
    uint32_t *panel = dst + (long)p * pairs * width;
    int first = p * width;
    int count = rows - first < width ? rows - first : width;
    if (columns) {
      // packed above
#ifdef WHET_X86
    } else if (use_bf16_instructions && col_stride == 1) {
      whet_bf16_pack_rows_avx512(src + (long)first * row_stride, row_stride, count, k, width, panel);
#endif
    } else if (col_stride == 1) {  // each row's pairs are adjacent in memory
      for (int i = 0; i < count; i++) {
        const float *row = src + (long)(first + i) * row_stride;
        for (long q = 0; q < whole; q++) {
          panel[q * width + i] = whet_bf16_bits(row[2 * q]) | whet_bf16_bits(row[2 * q + 1]) << 16;
        }
        if (k & 1) panel[whole * width + i] = whet_bf16_bits(row[k - 1]);
      }
    } else {  // walk k outermost so that unit row strides read contiguously
      for (long q = 0; q < pairs; q++) {
        const float *even = src + 2 * q * col_stride + (long)first * row_stride;
        const float *odd = even + col_stride;
        int hasOdd = 2 * q + 1 < k;
        for (int i = 0; i < count; i++) {
          uint32_t high = hasOdd ? whet_bf16_bits(odd[i * row_stride]) : 0;
          panel[q * width + i] = whet_bf16_bits(even[i * row_stride]) | high << 16;
        }
      }
    }
    for (long q = 0; q < pairs; q++) {
      for (int i = count; i < width; i++) panel[q * width + i] = 0;
    }
  }
}

// MARK: - Micro-tiles

#ifdef WHET_X86
WHET_BF16_TARGET static inline void whet_bf16_store_row(
  __m512 acc, float alpha, float beta, float *c, __mmask16 mask) {
  __m512 value = _mm512_mul_ps(acc, _mm512_set1_ps(alpha));
  if (beta != 0) {
    value = _mm512_fmadd_ps(_mm512_set1_ps(beta), _mm512_maskz_loadu_ps(mask, c), value);
  }
  _mm512_mask_storeu_ps(c, mask, value);
}

WHET_BF16_TARGET static void whet_bf16_tile_avx512(
  const uint32_t *a, const uint32_t *b, long pairs, int rows, int cols, float alpha, float beta,
  float *c, long ldc) {
  __m512 acc0[WHET_BF16_MR], acc1[WHET_BF16_MR];
#pragma clang loop unroll(full)
  for (int i = 0; i < WHET_BF16_MR; i++) {
    acc0[i] = _mm512_setzero_ps();
    acc1[i] = _mm512_setzero_ps();
  }
  for (long q = 0; q < pairs; q++) {
    __m512bh b0 = (__m512bh)_mm512_loadu_si512(b + q * WHET_BF16_NR);
    __m512bh b1 = (__m512bh)_mm512_loadu_si512(b + q * WHET_BF16_NR + 16);
    const uint32_t *aq = a + q * WHET_BF16_MR;
#pragma clang loop unroll(full)
    for (int i = 0; i < WHET_BF16_MR; i++) {
      __m512bh ai = (__m512bh)_mm512_set1_epi32((int)aq[i]);
      acc0[i] = _mm512_dpbf16_ps(acc0[i], ai, b0);
      acc1[i] = _mm512_dpbf16_ps(acc1[i], ai, b1);
    }
  }
  __mmask16 mask0 = cols >= 16 ? 0xffff : (__mmask16)((1u << cols) - 1);
  __mmask16 mask1 = cols >= 32 ? 0xffff : cols <= 16 ? 0 : (__mmask16)((1u << (cols - 16)) - 1);
#pragma clang loop unroll(full)
  for (int i = 0; i < WHET_BF16_MR; i++) {
    if (i < rows) {
      whet_bf16_store_row(acc0[i], alpha, beta, c + i * ldc, mask0);
      if (mask1) whet_bf16_store_row(acc1[i], alpha, beta, c + i * ldc + 16, mask1);
    }
  }
}
#endif

// MARK: - Products

void whet_bf16_gemm(
  const uint32_t *a, const uint32_t *b, int m, int n, int k, int panel_begin, int panel_end,
  int column_panel_begin, int column_panel_end, float alpha, float beta, float *c, long ldc) {
  long pairs = (k + 1) / 2;
  int columnEnd = column_panel_end;
  // Column panels per block: about 256 KB of packed right operand, reused from L2 by every
  // row panel of this call while each row panel stays in L1 across the block.
  long panelBytes = pairs * WHET_BF16_NR * 4;
  int block = (int)(262144 / (panelBytes > 0 ? panelBytes : 1));
  if (block < 1) block = 1;
  for (int jb = column_panel_begin; jb < columnEnd; jb += block) {
    int je = jb + block < columnEnd ? jb + block : columnEnd;
    for (int p = panel_begin; p < panel_end; p++) {
      int rows = m - p * WHET_BF16_MR < WHET_BF16_MR ? m - p * WHET_BF16_MR : WHET_BF16_MR;
      const uint32_t *ap = a + (long)p * pairs * WHET_BF16_MR;
      for (int j = jb; j < je; j++) {
        int cols = n - j * WHET_BF16_NR < WHET_BF16_NR ? n - j * WHET_BF16_NR : WHET_BF16_NR;
        const uint32_t *bp = b + (long)j * pairs * WHET_BF16_NR;
        float *cp = c + (long)p * WHET_BF16_MR * ldc + (long)j * WHET_BF16_NR;
#ifdef WHET_X86
        whet_bf16_tile_avx512(ap, bp, pairs, rows, cols, alpha, beta, cp, ldc);
#else
        (void)ap, (void)bp, (void)rows, (void)cols, (void)cp;
#endif
      }
    }
  }
}
