/* Listings as Arrow record batches (the Arrow C Data Interface): the
 * schemas, batches read back column by column and checked against the
 * metadata listing of the same store, one-level listings, the async twins,
 * releases (moved children, other threads, a forked child) and that every
 * release frees what the batch held. Runs on the store S of the runner. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "tests.h"

static void put_text(const char *path, const char *text) {
    OK(objstore_put(S, path, (const uint8_t *)text, strlen(text), NULL, NULL, NULL, &err));
}

/* Value i of a utf8 array (NUL-terminated copy in out); 0 when null. */
static int utf8_at(const struct ArrowArray *a, int64_t i, char *out, size_t size) {
    const uint8_t *validity = a->buffers[0];
    if (validity && !(validity[i / 8] >> (i % 8) & 1)) return 0;
    const int32_t *offsets = a->buffers[1];
    const char *data = a->buffers[2];
    size_t n = (size_t)(offsets[i + 1] - offsets[i]);
    if (n >= size) n = size - 1;
    memcpy(out, data + offsets[i], n);
    out[n] = 0;
    return 1;
}

static void test_schemas(void) {
    static const char *names[] = {"path", "last_modified", "size", "e_tag", "version"};
    static const char *formats[] = {"u", "tsu:UTC", "L", "u", "u"};
    static const int64_t flags[] = {0, 0, 0, ARROW_FLAG_NULLABLE, ARROW_FLAG_NULLABLE};
    struct ArrowSchema s;
    EXPECT(objstore_list_arrow_schema(&s), OBJSTORE_OK);
    CHECK(strcmp(s.format, "+s") == 0 && s.n_children == 5 && s.release != NULL && s.dictionary == NULL);
    for (int i = 0; i < 5 && s.n_children == 5; i++) {
        CHECK(strcmp(s.children[i]->name, names[i]) == 0);
        CHECK(strcmp(s.children[i]->format, formats[i]) == 0);
        CHECK(s.children[i]->flags == flags[i] && s.children[i]->n_children == 0);
    }
    /* a child moved out outlives its parent */
    struct ArrowSchema moved = *s.children[1];
    s.children[1]->release = NULL;
    s.release(&s);
    CHECK(s.release == NULL);
    CHECK(strcmp(moved.name, "last_modified") == 0);
    moved.release(&moved);
    CHECK(moved.release == NULL);

    EXPECT(objstore_list_arrow_prefixes_schema(&s), OBJSTORE_OK);
    CHECK(strcmp(s.format, "u") == 0 && strcmp(s.name, "common_prefixes") == 0 && s.n_children == 0 && s.flags == 0);
    s.release(&s);
    EXPECT(objstore_list_arrow_schema(NULL), OBJSTORE_E_BAD_HANDLE);
}

/* The batch's rows equal the metadata listing's entries of the same store. */
static void check_batch(const struct ArrowArray *b, const objstore_object_meta *items, size_t n) {
    CHECK(b->length == (int64_t)n && b->null_count == 0 && b->offset == 0);
    CHECK(b->n_buffers == 1 && b->buffers[0] == NULL && b->n_children == 5 && b->dictionary == NULL);
    if (b->n_children != 5 || b->length != (int64_t)n) return;
    struct ArrowArray *const *c = b->children;
    for (int i = 0; i < 5; i++) {
        CHECK(c[i]->length == (int64_t)n && c[i]->offset == 0 && c[i]->n_children == 0 && c[i]->release != NULL);
        for (int64_t j = 1; j < c[i]->n_buffers; j++) CHECK(c[i]->buffers[j] != NULL);
    }
    CHECK(c[0]->n_buffers == 3 && c[1]->n_buffers == 2 && c[2]->n_buffers == 2);
    CHECK(c[0]->null_count == 0 && c[1]->null_count == 0 && c[2]->null_count == 0);
    const int64_t *times = c[1]->buffers[1];
    const uint64_t *sizes = c[2]->buffers[1];
    int64_t etag_nulls = 0, version_nulls = 0;
    char got[1024];
    for (size_t i = 0; i < n; i++) {
        CHECK(utf8_at(c[0], (int64_t)i, got, sizeof got) && strcmp(got, items[i].location) == 0);
        CHECK(times[i] == items[i].last_modified_ns / 1000);
        CHECK(sizes[i] == items[i].size);
        if (utf8_at(c[3], (int64_t)i, got, sizeof got)) {
            CHECK(items[i].e_tag && strcmp(got, items[i].e_tag) == 0);
        } else {
            CHECK(items[i].e_tag == NULL);
            etag_nulls++;
        }
        if (utf8_at(c[4], (int64_t)i, got, sizeof got)) {
            CHECK(items[i].version && strcmp(got, items[i].version) == 0);
        } else {
            CHECK(items[i].version == NULL);
            version_nulls++;
        }
    }
    CHECK(c[3]->null_count == etag_nulls && c[4]->null_count == version_nulls);
}

