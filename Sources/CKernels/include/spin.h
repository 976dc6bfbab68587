// A spin-wait hint for the worker pool (x86 `pause`), which Swift cannot emit.
#ifndef WHET_SPIN_H
#define WHET_SPIN_H

static inline void whet_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

#endif
