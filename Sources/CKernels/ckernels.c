// See include/ckernels.h. Three paths for the same arithmetic: portable C, AVX2 (vpmaddwd on
// 256-bit vectors), AVX-512 VNNI (vpdpbusd on byte planes of the input, two blocks per pair of
// instructions; vpdpwssd for an odd last block).
// Integer block sums are exact on every path; only the order of the float accumulation over
// blocks differs.
#include "ckernels.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#define WHET_X86 1
#include <cpuid.h>
#include <immintrin.h>
#endif

#ifdef __linux__
#include <sys/mman.h>
#endif

// Quantization must be bit-identical across paths: no fused multiply-adds in scalar code.
#pragma STDC FP_CONTRACT OFF

// MARK: - CPU features

#ifdef WHET_X86
static uint64_t whet_xgetbv0(void) {
  uint32_t lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return ((uint64_t)hi << 32) | lo;
}
#endif

int whet_kernels_supported(int path) {
  if (path == WHET_KERNELS_PORTABLE) return 1;
#ifdef WHET_X86
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
  int osxsave = (c >> 27) & 1, avx = (c >> 28) & 1, fma = (c >> 12) & 1;
  if (!osxsave || !avx || !fma) return 0;
  uint64_t xcr0 = whet_xgetbv0();
  if ((xcr0 & 0x6) != 0x6) return 0;  // XMM and YMM state
  if (__get_cpuid_max(0, 0) < 7) return 0;
  __cpuid_count(7, 0, a, b, c, d);
  int avx2 = (b >> 5) & 1;
  if (path == WHET_KERNELS_AVX2) return avx2;
  if (path == WHET_KERNELS_AVX512VNNI) {
    int f = (b >> 16) & 1, bw = (b >> 30) & 1, vl = (b >> 31) & 1, vnni = (c >> 11) & 1;
    return avx2 && f && bw && vl && vnni && (xcr0 & 0xE6) == 0xE6;  // + opmask, ZMM state
  }
#endif
  return 0;
}

int whet_kernels_best(const char *forced, int *refused) {
  if (refused) *refused = 0;
  if (forced && *forced) {
    int path = -1;
    if (strcmp(forced, "portable") == 0) path = WHET_KERNELS_PORTABLE;
    if (strcmp(forced, "avx2") == 0) path = WHET_KERNELS_AVX2;
    if (strcmp(forced, "avx512vnni") == 0) path = WHET_KERNELS_AVX512VNNI;
    if (path >= 0 && whet_kernels_supported(path)) return path;
    if (refused) *refused = 1;
  }
  for (int path = WHET_KERNELS_AVX512VNNI; path > WHET_KERNELS_PORTABLE; path--) {
    if (whet_kernels_supported(path)) return path;
  }
  return WHET_KERNELS_PORTABLE;
}

// MARK: - Quantizing activations

static float whet_bits_to_float(uint32_t bits) {
  float f;
  memcpy(&f, &bits, 4);
  return f;
}

static uint32_t whet_float_to_bits(float f) {
  uint32_t bits;
  memcpy(&bits, &f, 4);
  return bits;
}

// Round to nearest, ties to even, for |v| < 2^22 (adding and subtracting 1.5·2^23).
static float whet_round_even(float v) {
  volatile float magic = 12582912.0f;
  float t = v + magic;
  return t - magic;
}

// The scale of a block from the largest |x| as bits (the integer maximum of the magnitudes'
// bit patterns is order-independent and sees NaN and infinity).
static float whet_block_scale(uint32_t amax_bits) {
  if (amax_bits >= 0x7F800000u) return whet_bits_to_float(0x7FC00000u);  // NaN
  float amax = whet_bits_to_float(amax_bits);
  if (amax < 1e-30f) return 0;
  return amax / 32767.0f;
}

// Σx of a block in the order the vector path uses: eight lanes over four loads, then halves.
static float whet_block_sum(const float *x) {
  float s[8];
  for (int j = 0; j < 8; j++) s[j] = ((x[j] + x[8 + j]) + x[16 + j]) + x[24 + j];
  float t[4];
  for (int j = 0; j < 4; j++) t[j] = s[j] + s[4 + j];
  float u0 = t[0] + t[2], u1 = t[1] + t[3];
  return u0 + u1;
}