static void put_listing(void) {
    char path[64];
    for (int i = 0; i < 25; i++) {
        snprintf(path, sizeof path, "arrow/item-%02d", i);
        put_text(path, i % 3 ? "x" : "");
    }
    put_text("arrow/sub/deep", "yy");
    put_text("arrow/\xc3\xbcnicode \xf0\x9f\x98\x80", "zzz"); /* "ünicode 😀" */
    put_text("arrows/other", "z");
}

static void test_pages(void) {
    put_listing();
    objstore_stats before = harness_stats();
    objstore_list *l = NULL, *ref = NULL;
    OK(objstore_list_new(S, "arrow", NULL, &l, &err));
    OK(objstore_list_new(S, "arrow", NULL, &ref, &err));
    size_t sizes[] = {10, 10, 7, 0, 0};
    for (int page = 0; page < 5; page++) {
        struct ArrowArray b;
        b.release = (void (*)(struct ArrowArray *))1; /* garbage the call must overwrite */
        size_t n = 99;
        OK(objstore_list_next_arrow(l, 10, &b, &n, &err));
        EXPECT(n, sizes[page]);
        CHECK(b.release != NULL);
        objstore_meta_list *ml = NULL;
        const objstore_object_meta *items = NULL;
        size_t m = 0;
        OK(objstore_list_next(ref, 10, &ml, &items, &m, &err));
        CHECK(m == n);
        check_batch(&b, items, m);
        objstore_meta_list_free(ml);
        b.release(&b);
        CHECK(b.release == NULL);
    }
    EXPECT(objstore_list_free(l), OBJSTORE_OK);
    EXPECT(objstore_list_free(ref), OBJSTORE_OK);

    /* SIZE_MAX: the whole rest in one batch; a list mixes both calls */
    OK(objstore_list_new(S, "arrow", "arrow/item-04", &l, &err));
    objstore_meta_list *ml = NULL;
    const objstore_object_meta *items = NULL;
    size_t n = 0;
    OK(objstore_list_next(l, 2, &ml, &items, &n, &err));
    CHECK(n == 2 && strcmp(items[0].location, "arrow/item-05") == 0);
    objstore_meta_list_free(ml);
    struct ArrowArray all;
    OK(objstore_list_next_arrow(l, SIZE_MAX, &all, &n, &err));
    CHECK(n == 20 && all.length == 20);
    char first[64];
    CHECK(utf8_at(all.children[0], 0, first, sizeof first) && strcmp(first, "arrow/item-07") == 0);
    all.release(&all);
    EXPECT(objstore_list_free(l), OBJSTORE_OK);

    objstore_stats after = harness_stats();
    CHECK(after.arrow_arrays == before.arrow_arrays && after.arrow_bytes == before.arrow_bytes);
}

static void *release_in_thread(void *arg) {
    struct ArrowArray *a = arg;
    a->release(a);
    return NULL;
}

