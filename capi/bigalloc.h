/* Large read buffers (bigalloc.c), shared by the C and Go sides of capi. */
#ifndef OBJSTORE_BIGALLOC_H
#define OBJSTORE_BIGALLOC_H
#include <stddef.h>

/* Buffers of at least this many bytes are page mappings of their own. */
#define OBJSTORE_BIG_BUFFER (8u << 20)

void *objstoreInternal_alloc(size_t n);
void objstoreInternal_free(void *p, size_t n);
void objstoreInternal_shrink(void *p, size_t n, size_t keep);
void *objstoreInternal_map(size_t n);
int objstoreInternal_populate(void *p, size_t n);
#endif
