// Vectorised exp and the activations built on it (softmax rows, SiLU/SwiGLU), on the same
// run-time paths as the quantized products (`whet_kernels_best`; AVX2 and AVX-512 here need
// only AVX2+FMA and AVX-512F, which every CPU with the named path has).
//
// One algorithm on every path (Cephes `expf`, Moshier 1992): n = round(x·log2 e),
// r = x − n·ln 2 in two parts, e^r by a degree-6 polynomial on |r| ≤ ln2/2, and 2^n applied as
// two factors 2^⌊n/2⌋·2^⌈n/2⌉ so that results in the subnormal range are rounded once rather
// than flushed. Within 1 ulp of the correctly rounded exp on every float tested (every 37th
// float in [−104, 89], and the tests' adversarial inputs):
// exp(−inf) = 0, exp(+inf) = +inf, NaN stays NaN, below −103.98 is 0 and above 88.73 is +inf.
// The vector paths use fused multiply-adds and may differ from the portable one by an ulp.
#ifndef WHET_VEXP_H
#define WHET_VEXP_H

#include "ckernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/// out[i] = exp(scale·(x[i] − shift)) for i in [0, n), and returns Σ out[i] (accumulated in
/// float, in lane order). `out` may be `x`, or NULL when only the sum is wanted.
float whet_exp_sum(int path, const float *x, float shift, float scale, float *out, int n);

/// SwiGLU: out[i] = silu(gate[i])·up[i], silu(g) = g·σ(g) with σ computed from e^(−|g|) (relative
/// precision for large negative g too). `up` may be NULL (then
/// out[i] = silu(gate[i])).
void whet_swiglu(int path, const float *gate, const float *up, float *out, int n);

/// SwiGLU's backward for an output gradient `grad`: with s = σ(g),
/// d_gate[i] = grad[i]·up[i]·s(1 + g(1 − s)) and d_up[i] = grad[i]·silu(g).
void whet_swiglu_backward(
  int path, const float *gate, const float *up, const float *grad, float *d_gate, float *d_up,
  int n);

#ifdef __cplusplus
}
#endif

#endif