static void test_release_anywhere(void) {
    objstore_stats before = harness_stats();
    objstore_list *l = NULL;
    struct ArrowArray b;
    size_t n = 0;
    OK(objstore_list_new(S, "arrow", NULL, &l, &err));
    OK(objstore_list_next_arrow(l, 0, &b, &n, &err));
    EXPECT(objstore_list_free(l), OBJSTORE_OK);
    CHECK(n == 27);
    CHECK(harness_stats().arrow_arrays == before.arrow_arrays + 1 && harness_stats().arrow_bytes > before.arrow_bytes);

    /* children moved out outlive the parent, and the store */
    struct ArrowArray path = *b.children[0], size = *b.children[2];
    b.children[0]->release = NULL;
    b.children[2]->release = NULL;
    b.release(&b);
    CHECK(b.release == NULL && harness_stats().arrow_arrays == before.arrow_arrays + 1);
    char got[64];
    CHECK(utf8_at(&path, 26, got, sizeof got) && strcmp(got, "arrow/\xc3\xbcnicode \xf0\x9f\x98\x80") == 0);
    CHECK(((const uint64_t *)size.buffers[1])[26] == 3);
    path.release(&path);
    CHECK(harness_stats().arrow_arrays == before.arrow_arrays + 1);
    /* the last reference, released on a thread the library never saw */
    pthread_t t;
    CHECK(pthread_create(&t, NULL, release_in_thread, &size) == 0);
    pthread_join(t, NULL);
    CHECK(size.release == NULL);
    objstore_stats after = harness_stats();
    CHECK(after.arrow_arrays == before.arrow_arrays && after.arrow_bytes == before.arrow_bytes);

    /* in a forked child: no Go, but the schema and releases work */
    OK(objstore_list_new(S, "arrow", NULL, &l, &err));
    OK(objstore_list_next_arrow(l, 0, &b, &n, &err));
    /* the child reports through a pipe (its exit status is valgrind's under
     * `make valgrind`) */
    int fds[2];
    CHECK(pipe(fds) == 0);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        struct ArrowSchema s;
        struct ArrowArray again;
        int ok = objstore_list_arrow_schema(&s) == OBJSTORE_OK && s.n_children == 5;
        if (ok) s.release(&s);
        ok = ok && objstore_list_next_arrow(l, 0, &again, &n, NULL) == OBJSTORE_E_FORKED && again.release == NULL;
        b.release(&b);
        char verdict = ok && b.release == NULL ? 'y' : 'n';
        if (write(fds[1], &verdict, 1) != 1) _exit(2);
        _exit(0);
    }
    close(fds[1]);
    char verdict = 0;
    CHECK(pid > 0 && read(fds[0], &verdict, 1) == 1 && verdict == 'y');
    close(fds[0]);
    CHECK(waitpid(pid, NULL, 0) == pid);
    b.release(&b);
    EXPECT(objstore_list_free(l), OBJSTORE_OK);
}

