/* Memory for large read buffers. A fresh malloc of hundreds of MiB is
 * mmap'd zero pages: the read that fills it then takes one page fault per
 * 4 KiB, which costs as much as copying the bytes. Transparent huge pages
 * (asked for with MADV_HUGEPAGE, since most systems enable them only on
 * request) cut that by 512. The block is still freed with free(). */
#define _GNU_SOURCE
#include <stdlib.h>
#include <sys/mman.h>

#define OBJSTORE_HUGE_PAGE ((size_t)2 << 20)

void *objstoreInternal_alloc(size_t n) {
    if (n < 4 * OBJSTORE_HUGE_PAGE) {
        return malloc(n);
    }
    void *p = NULL;
    if (posix_memalign(&p, OBJSTORE_HUGE_PAGE, n) != 0) {
        return NULL;
    }
#ifdef MADV_HUGEPAGE
    madvise(p, n & ~(OBJSTORE_HUGE_PAGE - 1), MADV_HUGEPAGE); /* advice only: failure is fine */
#endif
    return p;
}