static void quantize_portable(const float *x, int blocks, int16_t *q, float *d, float *sums) {
  for (int blk = 0; blk < blocks; blk++) {
    const float *xb = x + (size_t)blk * 32;
    uint32_t amax = 0;
    for (int j = 0; j < 32; j++) {
      uint32_t bits = whet_float_to_bits(xb[j]) & 0x7FFFFFFFu;
      if (bits > amax) amax = bits;
    }
    float scale = whet_block_scale(amax);
    d[blk] = scale;
    sums[blk] = whet_block_sum(xb);
    int16_t *qb = q + (size_t)blk * 32;
    if (!(scale > 0) || scale != scale) {
      memset(qb, 0, 64);
      continue;
    }
    float inverse = 1.0f / scale;
    for (int j = 0; j < 32; j++) {
      float v = xb[j] * inverse;
      qb[j] = (int16_t)(int)whet_round_even(v);
    }
  }
}

#ifdef WHET_X86
__attribute__((target("avx2,fma"))) static void quantize_avx2(
  const float *x, int blocks, int16_t *q, float *d, float *sums)
{
  const __m256i magnitude = _mm256_set1_epi32(0x7FFFFFFF);
  for (int blk = 0; blk < blocks; blk++) {
    const float *xb = x + (size_t)blk * 32;
    __m256 v0 = _mm256_loadu_ps(xb), v1 = _mm256_loadu_ps(xb + 8);
    __m256 v2 = _mm256_loadu_ps(xb + 16), v3 = _mm256_loadu_ps(xb + 24);
    __m256i m = _mm256_max_epi32(
      _mm256_max_epi32(
        _mm256_and_si256(_mm256_castps_si256(v0), magnitude),
        _mm256_and_si256(_mm256_castps_si256(v1), magnitude)),
      _mm256_max_epi32(
        _mm256_and_si256(_mm256_castps_si256(v2), magnitude),
        _mm256_and_si256(_mm256_castps_si256(v3), magnitude)));
    __m128i m4 = _mm_max_epi32(_mm256_castsi256_si128(m), _mm256_extracti128_si256(m, 1));
    m4 = _mm_max_epi32(m4, _mm_shuffle_epi32(m4, 0x4E));
    m4 = _mm_max_epi32(m4, _mm_shuffle_epi32(m4, 0xB1));
    float scale = whet_block_scale((uint32_t)_mm_cvtsi128_si32(m4));
    d[blk] = scale;
    // The sum in the portable order: lanes (((x0 + x1) + x2) + x3), then halves, then pairs.
    __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(v0, v1), v2), v3);
    __m128 t = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
    __m128 u = _mm_add_ps(t, _mm_movehl_ps(t, t));
    sums[blk] = _mm_cvtss_f32(_mm_add_ss(u, _mm_shuffle_ps(u, u, 1)));
    int16_t *qb = q + (size_t)blk * 32;
    if (!(scale > 0) || scale != scale) {
      memset(qb, 0, 64);
      continue;
    }
    __m256 inverse = _mm256_set1_ps(1.0f / scale);
#define WHET_ROUND(v) \
  _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v, inverse), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC))
    // packs works within 128-bit lanes: 64-bit quarters come out as 0, 2, 1, 3.
    __m256i p01 = _mm256_packs_epi32(WHET_ROUND(v0), WHET_ROUND(v1));
    __m256i p23 = _mm256_packs_epi32(WHET_ROUND(v2), WHET_ROUND(v3));
#undef WHET_ROUND
    _mm256_storeu_si256((__m256i *)qb, _mm256_permute4x64_epi64(p01, 0xD8));
    _mm256_storeu_si256((__m256i *)(qb + 16), _mm256_permute4x64_epi64(p23, 0xD8));
  }
}
#endif

void whet_quantize_q16(int path, const float *x, int blocks, int16_t *q, float *d, float *sums) {
#ifdef WHET_X86
  if (path >= WHET_KERNELS_AVX2) {
    quantize_avx2(x, blocks, q, d, sums);
    return;
  }
#endif
  quantize_portable(x, blocks, q, d, sums);
}