static void test_one_level(void) {
    objstore_stats before = harness_stats();
    struct ArrowArray objects, prefixes;
    OK(objstore_list_with_delimiter_arrow(S, "arrow", &objects, &prefixes, &err));
    objstore_meta_list *ml = NULL;
    const objstore_object_meta *items = NULL;
    const char *const *want = NULL;
    size_t n = 0, n_prefixes = 0;
    OK(objstore_list_with_delimiter(S, "arrow", &ml, &items, &n, &want, &n_prefixes, &err));
    CHECK(n == 26 && n_prefixes == 1);
    check_batch(&objects, items, n);
    CHECK(prefixes.length == 1 && prefixes.n_buffers == 3 && prefixes.n_children == 0 && prefixes.null_count == 0);
    char got[64];
    CHECK(utf8_at(&prefixes, 0, got, sizeof got) && strcmp(got, "arrow/sub") == 0);
    objstore_meta_list_free(ml);
    objects.release(&objects);
    prefixes.release(&prefixes);

    /* nothing there: empty arrays, still released */
    OK(objstore_list_with_delimiter_arrow(S, "nothing/here", &objects, &prefixes, &err));
    CHECK(objects.length == 0 && objects.n_children == 5 && prefixes.length == 0);
    CHECK(objects.children[0]->buffers[1] != NULL && ((const int32_t *)objects.children[0]->buffers[1])[0] == 0);
    CHECK(((const int32_t *)prefixes.buffers[1])[0] == 0);
    objects.release(&objects);
    prefixes.release(&prefixes);

    /* errors: the caller's structs are left released */
    objects.release = prefixes.release = (void (*)(struct ArrowArray *))1;
    FAILS(objstore_list_with_delimiter_arrow(S, "a//b", &objects, &prefixes, &err), OBJSTORE_E_INVALID_PATH);
    CHECK(objects.release == NULL && prefixes.release == NULL);
    FAILS(objstore_list_with_delimiter_arrow(S, NULL, &objects, NULL, &err), OBJSTORE_E_BAD_HANDLE);
    FAILS(objstore_list_with_delimiter_arrow(NULL, NULL, &objects, &prefixes, &err), OBJSTORE_E_BAD_HANDLE);
    size_t rows = 0;
    objects.release = (void (*)(struct ArrowArray *))1;
    FAILS(objstore_list_next_arrow(NULL, 0, &objects, &rows, &err), OBJSTORE_E_BAD_HANDLE);
    CHECK(objects.release == NULL);
    objstore_list *l = NULL;
    OK(objstore_list_new(S, NULL, NULL, &l, &err));
    FAILS(objstore_list_next_arrow(l, 0, NULL, &rows, &err), OBJSTORE_E_BAD_HANDLE);
    FAILS(objstore_list_next_arrow(l, 0, &objects, NULL, &err), OBJSTORE_E_BAD_HANDLE);
    FAILS(objstore_list_next_arrow((objstore_list *)S, 0, &objects, &rows, &err), OBJSTORE_E_BAD_HANDLE);
    EXPECT(objstore_list_free(l), OBJSTORE_OK);
    objstore_stats after = harness_stats();
    CHECK(after.arrow_arrays == before.arrow_arrays && after.arrow_bytes == before.arrow_bytes);
}

static objstore_completion wait_for(uint64_t id) {
    objstore_completion c;
    memset(&c, 0, sizeof c);
    size_t n = 0;
    EXPECT(objstore_cq_wait(&c, 1, &n, 10000), OBJSTORE_OK);
    CHECK(n == 1 && c.request_id == id);
    return c;
}

static void test_async(void) {
    objstore_stats before = harness_stats();
    objstore_list *l = NULL;
    OK(objstore_list_new(S, "arrow", NULL, &l, &err));
    size_t want[] = {20, 7, 0};
    for (int i = 0; i < 3; i++) {
        struct ArrowArray b;
        OK(objstore_submit_list_next_arrow(l, 20, &b, 900 + (uint64_t)i, &err));
        objstore_completion c = wait_for(900 + (uint64_t)i);
        CHECK(c.code == OBJSTORE_OK && c.op == OBJSTORE_OP_LIST_NEXT_ARROW && c.n_items == want[i]);
        CHECK(b.release != NULL && b.length == (int64_t)want[i]);
        if (b.release) b.release(&b);
    }
    EXPECT(objstore_list_free(l), OBJSTORE_OK);

    struct ArrowArray objects, prefixes;
    OK(objstore_submit_list_with_delimiter_arrow(S, "arrow", &objects, &prefixes, 910, &err));
    objstore_completion c = wait_for(910);
    CHECK(c.code == OBJSTORE_OK && c.op == OBJSTORE_OP_LIST_WITH_DELIMITER_ARROW);
    CHECK(c.n_items == 26 && c.n_prefixes == 1 && objects.length == 26 && prefixes.length == 1);
    objects.release(&objects);
    prefixes.release(&prefixes);

    /* a failing request completes with its error and leaves the arrays released */
    FAILS(objstore_submit_list_with_delimiter_arrow(S, "a//b", &objects, &prefixes, 911, &err), OBJSTORE_E_INVALID_PATH);
    CHECK(objects.release == NULL && prefixes.release == NULL);
    objstore_stats after = harness_stats();
    CHECK(after.arrow_arrays == before.arrow_arrays && after.arrow_bytes == before.arrow_bytes);
}

void run_arrow_tests(void) {
    RUN(test_schemas);
    RUN(test_pages);
    RUN(test_release_anywhere);
    RUN(test_one_level);
    RUN(test_async);
}
