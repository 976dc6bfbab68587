// Times whet_quantized_product (Sources/CKernels) outside Swift: a random packed matrix of
// ROWS x COLUMNS (format 0 nibble, 1 byte), N inputs, 1 and 2 threads (each a contiguous half
// of the rows), best of many passes; GB/s counts the weight, scale and offset bytes. HUGE=1
// advises huge pages; NOOFFSETS=1 passes no offsets (Q8_0). Build with the Swift toolchain's
// clang (the kernels rely on its loop-unroll pragma):
//
//   mkdir -p /tmp/omp && cp $(find /usr/lib/gcc -name omp.h | head -1) /tmp/omp/
//   /opt/swift/usr/bin/clang -O2 -fopenmp=libgomp -I/tmp/omp -ISources/CKernels/include \
//     bench/packed_product_timing.c Sources/CKernels/ckernels.c -o /tmp/packed_product_timing \
//     -L$(dirname $(find /usr/lib/gcc -name libgomp.so | head -1)) -lgomp
//   HUGE=1 /tmp/packed_product_timing 147456 576 0 2 1   # ROWS COLUMNS FORMAT PATH N
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

#include "ckernels.h"

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static void *buffer(size_t bytes) {
  size_t huge = (size_t)2 << 20, rounded = (bytes + huge - 1) & ~(huge - 1);
  void *p = aligned_alloc(huge, rounded);
  if (getenv("HUGE")) madvise(p, rounded, MADV_HUGEPAGE);
  return p;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: %s ROWS COLUMNS FORMAT [PATH [N]]\n", argv[0]);
    return 1;
  }
  int rows = atoi(argv[1]), columns = atoi(argv[2]), format = atoi(argv[3]);
  int path = argc > 4 ? atoi(argv[4]) : WHET_KERNELS_AVX512VNNI, n = argc > 5 ? atoi(argv[5]) : 1;
  int blocks = columns / 32;
  size_t bytes = format == WHET_BLOCK_BYTE ? 32 : 16, count = (size_t)rows * blocks;
  uint8_t *w = buffer(count * bytes);
  float *wd = buffer(count * sizeof(float)), *wm = buffer(count * sizeof(float));
  for (size_t i = 0; i < count * bytes; i++) w[i] = (uint8_t)rand();
  for (size_t i = 0; i < count; i++) {
    wd[i] = 0.01f;
    wm[i] = 0.001f;
  }
  float *x = malloc(sizeof(float) * columns * n), *xd = malloc(4 * blocks * n);
  float *xs = malloc(4 * blocks * n), *out = malloc(4 * (size_t)rows * n);
  int16_t *xq = malloc(2 * (size_t)columns * n);
  for (int i = 0; i < columns * n; i++) x[i] = (rand() % 1000) / 1000.0f - 0.5f;
  whet_quantize_q16(path, x, blocks * n, xq, xd, xs);
  const float *offsets = getenv("NOOFFSETS") ? NULL : wm;
  double moved = (double)count * (bytes + sizeof(float) * (offsets ? 2 : 1));
  for (int threads = 1; threads <= 2; threads++) {
    double best = 1e9;
    for (int rep = 0; rep < (rows < 10000 ? 3000 : 60); rep++) {
      double t0 = now();
#pragma omp parallel num_threads(threads)
      {
        int id = omp_get_thread_num();
        int lo = (int)((long)rows * id / threads), hi = (int)((long)rows * (id + 1) / threads);
        whet_quantized_product(
          path, format, w, wd, offsets, blocks, lo, hi, xq, xd, xs, n, out, rows);
      }
      double t = now() - t0;
      if (t < best) best = t;
    }
    printf("%dx%d format %d path %d n %d, %d thread%s: %.3f ms, %.1f GB/s, %.1f GFLOP/s\n", rows,
           columns, format, path, n, threads, threads > 1 ? "s" : "", best * 1e3,
           moved / best / 1e9, 2.0 * rows * columns * n / best / 1e9);
  }
  return 0;
}