// MARK: - Products, portable

static void product_portable(
  int format, const uint8_t *w, const float *wd, const float *wm, int blocks, int row_begin,
  int row_end, const int16_t *xq, const float *xd, const float *xs, int n, float *out, int ldo)
{
  size_t bytes = format == WHET_BLOCK_NIBBLE ? 16 : 32;
  for (int r = row_begin; r < row_end; r++) {
    const uint8_t *wr = w + (size_t)r * blocks * bytes;
    for (int b = 0; b < n; b++) {
      float acc = 0, offset = 0;
      for (int blk = 0; blk < blocks; blk++) {
        const uint8_t *wb = wr + blk * bytes;
        const int16_t *xb = xq + ((size_t)b * blocks + blk) * 32;
        int32_t s = 0;
        if (format == WHET_BLOCK_NIBBLE) {
          for (int j = 0; j < 16; j++) s += (wb[j] & 15) * xb[j] + (wb[j] >> 4) * xb[j + 16];
        } else {
          for (int j = 0; j < 32; j++) s += (int8_t)wb[j] * xb[j];
        }
        size_t rb = (size_t)r * blocks + blk, bb = (size_t)b * blocks + blk;
        acc += (wd[rb] * xd[bb]) * (float)s;
        if (wm) offset += wm[rb] * xs[bb];
      }
      out[(size_t)b * ldo + r] = acc + offset;
    }
  }
}

// MARK: - Products, AVX2 and AVX-512 VNNI

#ifdef WHET_X86
#define WHET_TARGET_AVX2 "avx2,fma"
#define WHET_TARGET_VNNI "avx2,fma,avx512f,avx512bw,avx512vl,avx512vnni"
#define WHET_AVX2 __attribute__((target(WHET_TARGET_AVX2), always_inline)) static inline
#define WHET_VNNI __attribute__((target(WHET_TARGET_VNNI), always_inline)) static inline

// Software prefetch of the weight stream, WHET_PREFETCH bytes ahead of block `rb`. Decoding
// streams every weight from DRAM once per token; with the hardware prefetcher alone the
// products read 18–35 GB/s on Zen 4 (2 threads, a 56–85 MB matrix, a one-off C timing loop)
// where a plain read loop gets 29–32, and with this 26–42. 4 KB ahead was best of 0.5–16 KB;
// also prefetching the scales and offsets, or only at the start of each cache line (a branch),
// measured no better and cost more on matrices already in cache (5–10 % for this one, 15–25 %
// for those). Rows are contiguous, so following each row of a tile reaches every line.
// Prefetches past the end of an array do not fault.
#define WHET_PREFETCH 4096
WHET_AVX2 void whet_prefetch_block(const uint8_t *w, size_t rb, size_t bytes) {
  _mm_prefetch((const char *)((uintptr_t)w + rb * bytes + WHET_PREFETCH), _MM_HINT_T0);
}

// A weight block's 32 values as bytes in element order (nibbles: byte j holds j and j + 16).
WHET_AVX2 __m256i whet_nibbles(const uint8_t *p) {
  __m128i v = _mm_loadu_si128((const __m128i *)p);
  __m128i low = _mm_and_si128(v, _mm_set1_epi8(15));
  __m128i high = _mm_and_si128(_mm_srli_epi16(v, 4), _mm_set1_epi8(15));
  return _mm256_inserti128_si256(_mm256_castsi128_si256(low), high, 1);
}
WHET_AVX2 __m256i whet_bytes(const uint8_t *p) { return _mm256_loadu_si256((const __m256i *)p); }

WHET_AVX2 float whet_hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
}

