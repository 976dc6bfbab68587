// See include/vexp.h. The portable path is the scalar form of the vector arithmetic, so the
// paths differ only where a fused multiply-add rounds once instead of twice.
#include "vexp.h"

#pragma STDC FP_CONTRACT OFF  // the portable path rounds every product, as written

#include <math.h>
#include <stddef.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#define WHET_X86 1
#include <immintrin.h>
#endif

// Inputs are clamped to [LO, HI] (NaN passes through): below LO the result is 0 even after
// rounding to a subnormal, above HI it is +inf, and 2^⌊n/2⌋, 2^⌈n/2⌉ stay normal floats.
#define WHET_EXP_LO (-104.0f)
#define WHET_EXP_HI 89.0f
#define WHET_LOG2E 1.44269504088896341f
// ln 2 = C1 + C2 with C1 exact in 9 bits, so n·C1 is exact for |n| < 2^15 (Cephes).
#define WHET_LN2_C1 0.693359375f
#define WHET_LN2_C2 (-2.12194440e-4f)
#define WHET_P0 1.9875691500e-4f
#define WHET_P1 1.3981999507e-3f
#define WHET_P2 8.3334519073e-3f
#define WHET_P3 4.1665795894e-2f
#define WHET_P4 1.6666665459e-1f
#define WHET_P5 5.0000001201e-1f

// MARK: - Portable

static float whet_pow2(int k) {  // 2^k for k in [−126, 127]
  uint32_t bits = (uint32_t)(k + 127) << 23;
  float f;
  memcpy(&f, &bits, 4);
  return f;
}

static float whet_exp1(float x) {
  if (x != x) return x;
  if (x < WHET_EXP_LO) x = WHET_EXP_LO;
  if (x > WHET_EXP_HI) x = WHET_EXP_HI;
  float t = x * WHET_LOG2E;
  // Round to nearest even by adding and subtracting 1.5·2^23 (|t| < 2^22 here).
  volatile float magic = 12582912.0f;
  float n = (t + magic) - magic;
  float r = x - n * WHET_LN2_C1;
  r = r - n * WHET_LN2_C2;
  float p = WHET_P0;
  p = p * r + WHET_P1;
  p = p * r + WHET_P2;
  p = p * r + WHET_P3;
  p = p * r + WHET_P4;
  p = p * r + WHET_P5;
  float y = p * (r * r) + r + 1.0f;
  int ni = (int)n, k1 = ni >> 1, k2 = ni - k1;
  return (y * whet_pow2(k1)) * whet_pow2(k2);
}

static float exp_sum_portable(const float *x, float shift, float scale, float *out, int n) {
  float total = 0;
  for (int i = 0; i < n; i++) {
    float e = whet_exp1(scale * (x[i] - shift));
    if (out) out[i] = e;
    total += e;
  }
  return total;
}

// σ(g) = 1/(1 + e^−g) for g ≥ 0 and e^g/(1 + e^g) below, with e = e^(−|g|) ≤ 1: relative
// precision on both sides (σ(−100) ≈ 3.7e−44, not 0).
static float whet_sigmoid1(float g) {
  float e = whet_exp1(-fabsf(g)), d = 1.0f + e;
  return signbit(g) ? e / d : 1.0f / d;
}

static float whet_silu1(float g) { return g * whet_sigmoid1(g); }

static void swiglu_portable(const float *gate, const float *up, float *out, int n) {
  for (int i = 0; i < n; i++) out[i] = up ? whet_silu1(gate[i]) * up[i] : whet_silu1(gate[i]);
}

static void swiglu_backward_portable(
  const float *gate, const float *up, const float *grad, float *d_gate, float *d_up, int n)
{
  for (int i = 0; i < n; i++) {
    float g = gate[i], s = whet_sigmoid1(g);
    d_gate[i] = grad[i] * up[i] * (s * (1.0f + g * (1.0f - s)));
    d_up[i] = grad[i] * (g * s);
  }
}

#ifdef WHET_X86

