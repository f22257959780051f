/* Memory for large read buffers. A fresh malloc of hundreds of MiB is
 * mmap'd on demand: the read that fills it then takes one page fault per
 * 4 KiB, which costs as much as copying the bytes. Large buffers are
 * populated ahead of the read instead, in big steps (bigbuffers.go: on
 * another thread while the read goes on, or with MAP_POPULATE in the one
 * mmap call where the kernel has no MADV_POPULATE_WRITE). That is still
 * ~1 µs of kernel work per page, so freed ones are kept mapped for a
 * while. MADV_HUGEPAGE did better on an idle machine but paid for it with
 * direct compaction, several times slower, once memory was fragmented.
 * Free with objstoreInternal_free and the same size. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include "bigalloc.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif

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

/* Maps n bytes (at least OBJSTORE_BIG_BUFFER) and populates none of them. */
void *objstoreInternal_map(size_t n) {
    void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

/* Populates n bytes at p (page-aligned, in a mapping of objstoreInternal_map)
 * writable, leaving pages already there as they are: 0, or the errno
 * (EINVAL: the kernel cannot). */
int objstoreInternal_populate(void *p, size_t n) {
    return madvise(p, n, MADV_POPULATE_WRITE) == 0 ? 0 : errno;
}