// A tile of `rows` (1–WHET_TILE_ROWS) weight rows starting at r against `count` (1–4) inputs
// starting at b. Each weight block is widened once per tile and each input block loaded once
// per tile. `rows` and `count` are constants at every call site (always_inline), and the loops
// unroll fully so the accumulators stay in registers (without the pragma clang kept them on
// the stack). The arithmetic per row and input is the single-row kernel's, bit for bit.
#define WHET_UNROLL _Pragma("clang loop unroll(full)")
#define WHET_TILE(NAME, ATTR, VEC, WVEC, ZERO, LOADW, DOT, FMA, SET1, REDUCE)                 \
  ATTR void NAME(                                                                              \
    const uint8_t *w, const float *wd, const float *wm, int blocks, size_t bytes, int r,         \
    const int rows, const int16_t *xq, const float *xd, const float *xs, int b, const int count, \
    float *out, int ldo)                                                                       \
  {                                                                                            \
    VEC acc[WHET_TILE_ROWS][4];                                                                \
    float offset[WHET_TILE_ROWS][4];                                                           \
    WHET_UNROLL for (int i = 0; i < rows; i++)                                                 \
      WHET_UNROLL for (int k = 0; k < count; k++) {                                            \
        acc[i][k] = ZERO;                                                                      \
        offset[i][k] = 0;                                                                      \
      }                                                                                        \
    for (int blk = 0; blk < blocks; blk++) {                                                   \
      WVEC wv[WHET_TILE_ROWS];                                                                 \
      WHET_UNROLL for (int i = 0; i < rows; i++) {                                             \
        if ((blk & (64 / bytes - 1)) == 0) /* once per 64 bytes of the row */                \
          whet_prefetch_block(w, (size_t)(r + i) * blocks + blk, bytes);                       \
        wv[i] = LOADW(w + ((size_t)(r + i) * blocks + blk) * bytes);                           \
      }                                                                                        \
      WHET_UNROLL for (int k = 0; k < count; k++) {                                            \
        size_t bb = (size_t)(b + k) * blocks + blk;                                            \
        const int16_t *x = xq + bb * 32;                                                       \
        float dx = xd[bb], sx = xs[bb];                                                        \
        WHET_UNROLL for (int i = 0; i < rows; i++) {                                           \
          size_t rb = (size_t)(r + i) * blocks + blk;                                          \
          acc[i][k] = FMA(DOT(wv[i], x), SET1(wd[rb] * dx), acc[i][k]);                        \
          if (wm) offset[i][k] += wm[rb] * sx;                                                 \
        }                                                                                      \
      }                                                                                        \
    }                                                                                          \
    WHET_UNROLL for (int i = 0; i < rows; i++)                                                 \
      WHET_UNROLL for (int k = 0; k < count; k++)                                              \
        out[(size_t)(b + k) * ldo + r + i] = REDUCE(acc[i][k]) + offset[i][k];                 \
  }

// AVX2: a block as two vectors of 16 int16 (zero- or sign-extended), vpmaddwd against x.
typedef struct { __m256i low, high; } whet_w16x2;
WHET_AVX2 whet_w16x2 whet_widen_nibble_avx2(const uint8_t *p) {
  __m256i w = whet_nibbles(p);
  whet_w16x2 r = {_mm256_cvtepu8_epi16(_mm256_castsi256_si128(w)),
                  _mm256_cvtepu8_epi16(_mm256_extracti128_si256(w, 1))};
  return r;
}
WHET_AVX2 whet_w16x2 whet_widen_byte_avx2(const uint8_t *p) {
  __m256i w = whet_bytes(p);
  whet_w16x2 r = {_mm256_cvtepi8_epi16(_mm256_castsi256_si128(w)),
                  _mm256_cvtepi8_epi16(_mm256_extracti128_si256(w, 1))};
  return r;
}
WHET_AVX2 __m256 whet_dot_avx2(whet_w16x2 w, const int16_t *x) {
  const __m256i *v = (const __m256i *)x;
  return _mm256_cvtepi32_ps(_mm256_add_epi32(
    _mm256_madd_epi16(w.low, _mm256_loadu_si256(v)),
    _mm256_madd_epi16(w.high, _mm256_loadu_si256(v + 1))));
}

