// OpenBLAS from Debian's libopenblas-dev puts cblas.h on the multiarch include path.
#include <cblas.h>
#include <stdlib.h>
#include <string.h>

// Exported by libopenblas (pthreads build) but not declared in cblas.h.
void openblas_read_env(void);
int blas_thread_init(void);
int blas_thread_shutdown_(void);
void gotoblas_dynamic_init(void);
void gotoblas_dynamic_quit(void);

// OpenBLAS 0.3.21 (Debian 12) does not recognise CPUs released after it (Sapphire Rapids, for
// one) and falls back to its slowest kernels ("Prescott", SSE3): a 1024×576×1536 GEMM runs at
// 40 GFLOP/s there instead of 230 with the SkylakeX kernels. Unless the user chose a core with
// OPENBLAS_CORETYPE, when the detected core predates AVX2 but the CPU (and the OS, which
// __builtin_cpu_supports checks through XGETBV) supports AVX-512 or AVX2+FMA, re-run OpenBLAS's
// dynamic kernel selection with the matching core. Returns the core in use.
static inline const char *whet_openblas_choose_core(void) {
  const char *name = openblas_get_corename();
  if (getenv("OPENBLAS_CORETYPE") != NULL || name == NULL) return name;
  static const char *const old[] = {"Prescott", "Core2", "Penryn", "Dunnington", "Nehalem",
                                    "Atom", "Katmai", "Coppermine", "Northwood", "Banias"};
  int outdated = 0;
  for (unsigned i = 0; i < sizeof(old) / sizeof(old[0]); i++) {
    if (strcasecmp(name, old[i]) == 0) outdated = 1;
  }
  if (!outdated) return name;
  const char *core = NULL;
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq")) {
    core = "SkylakeX";
  } else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    core = "Haswell";
  }
  if (core == NULL) return name;
  setenv("OPENBLAS_CORETYPE", core, 1);
  gotoblas_dynamic_quit();
  gotoblas_dynamic_init();
  return openblas_get_corename();
}

// OpenBLAS's idle worker threads spin on sched_yield for about 2^28 cycles after each call
// before they sleep. Whetstone alternates BLAS calls with its own threaded kernels on the
// same cores, so that spinning steals 15-25% of the machine. Unless the user chose a value,
// restart the pool with the shortest spin (OPENBLAS_THREAD_TIMEOUT=4, i.e. 2^4 cycles).
static inline void whet_openblas_configure_threads(void) {
  if (getenv("OPENBLAS_THREAD_TIMEOUT") != NULL) return;
  setenv("OPENBLAS_THREAD_TIMEOUT", "4", 0);
  openblas_read_env();
  blas_thread_shutdown_();
  blas_thread_init();
}
