// OpenBLAS from Debian's libopenblas-dev puts cblas.h on the multiarch include path.
#include <cblas.h>
#include <stdlib.h>

// Exported by libopenblas (pthreads build) but not declared in cblas.h.
void openblas_read_env(void);
int blas_thread_init(void);
int blas_thread_shutdown_(void);

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