// AVX-512 VNNI, for a row's odd last block: one vector of 32 int16, one vpdpwssd per input.
WHET_VNNI __m512i whet_widen_nibble_vnni(const uint8_t *p) {
  return _mm512_cvtepu8_epi16(whet_nibbles(p));
}
WHET_VNNI __m512i whet_widen_byte_vnni(const uint8_t *p) {
  return _mm512_cvtepi8_epi16(whet_bytes(p));
}
WHET_VNNI __m512 whet_dot_vnni(__m512i w, const int16_t *x) {
  __m512i s = _mm512_dpwssd_epi32(_mm512_setzero_si512(), w, _mm512_loadu_si512(x));
  return _mm512_cvtepi32_ps(s);
}
WHET_VNNI float whet_reduce_vnni(__m512 v) { return _mm512_reduce_add_ps(v); }

// Two rows per tile on both paths: with four, the 16 vector accumulators and 16 scalar
// offsets outgrow the 32 zmm registers and `perf annotate` showed them spilled to the stack.
#define WHET_TILE_ROWS 2
WHET_TILE(tile_nibble_avx2, WHET_AVX2, __m256, whet_w16x2, _mm256_setzero_ps(),
          whet_widen_nibble_avx2, whet_dot_avx2, _mm256_fmadd_ps, _mm256_set1_ps, whet_hsum)
WHET_TILE(tile_byte_avx2, WHET_AVX2, __m256, whet_w16x2, _mm256_setzero_ps(),
          whet_widen_byte_avx2, whet_dot_avx2, _mm256_fmadd_ps, _mm256_set1_ps, whet_hsum)

// One tile of `rows` rows against all n inputs, four inputs at a time.
#define WHET_INPUTS(TILE, rows)                                                                \
  do {                                                                                         \
    int b = 0;                                                                                 \
    for (; b + 4 <= n; b += 4) TILE(w, wd, wm, blocks, bytes, r, rows, xq, xd, xs, b, 4, out, ldo); \
    switch (n - b) {                                                                           \
    case 3: TILE(w, wd, wm, blocks, bytes, r, rows, xq, xd, xs, b, 3, out, ldo); break;        \
    case 2: TILE(w, wd, wm, blocks, bytes, r, rows, xq, xd, xs, b, 2, out, ldo); break;        \
    case 1: TILE(w, wd, wm, blocks, bytes, r, rows, xq, xd, xs, b, 1, out, ldo); break;        \
    default: break;                                                                            \
    }                                                                                          \
  } while (0)

// Rows [row_begin, row_end) against all n inputs, WHET_TILE_ROWS rows at a time, then one by one.
#define WHET_PRODUCT(NAME, TARGET, TILE)                                            \
  __attribute__((target(TARGET))) static void NAME(                                            \
    const uint8_t *w, const float *wd, const float *wm, int blocks, int row_begin, int row_end,  \
    const int16_t *xq, const float *xd, const float *xs, int n, float *out, int ldo, size_t bytes) \
  {                                                                                            \
    int r = row_begin;                                                                         \
    for (; r + WHET_TILE_ROWS <= row_end; r += WHET_TILE_ROWS) WHET_INPUTS(TILE, WHET_TILE_ROWS);             \
    for (; r < row_end; r++) WHET_INPUTS(TILE, 1);                                             \
  }

// MARK: - Products on byte planes (AVX-512 VNNI, vpdpbusd)

// vpdpbusd multiplies unsigned by signed bytes, 64 per instruction (two blocks), where
// vpdpwssd takes 32 int16 pairs. Each int16 input q is split into q = 256·hi + lo with
// hi = q >> 8 (signed) and lo = q & 255 (unsigned), and w·q = 256·(w·hi) + lo·w:
// - nibble weights (0...15) are valid unsigned and signed bytes: w·hi is vpdpbusd(w, hi);
// - signed byte weights take hi + 128 (unsigned): w·hi = vpdpbusd(hi + 128, w) − 128·Σw, with
//   Σw from vpdpbusd(1, w) once per weight pair.
// The lane sums (four products each) are the same integers as on the other paths. Below 2^21
// for nibbles they convert to float exactly; for bytes they can reach 2^24 + 2^17, where the
// conversion rounds by at most 2^−23 relative.

