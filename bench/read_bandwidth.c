// DRAM read bandwidth with 1 and 2 threads: sums a buffer of N MiB (default 128) with
// AVX-512 loads, best of 20 passes. The limit the decoding figures are quoted against.
//
//   gcc -O2 -mavx512f -fopenmp bench/read_bandwidth.c -o /tmp/read_bandwidth && /tmp/read_bandwidth 128
#include <immintrin.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
  size_t n = (size_t)(argc > 1 ? atol(argv[1]) : 128) << 20;
  char *buf = aligned_alloc(64, n);
  memset(buf, 1, n);
  for (int threads = 1; threads <= 2; threads++) {
    double best = 1e9;
    long long total = 0;
    for (int rep = 0; rep < 20; rep++) {
      double t0 = now();
#pragma omp parallel num_threads(threads) reduction(+ : total)
      {
        size_t chunk = n / threads;
        const __m512i *p = (const __m512i *)(buf + omp_get_thread_num() * chunk);
        __m512i a = _mm512_setzero_si512(), b = a, c = a, d = a;
        for (size_t i = 0; i + 4 <= chunk / 64; i += 4) {
          a = _mm512_add_epi32(a, p[i]);
          b = _mm512_add_epi32(b, p[i + 1]);
          c = _mm512_add_epi32(c, p[i + 2]);
          d = _mm512_add_epi32(d, p[i + 3]);
        }
        total += _mm512_reduce_add_epi32(_mm512_add_epi32(_mm512_add_epi32(a, b), _mm512_add_epi32(c, d)));
      }
      double t = now() - t0;
      if (t < best) best = t;
    }
    printf("%zu MiB, %d thread%s: %.1f GB/s (checksum %lld)\n", n >> 20, threads,
           threads > 1 ? "s" : "", n / best / 1e9, total);
  }
  return 0;
}
