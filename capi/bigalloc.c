/* Memory for large read buffers. A fresh malloc of hundreds of MiB is
 * mmap'd on demand: the read that fills it then takes one page fault per
 * 4 KiB, which costs as much as copying the bytes. Large buffers are mapped
 * with MAP_POPULATE instead, so the kernel supplies every page in the one
 * mmap call (still ~1 µs of kernel work per page: buffers.go keeps freed
 * ones mapped for a while to spare the next read even that). MADV_HUGEPAGE
 * did better on an idle machine but paid for it with direct compaction,
 * several times slower, once memory was fragmented. Free with
 * objstoreInternal_free and the same size. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <sys/mman.h>
#include "bigalloc.h"

void *objstoreInternal_alloc(size_t n) {
    if (n < OBJSTORE_BIG_BUFFER) {
        return malloc(n);
    }
    void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

void objstoreInternal_free(void *p, size_t n) {
    if (n < OBJSTORE_BIG_BUFFER) {
        free(p);
        return;
    }
    munmap(p, n);
}

/* Unmaps the pages of a large buffer of n bytes past its first keep bytes
 * (keep: a multiple of the page size, at least OBJSTORE_BIG_BUFFER). */
void objstoreInternal_shrink(void *p, size_t n, size_t keep) {
    if (keep < n) {
        munmap((char *)p + keep, n - keep);
    }
}