// Two consecutive weight blocks A, B as 64 bytes, and the lanes each block's four-byte groups
// land in. Nibbles: A 0–15, B 0–15, A 16–31, B 16–31 (the order the low and high nibbles give
// without a shuffle). Bytes: A then B.
WHET_VNNI __m512i whet_weight_pair(const uint8_t *p, const int format) {
  if (format == WHET_BLOCK_BYTE) return _mm512_loadu_si512(p);
  __m256i v = _mm256_loadu_si256((const __m256i *)p), m = _mm256_set1_epi8(15);
  __m256i low = _mm256_and_si256(v, m), high = _mm256_and_si256(_mm256_srli_epi16(v, 4), m);
  return _mm512_inserti64x4(_mm512_castsi256_si512(low), high, 1);
}
WHET_VNNI __m512i whet_pair_lanes(const int format) {
  return format == WHET_BLOCK_BYTE
    ? _mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1)
    : _mm512_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1);
}

// p[0] in block A's lanes, p[1] in block B's.
WHET_VNNI __m512 whet_pair_scales(const float *p, const int format) {
  __m512 v = _mm512_castps128_ps512(_mm_castpd_ps(_mm_load_sd((const double *)p)));
  return _mm512_permutexvar_ps(whet_pair_lanes(format), v);
}

// For each input row of `blocks` blocks and each pair of blocks in it: the byte planes (64
// bytes each, in whet_weight_pair's element order; hi + 128 for byte weights) and the pair's
// input scales spread over its lanes.
WHET_VNNI void whet_split_planes(
  const int format, const int16_t *xq, const float *xd, int n, int blocks, uint8_t *hi,
  uint8_t *lo, float *scales)
{
  int pairs = blocks / 2;
  __m512i flip = _mm512_set1_epi16(format == WHET_BLOCK_BYTE ? 128 : 0);
  for (int b = 0; b < n; b++) {
    for (int p = 0; p < pairs; p++) {
      size_t bb = (size_t)b * blocks + 2 * p, pp = (size_t)b * pairs + p;
      const int16_t *q = xq + bb * 32;
      __m512i first, second;  // the 64 inputs as int16, in the weights' element order
      if (format == WHET_BLOCK_BYTE) {
        first = _mm512_loadu_si512(q);
        second = _mm512_loadu_si512(q + 32);
      } else {
        first = _mm512_inserti64x4(
          _mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)q)),
          _mm256_loadu_si256((const __m256i *)(q + 32)), 1);
        second = _mm512_inserti64x4(
          _mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)(q + 16))),
          _mm256_loadu_si256((const __m256i *)(q + 48)), 1);
      }
      _mm256_storeu_si256((__m256i *)(lo + pp * 64), _mm512_cvtepi16_epi8(first));  // low bytes
      _mm256_storeu_si256((__m256i *)(lo + pp * 64 + 32), _mm512_cvtepi16_epi8(second));
      __m512i h1 = _mm512_add_epi16(_mm512_srai_epi16(first, 8), flip);
      __m512i h2 = _mm512_add_epi16(_mm512_srai_epi16(second, 8), flip);
      _mm256_storeu_si256((__m256i *)(hi + pp * 64), _mm512_cvtepi16_epi8(h1));
      _mm256_storeu_si256((__m256i *)(hi + pp * 64 + 32), _mm512_cvtepi16_epi8(h2));
      _mm512_storeu_ps(scales + pp * 16, whet_pair_scales(xd + bb, format));
    }
  }
}

// Σ a[i]·b[i] for i < n, 16 lanes at a time (the weight offsets' Σ m·Σx over a row's blocks).
WHET_VNNI float whet_dot_floats_vnni(const float *a, const float *b, int n) {
  __m512 acc = _mm512_setzero_ps();
  for (int i = 0; i < n; i += 16) {
    __mmask16 k = n - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - i)) - 1);
    acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(k, a + i), _mm512_maskz_loadu_ps(k, b + i), acc);
  }
  return _mm512_reduce_add_ps(acc);
}