// MARK: - AVX2 (8 lanes)

#define WHET_AVX2_FN __attribute__((target("avx2,fma")))
#define WHET_AVX2_INLINE __attribute__((target("avx2,fma"), always_inline)) static inline

WHET_AVX2_INLINE __m256 whet_exp8(__m256 x) {
  // max/min return their second operand when either is NaN, so NaN reaches the result.
  x = _mm256_min_ps(_mm256_set1_ps(WHET_EXP_HI), _mm256_max_ps(_mm256_set1_ps(WHET_EXP_LO), x));
  __m256 n = _mm256_round_ps(
    _mm256_mul_ps(x, _mm256_set1_ps(WHET_LOG2E)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(WHET_LN2_C1), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(WHET_LN2_C2), r);
  __m256 p = _mm256_set1_ps(WHET_P0);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(WHET_P1));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(WHET_P2));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(WHET_P3));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(WHET_P4));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(WHET_P5));
  __m256 y = _mm256_add_ps(_mm256_fmadd_ps(p, _mm256_mul_ps(r, r), r), _mm256_set1_ps(1.0f));
  __m256i ni = _mm256_cvtps_epi32(n);
  __m256i k1 = _mm256_srai_epi32(ni, 1), k2 = _mm256_sub_epi32(ni, k1);
  __m256i bias = _mm256_set1_epi32(127);
  __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(k1, bias), 23));
  __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(k2, bias), 23));
  return _mm256_mul_ps(_mm256_mul_ps(y, s1), s2);
}

// The first `count` (0–8) lanes of p, the rest zero; and the store of the first `count` lanes.
WHET_AVX2_INLINE __m256 whet_load_part8(const float *p, int count) {
  float buffer[8] = {0};
  memcpy(buffer, p, (size_t)count * 4);
  return _mm256_loadu_ps(buffer);
}
WHET_AVX2_INLINE void whet_store_part8(float *p, __m256 v, int count) {
  float buffer[8];
  _mm256_storeu_ps(buffer, v);
  memcpy(p, buffer, (size_t)count * 4);
}
WHET_AVX2_INLINE __m256 whet_lanes_below8(int count) {
  __m256i index = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_set1_epi32(count), index));
}

WHET_AVX2_INLINE float whet_hsum8(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
}

WHET_AVX2_FN static float exp_sum_avx2(
  const float *x, float shift, float scale, float *out, int n)
{
  __m256 vs = _mm256_set1_ps(shift), va = _mm256_set1_ps(scale), total = _mm256_setzero_ps();
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 e = whet_exp8(_mm256_mul_ps(va, _mm256_sub_ps(_mm256_loadu_ps(x + i), vs)));
    if (out) _mm256_storeu_ps(out + i, e);
    total = _mm256_add_ps(total, e);
  }
  if (i < n) {
    __m256 e = whet_exp8(_mm256_mul_ps(va, _mm256_sub_ps(whet_load_part8(x + i, n - i), vs)));
    e = _mm256_and_ps(e, whet_lanes_below8(n - i));
    if (out) whet_store_part8(out + i, e, n - i);
    total = _mm256_add_ps(total, e);
  }
  return whet_hsum8(total);
}

WHET_AVX2_INLINE __m256 whet_sigmoid8(__m256 g) {  // as whet_sigmoid1
  __m256 e = whet_exp8(_mm256_or_ps(g, _mm256_set1_ps(-0.0f)));  // e^(−|g|)
  __m256 d = _mm256_add_ps(_mm256_set1_ps(1.0f), e);
  return _mm256_blendv_ps(_mm256_div_ps(_mm256_set1_ps(1.0f), d), _mm256_div_ps(e, d), g);
}

WHET_AVX2_INLINE __m256 whet_silu8(__m256 g) { return _mm256_mul_ps(g, whet_sigmoid8(g)); }

