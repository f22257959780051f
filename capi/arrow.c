/*
 * Listings in the Arrow C Data Interface: the memory and release callbacks
 * of exported arrays, and the listing schemas. Everything here is plain C
 * and never enters Go, so a consumer may release from any thread, one the
 * Go runtime never saw, or a forked child. arrow.go fills the buffers.
 */
#include <stdlib.h>
#include <string.h>

#include "arrow.h"

static int64_t live_arrays, live_bytes;

void objstoreInternal_arrow_live(uint64_t *arrays, uint64_t *bytes) {
    *arrays = (uint64_t)__atomic_load_n(&live_arrays, __ATOMIC_RELAXED);
    *bytes = (uint64_t)__atomic_load_n(&live_bytes, __ATOMIC_RELAXED);
}

void *objstoreInternal_arrow_buffer_grow(void *p, size_t old_size, size_t size) {
    void *q = realloc(p, size);
    if (q != NULL) __atomic_add_fetch(&live_bytes, (int64_t)(size - old_size), __ATOMIC_RELAXED);
    return q;
}

void objstoreInternal_arrow_buffer_free(void *p, size_t size) {
    if (p == NULL) return;
    __atomic_sub_fetch(&live_bytes, (int64_t)size, __ATOMIC_RELAXED);
    free(p);
}

objstore_arrow_block *objstoreInternal_arrow_block_new(void) {
    objstore_arrow_block *b = calloc(1, sizeof *b);
    if (b == NULL) return NULL;
    b->refs = 1;
    __atomic_add_fetch(&live_arrays, 1, __ATOMIC_RELAXED);
    return b;
}

static void block_unref(objstore_arrow_block *b) {
    if (__atomic_sub_fetch(&b->refs, 1, __ATOMIC_ACQ_REL) != 0) return;
    for (int i = 0; i < b->n_owned; i++) objstoreInternal_arrow_buffer_free(b->owned[i], b->owned_size[i]);
    __atomic_sub_fetch(&live_arrays, 1, __ATOMIC_RELAXED);
    free(b);
}

static void release_child(struct ArrowArray *a) {
    objstore_arrow_block *b = a->private_data;
    a->release = NULL;
    block_unref(b);
}

/* The parent releases the children still in place (a consumer that moved
 * one out set its release to NULL here and releases its copy itself). */
static void release_parent(struct ArrowArray *a) {
    objstore_arrow_block *b = a->private_data;
    for (int64_t i = 0; i < a->n_children; i++) {
        struct ArrowArray *c = a->children[i];
        if (c->release) c->release(c);
    }
    a->release = NULL;
    block_unref(b);
}

void objstoreInternal_arrow_publish(objstore_arrow_block *b, struct ArrowArray *out, int64_t length,
                                    int64_t null_count, int64_t n_buffers, int64_t n_children) {
    b->refs = 1 + n_children;
    for (int64_t i = 0; i < n_children; i++) {
        struct ArrowArray *c = &b->children[i];
        c->offset = 0;
        c->n_children = 0;
        c->buffers = b->buffers[i + 1];
        c->children = NULL;
        c->dictionary = NULL;
        c->release = release_child;
        c->private_data = b;
        b->child_ptrs[i] = c;
    }
    out->length = length;
    out->null_count = null_count;
    out->offset = 0;
    out->n_buffers = n_buffers;
    out->n_children = n_children;
    out->buffers = b->buffers[0];
    out->children = n_children ? b->child_ptrs : NULL;
    out->dictionary = NULL;
    out->private_data = b;
    out->release = release_parent;
}

void objstoreInternal_arrow_release(struct ArrowArray *a) {
    if (a->release) a->release(a);
}

/* ---- Schemas ---- */

/* A schema and its children in one allocation, freed at the last release
 * (children may be moved out too). Formats and names are static strings. */
typedef struct schema_block {
    int64_t refs;
    struct ArrowSchema children[OBJSTORE_ARROW_MAX_CHILDREN];
    struct ArrowSchema *child_ptrs[OBJSTORE_ARROW_MAX_CHILDREN];
} schema_block;

typedef struct field {
    const char *name;
    const char *format;
    int64_t flags;
} field;

static const field listing_fields[OBJSTORE_ARROW_MAX_CHILDREN] = {
    {"path", "u", 0},
    {"last_modified", "tsu:UTC", 0},
    {"size", "L", 0},
    {"e_tag", "u", ARROW_FLAG_NULLABLE},
    {"version", "u", ARROW_FLAG_NULLABLE},
};

static void schema_unref(schema_block *b) {
    if (__atomic_sub_fetch(&b->refs, 1, __ATOMIC_ACQ_REL) == 0) free(b);
}

static void release_schema_child(struct ArrowSchema *s) {
    schema_block *b = s->private_data;
    s->release = NULL;
    schema_unref(b);
}

static void release_schema(struct ArrowSchema *s) {
    schema_block *b = s->private_data;
    for (int64_t i = 0; i < s->n_children; i++) {
        struct ArrowSchema *c = s->children[i];
        if (c->release) c->release(c);
    }
    s->release = NULL;
    schema_unref(b);
}

static void set_field(struct ArrowSchema *s, const field *f, schema_block *b, void (*release)(struct ArrowSchema *)) {
    s->format = f->format;
    s->name = f->name;
    s->metadata = NULL;
    s->flags = f->flags;
    s->n_children = 0;
    s->children = NULL;
    s->dictionary = NULL;
    s->release = release;
    s->private_data = b;
}

/* Fills *out with a field (no children) or a struct of n fields. */
static int export_schema(struct ArrowSchema *out, const field *top, const field *fields, int64_t n) {
    if (out == NULL) return OBJSTORE_E_BAD_HANDLE;
    out->release = NULL;
    schema_block *b = calloc(1, sizeof *b);
    if (b == NULL) return OBJSTORE_E_GENERIC;
    b->refs = 1 + n;
    for (int64_t i = 0; i < n; i++) {
        set_field(&b->children[i], &fields[i], b, release_schema_child);
        b->child_ptrs[i] = &b->children[i];
    }
    set_field(out, top, b, release_schema);
    out->n_children = n;
    out->children = n ? b->child_ptrs : NULL;
    return OBJSTORE_OK;
}

int objstore_list_arrow_schema(struct ArrowSchema *out) {
    static const field batch = {"", "+s", 0};
    return export_schema(out, &batch, listing_fields, OBJSTORE_ARROW_MAX_CHILDREN);
}

int objstore_list_arrow_prefixes_schema(struct ArrowSchema *out) {
    static const field prefixes = {"common_prefixes", "u", 0};
    return export_schema(out, &prefixes, NULL, 0);
}