// As WHET_TILE, two blocks per step; an odd last block goes through vpdpwssd. The offsets
// Σ m·Σx are one vector dot product per row and input after the blocks.
WHET_VNNI void tile_planes(
  const int format, const uint8_t *w, const float *wd, const float *wm, int blocks, int r,
  const int rows, const int16_t *xq, const uint8_t *xh, const uint8_t *xl, const float *xp,
  const float *xd, const float *xs, int b, const int count, float *out, int ldo)
{
  const size_t bytes = format == WHET_BLOCK_BYTE ? 32 : 16;
  __m512 acc[WHET_TILE_ROWS][4];
  WHET_UNROLL for (int i = 0; i < rows; i++)
    WHET_UNROLL for (int k = 0; k < count; k++) acc[i][k] = _mm512_setzero_ps();
  int blk = 0;
  for (; blk + 2 <= blocks; blk += 2) {
    __m512i wv[WHET_TILE_ROWS], correction[WHET_TILE_ROWS];
    __m512 ws[WHET_TILE_ROWS];
    WHET_UNROLL for (int i = 0; i < rows; i++) {
      size_t rb = (size_t)(r + i) * blocks + blk;
      whet_prefetch_block(w, rb, bytes);
      wv[i] = whet_weight_pair(w + rb * bytes, format);
      ws[i] = whet_pair_scales(wd + rb, format);
      if (format == WHET_BLOCK_BYTE)  // 128·Σw per lane
        correction[i] = _mm512_slli_epi32(
          _mm512_dpbusd_epi32(_mm512_setzero_si512(), _mm512_set1_epi8(1), wv[i]), 7);
    }
    WHET_UNROLL for (int k = 0; k < count; k++) {
      size_t pp = (size_t)(b + k) * (blocks / 2) + blk / 2;
      __m512i h = _mm512_loadu_si512(xh + pp * 64), l = _mm512_loadu_si512(xl + pp * 64);
      __m512 xs2 = _mm512_loadu_ps(xp + pp * 16);
      WHET_UNROLL for (int i = 0; i < rows; i++) {
        __m512i t;
        if (format == WHET_BLOCK_BYTE) {
          t = _mm512_dpbusd_epi32(_mm512_setzero_si512(), h, wv[i]);
          t = _mm512_slli_epi32(_mm512_sub_epi32(t, correction[i]), 8);
        } else {
          t = _mm512_slli_epi32(_mm512_dpbusd_epi32(_mm512_setzero_si512(), wv[i], h), 8);
        }
        t = _mm512_dpbusd_epi32(t, l, wv[i]);
        acc[i][k] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(t), _mm512_mul_ps(ws[i], xs2), acc[i][k]);
      }
    }
  }
  if (blk < blocks) {
    WHET_UNROLL for (int i = 0; i < rows; i++) {
      size_t rb = (size_t)(r + i) * blocks + blk;
      __m512i wv = format == WHET_BLOCK_BYTE ? whet_widen_byte_vnni(w + rb * bytes)
                                             : whet_widen_nibble_vnni(w + rb * bytes);
      WHET_UNROLL for (int k = 0; k < count; k++) {
        size_t bb = (size_t)(b + k) * blocks + blk;
        acc[i][k] = _mm512_fmadd_ps(
          whet_dot_vnni(wv, xq + bb * 32), _mm512_set1_ps(wd[rb] * xd[bb]), acc[i][k]);
      }
    }
  }
  WHET_UNROLL for (int i = 0; i < rows; i++)
    WHET_UNROLL for (int k = 0; k < count; k++)
      out[(size_t)(b + k) * ldo + r + i] =
        whet_reduce_vnni(acc[i][k]) +
        (wm ? whet_dot_floats_vnni(
                wm + (size_t)(r + i) * blocks, xs + (size_t)(b + k) * blocks, blocks)
            : 0);
}

#define WHET_PLANES_TILE(format, rows, count) \
  tile_planes(format, w, wd, wm, blocks, r, rows, xq, xh, xl, xp, xd, xs, b, count, out, ldo)
#define WHET_PLANES_INPUTS(format, rows)                                                       \
  do {                                                                                         \
    int b = 0;                                                                                 \
    for (; b + 4 <= n; b += 4) WHET_PLANES_TILE(format, rows, 4);                              \
    switch (n - b) {                                                                           \
    case 3: WHET_PLANES_TILE(format, rows, 3); break;                                          \
    case 2: WHET_PLANES_TILE(format, rows, 2); break;                                          \
    case 1: WHET_PLANES_TILE(format, rows, 1); break;                                          \
    default: break;                                                                            \
    }                                                                                          \
  } while (0)

