/* Arrow C Data Interface export (arrow.c); used by arrow.go. */
#ifndef OBJSTORE_CAPI_ARROW_H
#define OBJSTORE_CAPI_ARROW_H
#include "capi.h"

/* The most children an exported array has (the listing batch's columns). */
#define OBJSTORE_ARROW_MAX_CHILDREN 5

/* The most buffers an exported array owns (the listing batch's ten). */
#define OBJSTORE_ARROW_MAX_OWNED 12

/* One exported array: the structs of the parent and its children, their
 * buffer tables, and the buffers it owns (C memory from
 * objstoreInternal_arrow_buffer_grow). The parent and each child hold one
 * reference; the last release frees the buffers and the block, so children
 * moved out by a consumer outlive their parent. */
typedef struct objstore_arrow_block {
    int64_t refs; /* releases still to come */
    int n_owned;
    void *owned[OBJSTORE_ARROW_MAX_OWNED];
    size_t owned_size[OBJSTORE_ARROW_MAX_OWNED];
    struct ArrowArray children[OBJSTORE_ARROW_MAX_CHILDREN];
    struct ArrowArray *child_ptrs[OBJSTORE_ARROW_MAX_CHILDREN];
    const void *buffers[OBJSTORE_ARROW_MAX_CHILDREN + 1][3]; /* [0]: the parent's */
} objstore_arrow_block;

/* realloc (p NULL: a new buffer) of a buffer of old_size bytes to size
 * bytes: malloc's alignment (16 bytes), and large buffers grow by
 * remapping, without a copy. NULL when out of memory (p is left as it
 * was). Counted live until freed. */
void *objstoreInternal_arrow_buffer_grow(void *p, size_t old_size, size_t size);

/* Frees a buffer from objstoreInternal_arrow_buffer_grow. */
void objstoreInternal_arrow_buffer_free(void *p, size_t size);

/* A zeroed block; NULL when out of memory. */
objstore_arrow_block *objstoreInternal_arrow_block_new(void);

/* Wires the block's arrays (lengths, null counts, buffer counts and
 * buffer pointers already filled in, the buffers in owned) into *out with
 * their release callbacks; out takes the block. */
void objstoreInternal_arrow_publish(objstore_arrow_block *b, struct ArrowArray *out, int64_t length,
                                    int64_t null_count, int64_t n_buffers, int64_t n_children);

/* Calls a->release (Go cannot call a C function pointer). */
void objstoreInternal_arrow_release(struct ArrowArray *a);

/* Arrays and bytes exported and not yet released (objstore_debug_stats). */
void objstoreInternal_arrow_live(uint64_t *arrays, uint64_t *bytes);

#endif