WHET_AVX2_FN static void swiglu_avx2(const float *gate, const float *up, float *out, int n) {
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 s = whet_silu8(_mm256_loadu_ps(gate + i));
    _mm256_storeu_ps(out + i, up ? _mm256_mul_ps(s, _mm256_loadu_ps(up + i)) : s);
  }
  if (i < n) {
    __m256 s = whet_silu8(whet_load_part8(gate + i, n - i));
    whet_store_part8(out + i, up ? _mm256_mul_ps(s, whet_load_part8(up + i, n - i)) : s, n - i);
  }
}

WHET_AVX2_INLINE void whet_swiglu_backward8(
  __m256 g, __m256 u, __m256 dy, __m256 *d_gate, __m256 *d_up)
{
  __m256 one = _mm256_set1_ps(1.0f);
  __m256 s = whet_sigmoid8(g);
  __m256 ds = _mm256_mul_ps(s, _mm256_add_ps(one, _mm256_mul_ps(g, _mm256_sub_ps(one, s))));
  *d_gate = _mm256_mul_ps(_mm256_mul_ps(dy, u), ds);
  *d_up = _mm256_mul_ps(dy, _mm256_mul_ps(g, s));
}

WHET_AVX2_FN static void swiglu_backward_avx2(
  const float *gate, const float *up, const float *grad, float *d_gate, float *d_up, int n)
{
  int i = 0;
  __m256 dg, du;
  for (; i + 8 <= n; i += 8) {
    whet_swiglu_backward8(
      _mm256_loadu_ps(gate + i), _mm256_loadu_ps(up + i), _mm256_loadu_ps(grad + i), &dg, &du);
    _mm256_storeu_ps(d_gate + i, dg);
    _mm256_storeu_ps(d_up + i, du);
  }
  if (i < n) {
    int c = n - i;
    whet_swiglu_backward8(
      whet_load_part8(gate + i, c), whet_load_part8(up + i, c), whet_load_part8(grad + i, c), &dg,
      &du);
    whet_store_part8(d_gate + i, dg, c);
    whet_store_part8(d_up + i, du, c);
  }
}

// MARK: - AVX-512 (16 lanes, masked tails)

#define WHET_512_FN __attribute__((target("avx2,fma,avx512f")))
#define WHET_512_INLINE __attribute__((target("avx2,fma,avx512f"), always_inline)) static inline

WHET_512_INLINE __m512 whet_exp16(__m512 x) {
  x = _mm512_min_ps(_mm512_set1_ps(WHET_EXP_HI), _mm512_max_ps(_mm512_set1_ps(WHET_EXP_LO), x));
  __m512 n = _mm512_roundscale_ps(
    _mm512_mul_ps(x, _mm512_set1_ps(WHET_LOG2E)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(WHET_LN2_C1), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(WHET_LN2_C2), r);
  __m512 p = _mm512_set1_ps(WHET_P0);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(WHET_P1));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(WHET_P2));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(WHET_P3));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(WHET_P4));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(WHET_P5));
  __m512 y = _mm512_add_ps(_mm512_fmadd_ps(p, _mm512_mul_ps(r, r), r), _mm512_set1_ps(1.0f));
  __m512i ni = _mm512_cvtps_epi32(n);
  __m512i k1 = _mm512_srai_epi32(ni, 1), k2 = _mm512_sub_epi32(ni, k1);
  __m512i bias = _mm512_set1_epi32(127);
  __m512 s1 = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(k1, bias), 23));
  __m512 s2 = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(k2, bias), 23));
  return _mm512_mul_ps(_mm512_mul_ps(y, s1), s2);
}

WHET_512_INLINE __mmask16 whet_mask16(int count) {
  return count >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << count) - 1);
}

WHET_512_FN static float exp_sum_512(const float *x, float shift, float scale, float *out, int n) {
  __m512 vs = _mm512_set1_ps(shift), va = _mm512_set1_ps(scale), total = _mm512_setzero_ps();
  for (int i = 0; i < n; i += 16) {
    __mmask16 k = whet_mask16(n - i);
    __m512 e = whet_exp16(_mm512_mul_ps(va, _mm512_sub_ps(_mm512_maskz_loadu_ps(k, x + i), vs)));
    e = _mm512_maskz_mov_ps(k, e);
    if (out) _mm512_mask_storeu_ps(out + i, k, e);
    total = _mm512_add_ps(total, e);
  }
  return _mm512_reduce_add_ps(total);
}