// Rows [row_begin, row_end) against all n inputs. Returns 0 when the planes could not be
// allocated (the caller then takes the AVX2 path).
#define WHET_PLANES_PRODUCT(NAME, FORMAT)                                                      \
  __attribute__((target(WHET_TARGET_VNNI))) static int NAME(                                   \
    const uint8_t *w, const float *wd, const float *wm, int blocks, int row_begin, int row_end, \
    const int16_t *xq, const float *xd, const float *xs, int n, float *out, int ldo)           \
  {                                                                                            \
    size_t pairs = (size_t)n * (blocks / 2);                                                   \
    float *xp = malloc(pairs * (16 * sizeof(float) + 128) + 1);                                \
    if (!xp) return 0;                                                                         \
    uint8_t *xh = (uint8_t *)(xp + pairs * 16), *xl = xh + pairs * 64;                         \
    whet_split_planes(FORMAT, xq, xd, n, blocks, xh, xl, xp);                                  \
    int r = row_begin;                                                                         \
    for (; r + WHET_TILE_ROWS <= row_end; r += WHET_TILE_ROWS)                                 \
      WHET_PLANES_INPUTS(FORMAT, WHET_TILE_ROWS);                                              \
    for (; r < row_end; r++) WHET_PLANES_INPUTS(FORMAT, 1);                                    \
    free(xp);                                                                                  \
    return 1;                                                                                  \
  }

WHET_PLANES_PRODUCT(product_nibble_planes_vnni, WHET_BLOCK_NIBBLE)
WHET_PLANES_PRODUCT(product_byte_planes_vnni, WHET_BLOCK_BYTE)

WHET_PRODUCT(product_nibble_avx2, WHET_TARGET_AVX2, tile_nibble_avx2)
WHET_PRODUCT(product_byte_avx2, WHET_TARGET_AVX2, tile_byte_avx2)
#endif

void whet_quantized_product(
  int path, int format, const uint8_t *w, const float *wd, const float *wm, int blocks,
  int row_begin, int row_end, const int16_t *xq, const float *xd, const float *xs, int n,
  float *out, int ldo)
{
#ifdef WHET_X86
  size_t bytes = format == WHET_BLOCK_NIBBLE ? 16 : 32;
  if (path == WHET_KERNELS_AVX512VNNI) {
    int done = format == WHET_BLOCK_NIBBLE
      ? product_nibble_planes_vnni(w, wd, wm, blocks, row_begin, row_end, xq, xd, xs, n, out, ldo)
      : product_byte_planes_vnni(w, wd, wm, blocks, row_begin, row_end, xq, xd, xs, n, out, ldo);
    if (done) return;
    // The planes could not be allocated: the AVX2 kernel, which every VNNI CPU runs.
  }
  if (path == WHET_KERNELS_AVX2 || path == WHET_KERNELS_AVX512VNNI) {
    (format == WHET_BLOCK_NIBBLE ? product_nibble_avx2 : product_byte_avx2)(
      w, wd, wm, blocks, row_begin, row_end, xq, xd, xs, n, out, ldo, bytes);
    return;
  }
#endif
  product_portable(format, w, wd, wm, blocks, row_begin, row_end, xq, xd, xs, n, out, ldo);
}

// MARK: - Weight buffers

void *whet_allocate_weights(size_t bytes) {
  const size_t huge = (size_t)2 << 20;
  if (bytes < huge) return malloc(bytes ? bytes : 1);
  size_t rounded = (bytes + huge - 1) & ~(huge - 1);
  void *p = NULL;
  if (posix_memalign(&p, huge, rounded) != 0) return NULL;
#ifdef MADV_HUGEPAGE
  madvise(p, rounded, MADV_HUGEPAGE);  // a hint: failure leaves ordinary pages
#endif
  return p;
}

void whet_free_weights(void *p) { free(p); }
