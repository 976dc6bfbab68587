// DRAM read bandwidth of this machine (the limit of batch-1 decoding): sums a 1 GiB array,
// best of 5. gcc -Ofast -march=native -fopenmp bench/read_bandwidth.c -o /tmp/bw && /tmp/bw
#include <stdio.h>
#include <stdlib.h>
#include <omp.h>
#include <time.h>
int main(void){ size_t n=(size_t)1<<28; float *a=aligned_alloc(64,n*4); 
#pragma omp parallel for
 for(size_t i=0;i<n;i++) a[i]=1.0f;
 double best=1e9; float s=0;
 for(int r=0;r<5;r++){ struct timespec t0,t1; clock_gettime(CLOCK_MONOTONIC,&t0); float acc=0;
#pragma omp parallel for reduction(+:acc)
  for(size_t i=0;i<n;i++) acc+=a[i];
  clock_gettime(CLOCK_MONOTONIC,&t1); double t=(t1.tv_sec-t0.tv_sec)+1e-9*(t1.tv_nsec-t0.tv_nsec); if(t<best)best=t; s+=acc;}
 printf("read bandwidth %d threads: %.1f GB/s (%g)\n", omp_get_max_threads(), n*4/best/1e9, s); return 0;}