WHET_512_INLINE __m512 whet_sigmoid16(__m512 g) {  // as whet_sigmoid1
  __m512i bits = _mm512_castps_si512(g), sign = _mm512_set1_epi32((int)0x80000000u);
  __m512 e = whet_exp16(_mm512_castsi512_ps(_mm512_or_epi32(bits, sign)));  // e^(−|g|)
  __m512 d = _mm512_add_ps(_mm512_set1_ps(1.0f), e);
  __mmask16 negative = _mm512_test_epi32_mask(bits, sign);
  return _mm512_mask_div_ps(_mm512_div_ps(_mm512_set1_ps(1.0f), d), negative, e, d);
}

WHET_512_FN static void swiglu_512(const float *gate, const float *up, float *out, int n) {
  for (int i = 0; i < n; i += 16) {
    __mmask16 k = whet_mask16(n - i);
    __m512 g = _mm512_maskz_loadu_ps(k, gate + i);
    __m512 s = _mm512_mul_ps(g, whet_sigmoid16(g));
    if (up) s = _mm512_mul_ps(s, _mm512_maskz_loadu_ps(k, up + i));
    _mm512_mask_storeu_ps(out + i, k, s);
  }
}

WHET_512_FN static void swiglu_backward_512(
  const float *gate, const float *up, const float *grad, float *d_gate, float *d_up, int n)
{
  __m512 one = _mm512_set1_ps(1.0f);
  for (int i = 0; i < n; i += 16) {
    __mmask16 k = whet_mask16(n - i);
    __m512 g = _mm512_maskz_loadu_ps(k, gate + i), u = _mm512_maskz_loadu_ps(k, up + i);
    __m512 dy = _mm512_maskz_loadu_ps(k, grad + i);
    __m512 s = whet_sigmoid16(g);
    __m512 ds = _mm512_mul_ps(s, _mm512_add_ps(one, _mm512_mul_ps(g, _mm512_sub_ps(one, s))));
    _mm512_mask_storeu_ps(d_gate + i, k, _mm512_mul_ps(_mm512_mul_ps(dy, u), ds));
    _mm512_mask_storeu_ps(d_up + i, k, _mm512_mul_ps(dy, _mm512_mul_ps(g, s)));
  }
}
#endif

// MARK: - Dispatch

float whet_exp_sum(int path, const float *x, float shift, float scale, float *out, int n) {
#ifdef WHET_X86
  if (path == WHET_KERNELS_AVX512VNNI) return exp_sum_512(x, shift, scale, out, n);
  if (path == WHET_KERNELS_AVX2) return exp_sum_avx2(x, shift, scale, out, n);
#endif
  return exp_sum_portable(x, shift, scale, out, n);
}

void whet_swiglu(int path, const float *gate, const float *up, float *out, int n) {
#ifdef WHET_X86
  if (path == WHET_KERNELS_AVX512VNNI) return swiglu_512(gate, up, out, n);
  if (path == WHET_KERNELS_AVX2) return swiglu_avx2(gate, up, out, n);
#endif
  swiglu_portable(gate, up, out, n);
}

void whet_swiglu_backward(
  int path, const float *gate, const float *up, const float *grad, float *d_gate, float *d_up,
  int n)
{
#ifdef WHET_X86
  if (path == WHET_KERNELS_AVX512VNNI) return swiglu_backward_512(gate, up, grad, d_gate, d_up, n);
  if (path == WHET_KERNELS_AVX2) return swiglu_backward_avx2(gate, up, grad, d_gate, d_up, n);
#endif
  swiglu_backward_portable(gate, up, grad, d_gate, d_up, n);
}
