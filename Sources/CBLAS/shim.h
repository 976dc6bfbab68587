// OpenBLAS from Debian's libopenblas-dev puts cblas.h on the multiarch include path.
#include <cblas.h>
