/* The misuse matrix: NULL, freed, double-freed and wrong-kind handles, NULL
 * out-pointers, errors freed twice, calls in a forked child. Every case must
 * return a code, never crash. */
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "tests.h"

/* Calls every function that takes a handle with `h` in each handle slot
 * (cast to the expected type) and checks that each returns BAD_HANDLE. The
 * other arguments are valid, so only the handle can be at fault. */
static void every_function_rejects(void *h) {
    objstore_store *s = h;
    objstore_buffer *buf;
    objstore_reader *r;
    objstore_meta_list *ml;
    objstore_list *l;
    objstore_upload *up;
    objstore_writer *w;
    const uint8_t *data;
    size_t len;
    char *str;
    const objstore_object_meta *m;
    const objstore_pending_upload *pu;
    const char *const *pre;
    size_t n2;
    uint64_t st = 0, en = 1;
    const uint8_t *d[1];
    size_t ls[1];
    const char *paths[] = {"x"};

    FAILS(objstore_store_config_json(s, &str, &err), OBJSTORE_E_BAD_HANDLE);
    EXPECT(objstore_buffer_data((objstore_buffer *)h, &data, &len), OBJSTORE_E_BAD_HANDLE);
    FAILS(objstore_get(s, "x", NULL, &r, NULL, &err), OBJSTORE_E_BAD_HANDLE);
    FAILS(objstore_reader_read_all((objstore_reader *)h, &buf, &data, &len, &err), OBJSTORE_E_BAD_HANDLE);
    FAILS(objstore_reader_read_chunk((objstore_reader *)h, 1, &buf, &data, &len, &err), OBJSTORE_E_BAD_HANDLE);
    FAILS(objstore_get_bytes(s, "x", NULL, &buf, &data, &len, NULL, &err), OBJSTORE_E_BAD_HANDLE);
    FAILS(objstore_get_ranges(s, "x", &st, &en, 1, &buf, d, ls, &err), OBJSTORE_E_BAD_HANDLE);
    FAILS(objstore_head(s, "x", &ml, &m, &err), OBJSTORE_E_BAD_HANDLE);
    FAILS(objstore_put(s, "x", (const uint8_t *)"x", 1, NULL, NULL, NULL, &err), OBJSTORE_E_BAD_HANDLE);
    FAILS(objstore_upload_new(s, "x", NULL, &up, &err), OBJSTORE_E_BAD_HANDLE);
    FAILS(objstore_upload_put_part((objstore_upload *)h, 0, (const uint8_t *)"x", 1, &err), OBJSTORE_E_BAD_HANDLE);
    FAILS(objstore_upload_complete((objstore_upload *)h, NULL, NULL, &err), OBJSTORE_E_BAD_HANDLE);
    FAILS(objstore_upload_abort((objstore_upload *)h, &err), OBJSTORE_E_BAD_HANDLE);
    FAILS(objstore_writer_new(s, "x", NULL, &w, &err), OBJSTORE_E_BAD_HANDLE);
    FAILS(objstore_writer_write((objstore_writer *)h, (const uint8_t *)"x", 1, &err), OBJSTORE_E_BAD_HANDLE);
    FAILS(objstore_writer_close((objstore_writer *)h, NULL, NULL, &err), OBJSTORE_E_BAD_HANDLE);
    FAILS(objstore_writer_abort((objstore_writer *)h, &err), OBJSTORE_E_BAD_HANDLE);
    FAILS(objstore_delete(s, "x", &err), OBJSTORE_E_BAD_HANDLE);
    FAILS(objstore_delete_many(s, paths, 1, NULL, &err), OBJSTORE_E_BAD_HANDLE);
    FAILS(objstore_copy(s, "x", "y", 0, &err), OBJSTORE_E_BAD_HANDLE);
    FAILS(objstore_rename(s, "x", "y", 0, &err), OBJSTORE_E_BAD_HANDLE);
    FAILS(objstore_sign(s, "GET", "x", 60, &str, &err), OBJSTORE_E_BAD_HANDLE);
    FAILS(objstore_list_new(s, NULL, NULL, &l, &err), OBJSTORE_E_BAD_HANDLE);
    FAILS(objstore_list_next((objstore_list *)h, 0, &ml, &m, &len, &err), OBJSTORE_E_BAD_HANDLE);
    FAILS(objstore_list_with_delimiter(s, NULL, &ml, &m, &len, &pre, &n2, &err), OBJSTORE_E_BAD_HANDLE);
    FAILS(objstore_cleanup_uploads(s, NULL, 0, 0, &ml, &pu, &len, &err), OBJSTORE_E_BAD_HANDLE);
    FAILS(objstore_submit_cleanup_uploads(s, NULL, 0, 0, 1, &err), OBJSTORE_E_BAD_HANDLE);
    /* frees last, for handles that would otherwise really be freed; a
     * free of NULL is the one harmless case (test_free_null) */
    if (h == NULL) return;
    EXPECT(objstore_store_free(s), OBJSTORE_E_BAD_HANDLE);
    EXPECT(objstore_buffer_free((objstore_buffer *)h), OBJSTORE_E_BAD_HANDLE);
    EXPECT(objstore_buffers_free((objstore_buffer *const *)&h, 1), OBJSTORE_E_BAD_HANDLE);
    EXPECT(objstore_reader_free((objstore_reader *)h), OBJSTORE_E_BAD_HANDLE);
    EXPECT(objstore_meta_list_free((objstore_meta_list *)h), OBJSTORE_E_BAD_HANDLE);
    EXPECT(objstore_list_free((objstore_list *)h), OBJSTORE_E_BAD_HANDLE);
    EXPECT(objstore_upload_free((objstore_upload *)h), OBJSTORE_E_BAD_HANDLE);
    EXPECT(objstore_writer_free((objstore_writer *)h), OBJSTORE_E_BAD_HANDLE);
}

static void test_null_handles(void) { every_function_rejects(NULL); }

/* Every _free of NULL is a harmless no-op returning OBJSTORE_OK, as
 * sqlite3_close(NULL) is: cleanup code may free whatever it holds without
 * checking. */
static void test_free_null(void) {
    objstore_stats before = OBJSTORE_STATS_INIT, after = OBJSTORE_STATS_INIT;
    EXPECT(objstore_debug_stats(&before), OBJSTORE_OK);
    EXPECT(objstore_store_free(NULL), OBJSTORE_OK);
    EXPECT(objstore_buffer_free(NULL), OBJSTORE_OK);
    EXPECT(objstore_buffers_free(NULL, 4), OBJSTORE_OK);
    EXPECT(objstore_reader_free(NULL), OBJSTORE_OK);
    EXPECT(objstore_meta_list_free(NULL), OBJSTORE_OK);
    EXPECT(objstore_list_free(NULL), OBJSTORE_OK);
    EXPECT(objstore_upload_free(NULL), OBJSTORE_OK);
    EXPECT(objstore_writer_free(NULL), OBJSTORE_OK);
    EXPECT(objstore_error_free(NULL), OBJSTORE_OK);
    objstore_string_free(NULL);
    /* and nothing was counted as freed */
    EXPECT(objstore_debug_stats(&after), OBJSTORE_OK);
    CHECK(after.stores == before.stores && after.buffers == before.buffers && after.readers == before.readers &&
          after.meta_lists == before.meta_lists && after.lists == before.lists && after.uploads == before.uploads &&
          after.writers == before.writers && after.errors == before.errors);
}

static void test_unknown_handles(void) {
    /* addresses the library never handed out: heap, stack, static */
    void *heap = malloc(64);
    int on_stack;
    static int in_data;
    every_function_rejects(heap);
    every_function_rejects(&on_stack);
    every_function_rejects(&in_data);
    free(heap);
}

static void test_freed_handles(void) {
    objstore_store *s = NULL;
    OK(objstore_store_new("{\"kind\":\"memory\"}", "{}", &s, &err));
    OK(objstore_put(s, "x", (const uint8_t *)"x", 1, NULL, NULL, NULL, &err));
    objstore_buffer *buf;
    const uint8_t *data;
    size_t len;
    OK(objstore_get_bytes(s, "x", NULL, &buf, &data, &len, NULL, &err));
    objstore_reader *r;
    OK(objstore_get(s, "x", NULL, &r, NULL, &err));
    objstore_meta_list *ml;
    const objstore_object_meta *m;
    OK(objstore_head(s, "x", &ml, &m, &err));
    objstore_list *l;
    OK(objstore_list_new(s, NULL, NULL, &l, &err));
    objstore_upload *up;
    OK(objstore_upload_new(s, "y", NULL, &up, &err));
    objstore_writer *w;
    OK(objstore_writer_new(s, "z", NULL, &w, &err));

    void *handles[] = {buf, r, ml, l, up, w, s};
    EXPECT(objstore_buffer_free(buf), OBJSTORE_OK);
    EXPECT(objstore_reader_free(r), OBJSTORE_OK);
    EXPECT(objstore_meta_list_free(ml), OBJSTORE_OK);
    EXPECT(objstore_list_free(l), OBJSTORE_OK);
    EXPECT(objstore_upload_free(up), OBJSTORE_OK);
    EXPECT(objstore_writer_free(w), OBJSTORE_OK);
    EXPECT(objstore_store_free(s), OBJSTORE_OK);
    /* use after free and double free, of every kind, in every slot */
    for (size_t i = 0; i < sizeof handles / sizeof *handles; i++) every_function_rejects(handles[i]);
}

static void test_wrong_kind_handles(void) {
    objstore_store *s = NULL;
    OK(objstore_store_new("{\"kind\":\"memory\"}", NULL, &s, &err));
    OK(objstore_put(s, "x", (const uint8_t *)"x", 1, NULL, NULL, NULL, &err));
    objstore_buffer *buf;
    const uint8_t *data;
    size_t len;
    OK(objstore_get_bytes(s, "x", NULL, &buf, &data, &len, NULL, &err));
    objstore_meta_list *ml;
    const objstore_object_meta *m;
    OK(objstore_head(s, "x", &ml, &m, &err));

    /* a buffer as a store, a store as a buffer, ... */
    objstore_reader *r;
    FAILS(objstore_get((objstore_store *)buf, "x", NULL, &r, NULL, &err), OBJSTORE_E_BAD_HANDLE);
    EXPECT(objstore_store_free((objstore_store *)buf), OBJSTORE_E_BAD_HANDLE);
    EXPECT(objstore_buffer_data((objstore_buffer *)s, &data, &len), OBJSTORE_E_BAD_HANDLE);
    EXPECT(objstore_buffer_free((objstore_buffer *)s), OBJSTORE_E_BAD_HANDLE);
    EXPECT(objstore_buffer_free((objstore_buffer *)ml), OBJSTORE_E_BAD_HANDLE);
    EXPECT(objstore_meta_list_free((objstore_meta_list *)buf), OBJSTORE_E_BAD_HANDLE);
    FAILS(objstore_list_next((objstore_list *)ml, 0, &ml, &m, &len, &err), OBJSTORE_E_BAD_HANDLE);
    /* an error struct is not a handle, and a handle is not an error */
    objstore_error *e = NULL;
    EXPECT(objstore_get_bytes(s, "missing", NULL, &buf, &data, &len, NULL, &e), OBJSTORE_E_NOT_FOUND);
    EXPECT(objstore_store_free((objstore_store *)e), OBJSTORE_E_BAD_HANDLE);
    EXPECT(objstore_error_free((objstore_error *)s), OBJSTORE_E_BAD_HANDLE);
    EXPECT(objstore_error_free(e), OBJSTORE_OK);
    /* all still usable after the misuse */
    EXPECT(objstore_buffer_data(buf, &data, &len), OBJSTORE_OK);
    CHECK(len == 1 && data[0] == 'x');
    EXPECT(objstore_buffer_free(buf), OBJSTORE_OK);
    EXPECT(objstore_meta_list_free(ml), OBJSTORE_OK);
    EXPECT(objstore_store_free(s), OBJSTORE_OK);
}

/* A batch free frees every good entry, skips NULLs, and reports (without
 * stopping at) a freed or foreign one. */
static void test_buffers_freed_in_a_batch(void) {
    objstore_store *s = NULL;
    OK(objstore_store_new("{\"kind\":\"memory\"}", NULL, &s, &err));
    OK(objstore_put(s, "x", (const uint8_t *)"x", 1, NULL, NULL, NULL, &err));
    objstore_stats before = OBJSTORE_STATS_INIT, during = OBJSTORE_STATS_INIT, after = OBJSTORE_STATS_INIT;
    OK(objstore_debug_stats(&before));
    objstore_buffer *bufs[5] = {0};
    const uint8_t *data;
    size_t len;
    OK(objstore_get_bytes(s, "x", NULL, &bufs[0], &data, &len, NULL, &err));
    OK(objstore_get_bytes(s, "x", NULL, &bufs[2], &data, &len, NULL, &err));
    OK(objstore_get_bytes(s, "x", NULL, &bufs[4], &data, &len, NULL, &err));
    OK(objstore_debug_stats(&during));
    CHECK(during.buffers == before.buffers + 3);
    bufs[1] = (objstore_buffer *)s; /* not a buffer: refused, the rest still freed */
    EXPECT(objstore_buffers_free(bufs, 5), OBJSTORE_E_BAD_HANDLE);
    OK(objstore_debug_stats(&after));
    CHECK(after.buffers == before.buffers);
    bufs[1] = NULL;
    EXPECT(objstore_buffers_free(bufs, 5), OBJSTORE_E_BAD_HANDLE); /* freed already */
    EXPECT(objstore_buffers_free(NULL, 0), OBJSTORE_OK);
    EXPECT(objstore_buffers_free(NULL, 3), OBJSTORE_OK);
    EXPECT(objstore_store_free(s), OBJSTORE_OK); /* the store survived being named in a buffer batch */
}

static void test_errors_freed_twice(void) {
    EXPECT(objstore_error_free(NULL), OBJSTORE_OK);
    objstore_store *s = NULL;
    objstore_error *e = NULL;
    EXPECT(objstore_store_new("not json", NULL, &s, &e), OBJSTORE_E_INVALID_ARGUMENT);
    CHECK(e && e->code == OBJSTORE_E_INVALID_ARGUMENT && e->message && e->message[0]);
    CHECK(s == NULL);
    EXPECT(objstore_error_free(e), OBJSTORE_OK);
    EXPECT(objstore_error_free(e), OBJSTORE_E_BAD_HANDLE);
    EXPECT(objstore_error_free(e), OBJSTORE_E_BAD_HANDLE);
    objstore_error fake = {1, "fake"};
    EXPECT(objstore_error_free(&fake), OBJSTORE_E_BAD_HANDLE);
    /* BAD_HANDLE itself comes with details */
    FAILS(objstore_store_config_json(NULL, &(char *){0}, &err), OBJSTORE_E_BAD_HANDLE);
    /* err == NULL: the code alone */
    EXPECT(objstore_store_new("not json", NULL, &s, NULL), OBJSTORE_E_INVALID_ARGUMENT);
}

static void test_null_out_pointers(void) {
    objstore_store *s = NULL;
    OK(objstore_store_new("{\"kind\":\"memory\"}", NULL, &s, &err));
    OK(objstore_put(s, "x", (const uint8_t *)"xyz", 3, NULL, NULL, NULL, &err));
    objstore_buffer *buf;
    objstore_reader *r;
    objstore_meta_list *ml;
    const objstore_object_meta *m;
    const objstore_pending_upload *pu;
    objstore_list *l;
    const uint8_t *data;
    size_t len;
    const char *const *pre;
    uint64_t st = 0, en = 1;
    const uint8_t *d[1];
    size_t ls[1];

    FAILS(objstore_store_new("{\"kind\":\"memory\"}", NULL, NULL, &err), OBJSTORE_E_BAD_HANDLE);
    FAILS(objstore_store_config_json(s, NULL, &err), OBJSTORE_E_BAD_HANDLE);
    FAILS(objstore_config_normalize("{\"kind\":\"memory\"}", NULL, &err), OBJSTORE_E_BAD_HANDLE);
    FAILS(objstore_config_from_url("memory://", NULL, NULL, &err), OBJSTORE_E_BAD_HANDLE);
    FAILS(objstore_get(s, "x", NULL, NULL, NULL, &err), OBJSTORE_E_BAD_HANDLE);
    FAILS(objstore_get_bytes(s, "x", NULL, NULL, &data, &len, NULL, &err), OBJSTORE_E_BAD_HANDLE);
    FAILS(objstore_get_bytes(s, "x", NULL, &buf, NULL, &len, NULL, &err), OBJSTORE_E_BAD_HANDLE);
    FAILS(objstore_get_bytes(s, "x", NULL, &buf, &data, NULL, NULL, &err), OBJSTORE_E_BAD_HANDLE);
    FAILS(objstore_get_ranges(s, "x", &st, &en, 1, NULL, d, ls, &err), OBJSTORE_E_BAD_HANDLE);
    FAILS(objstore_get_ranges(s, "x", &st, &en, 1, &buf, NULL, ls, &err), OBJSTORE_E_BAD_HANDLE);
    FAILS(objstore_get_ranges(s, "x", &st, &en, 1, &buf, d, NULL, &err), OBJSTORE_E_BAD_HANDLE);
    FAILS(objstore_head(s, "x", NULL, &m, &err), OBJSTORE_E_BAD_HANDLE);
    FAILS(objstore_head(s, "x", &ml, NULL, &err), OBJSTORE_E_BAD_HANDLE);
    FAILS(objstore_upload_new(s, "x", NULL, NULL, &err), OBJSTORE_E_BAD_HANDLE);
    FAILS(objstore_writer_new(s, "x", NULL, NULL, &err), OBJSTORE_E_BAD_HANDLE);
    FAILS(objstore_sign(s, "GET", "x", 60, NULL, &err), OBJSTORE_E_BAD_HANDLE);
    FAILS(objstore_list_new(s, NULL, NULL, NULL, &err), OBJSTORE_E_BAD_HANDLE);
    FAILS(objstore_list_with_delimiter(s, NULL, NULL, &m, &len, &pre, &len, &err), OBJSTORE_E_BAD_HANDLE);
    FAILS(objstore_list_with_delimiter(s, NULL, &ml, NULL, &len, &pre, &len, &err), OBJSTORE_E_BAD_HANDLE);
    FAILS(objstore_list_with_delimiter(s, NULL, &ml, &m, NULL, &pre, &len, &err), OBJSTORE_E_BAD_HANDLE);
    FAILS(objstore_list_with_delimiter(s, NULL, &ml, &m, &len, NULL, &len, &err), OBJSTORE_E_BAD_HANDLE);
    FAILS(objstore_list_with_delimiter(s, NULL, &ml, &m, &len, &pre, NULL, &err), OBJSTORE_E_BAD_HANDLE);
    FAILS(objstore_cleanup_uploads(s, NULL, 0, 0, NULL, &pu, &len, &err), OBJSTORE_E_BAD_HANDLE);
    FAILS(objstore_cleanup_uploads(s, NULL, 0, 0, &ml, NULL, &len, &err), OBJSTORE_E_BAD_HANDLE);
    FAILS(objstore_cleanup_uploads(s, NULL, 0, 0, &ml, &pu, NULL, &err), OBJSTORE_E_BAD_HANDLE);

    OK(objstore_get(s, "x", NULL, &r, NULL, &err));
    FAILS(objstore_reader_read_all(r, NULL, &data, &len, &err), OBJSTORE_E_BAD_HANDLE);
    FAILS(objstore_reader_read_chunk(r, 1, &buf, NULL, &len, &err), OBJSTORE_E_BAD_HANDLE);
    FAILS(objstore_reader_read_chunk(r, 1, &buf, &data, NULL, &err), OBJSTORE_E_BAD_HANDLE);
    /* the refused calls consumed nothing */
    OK(objstore_reader_read_all(r, &buf, &data, &len, &err));
    CHECK_MEM(data, len, "xyz");
    EXPECT(objstore_buffer_data(buf, NULL, &len), OBJSTORE_E_BAD_HANDLE);
    EXPECT(objstore_buffer_data(buf, &data, NULL), OBJSTORE_E_BAD_HANDLE);
    objstore_buffer_free(buf);
    objstore_reader_free(r);

    OK(objstore_list_new(s, NULL, NULL, &l, &err));
    FAILS(objstore_list_next(l, 0, NULL, &m, &len, &err), OBJSTORE_E_BAD_HANDLE);
    FAILS(objstore_list_next(l, 0, &ml, NULL, &len, &err), OBJSTORE_E_BAD_HANDLE);
    FAILS(objstore_list_next(l, 0, &ml, &m, NULL, &err), OBJSTORE_E_BAD_HANDLE);
    objstore_list_free(l);

    /* NULL input strings */
    FAILS(objstore_store_new(NULL, NULL, &s, &err), OBJSTORE_E_INVALID_ARGUMENT);
    FAILS(objstore_config_normalize(NULL, &(char *){0}, &err), OBJSTORE_E_INVALID_ARGUMENT);
    FAILS(objstore_config_from_url(NULL, NULL, &(char *){0}, &err), OBJSTORE_E_INVALID_ARGUMENT);
    FAILS(objstore_sign(s, NULL, "x", 60, &(char *){0}, &err), OBJSTORE_E_INVALID_ARGUMENT);
    FAILS(objstore_delete_many(s, NULL, 2, NULL, &err), OBJSTORE_E_INVALID_ARGUMENT);
    FAILS(objstore_get_ranges(s, "x", NULL, &en, 1, &buf, d, ls, &err), OBJSTORE_E_INVALID_ARGUMENT);
    EXPECT(objstore_store_free(s), OBJSTORE_OK);
}

/* NULL or non-UTF-8 paths and NULL data are typed errors, never crashes; a
 * refused call changes nothing. */
static void test_null_and_bad_arguments(void) {
    objstore_store *s = NULL;
    OK(objstore_store_new("{\"kind\":\"memory\"}", NULL, &s, &err));
    OK(objstore_put(s, "x", (const uint8_t *)"x", 1, NULL, NULL, NULL, &err));
    objstore_buffer *buf;
    objstore_reader *r;
    objstore_meta_list *ml;
    const objstore_object_meta *m;
    objstore_upload *up;
    objstore_writer *w;
    const uint8_t *data;
    size_t len;
    uint64_t st = 0, en = 1;
    const uint8_t *d[1];
    size_t ls[1];
    const char *bad_paths[] = {NULL, "bad\xff/utf8", "../escape", "a//b", "ctl\x01"};
    for (size_t i = 0; i < sizeof bad_paths / sizeof *bad_paths; i++) {
        const char *p = bad_paths[i];
        FAILS(objstore_get(s, p, NULL, &r, NULL, &err), OBJSTORE_E_INVALID_PATH);
        FAILS(objstore_get_bytes(s, p, NULL, &buf, &data, &len, NULL, &err), OBJSTORE_E_INVALID_PATH);
        FAILS(objstore_get_ranges(s, p, &st, &en, 1, &buf, d, ls, &err), OBJSTORE_E_INVALID_PATH);
        FAILS(objstore_head(s, p, &ml, &m, &err), OBJSTORE_E_INVALID_PATH);
        FAILS(objstore_put(s, p, (const uint8_t *)"x", 1, NULL, NULL, NULL, &err), OBJSTORE_E_INVALID_PATH);
        FAILS(objstore_upload_new(s, p, NULL, &up, &err), OBJSTORE_E_INVALID_PATH);
        FAILS(objstore_writer_new(s, p, NULL, &w, &err), OBJSTORE_E_INVALID_PATH);
        FAILS(objstore_delete(s, p, &err), OBJSTORE_E_INVALID_PATH);
        FAILS(objstore_copy(s, p, "y", 0, &err), OBJSTORE_E_INVALID_PATH);
        FAILS(objstore_copy(s, "x", p, 0, &err), OBJSTORE_E_INVALID_PATH);
        FAILS(objstore_rename(s, p, "y", 0, &err), OBJSTORE_E_INVALID_PATH);
        FAILS(objstore_rename(s, "x", p, 0, &err), OBJSTORE_E_INVALID_PATH);
        const char *many[] = {"x", p};
        int codes[2] = {-1, -1};
        FAILS(objstore_delete_many(s, many, 2, codes, &err), OBJSTORE_E_INVALID_PATH);
        CHECK(codes[1] == OBJSTORE_E_INVALID_PATH);
        OK(objstore_put(s, "x", (const uint8_t *)"x", 1, NULL, NULL, NULL, &err)); /* deleted by delete_many */
    }
    /* NULL data: fine for zero bytes, an error for more */
    FAILS(objstore_put(s, "n", NULL, 5, NULL, NULL, NULL, &err), OBJSTORE_E_INVALID_ARGUMENT);
    OK(objstore_put(s, "empty", NULL, 0, NULL, NULL, NULL, &err));
    OK(objstore_writer_new(s, "w", NULL, &w, &err));
    FAILS(objstore_writer_write(w, NULL, 5, &err), OBJSTORE_E_INVALID_ARGUMENT);
    EXPECT(objstore_writer_free(w), OBJSTORE_OK);
    OK(objstore_upload_new(s, "u", NULL, &up, &err));
    FAILS(objstore_upload_put_part(up, 0, NULL, 5, &err), OBJSTORE_E_INVALID_ARGUMENT);
    EXPECT(objstore_upload_free(up), OBJSTORE_OK);
    /* nothing the refused calls named was created, x is intact */
    FAILS(objstore_head(s, "n", &ml, &m, &err), OBJSTORE_E_NOT_FOUND);
    FAILS(objstore_head(s, "w", &ml, &m, &err), OBJSTORE_E_NOT_FOUND);
    FAILS(objstore_head(s, "u", &ml, &m, &err), OBJSTORE_E_NOT_FOUND);
    OK(objstore_get_bytes(s, "x", NULL, &buf, &data, &len, NULL, &err));
    CHECK_MEM(data, len, "x");
    EXPECT(objstore_buffer_free(buf), OBJSTORE_OK);
    /* a bounded range that is empty or inverted */
    en = 0;
    FAILS(objstore_get_ranges(s, "x", &st, &en, 1, &buf, d, ls, &err), OBJSTORE_E_INVALID_ARGUMENT);
    EXPECT(objstore_store_free(s), OBJSTORE_OK);
}

/* A check in a forked child: report the line, count the failure. */
#define CHILD_CHECK(cond)                                                          \
    do {                                                                           \
        if (!(cond)) {                                                             \
            fprintf(stderr, "  FAIL %s:%d (in the forked child): %s\n", __FILE__, __LINE__, #cond); \
            bad++;                                                                 \
        }                                                                          \
    } while (0)

/* In a forked child every call returns FORKED at once; the parent is fine. */
static void test_fork(void) {
    objstore_store *s = NULL;
    OK(objstore_store_new("{\"kind\":\"memory\"}", NULL, &s, &err));
    OK(objstore_put(s, "x", (const uint8_t *)"x", 1, NULL, NULL, NULL, &err));
    objstore_buffer *buf = NULL;
    const uint8_t *data;
    size_t len;
    OK(objstore_get_bytes(s, "x", NULL, &buf, &data, &len, NULL, &err));

    /* The child reports its failure count through a pipe, not its exit
     * status (which tools like valgrind may overwrite). */
    int report[2];
    CHECK(pipe(report) == 0);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        close(report[0]);
        int bad = 0;
        objstore_store *s2 = NULL;
        objstore_error *e = NULL;
        objstore_list *l;
        char *str = NULL;
        CHILD_CHECK(objstore_store_new("{\"kind\":\"memory\"}", NULL, &s2, &e) == OBJSTORE_E_FORKED);
        CHILD_CHECK(s2 == NULL && e == NULL); /* nothing written */
        CHILD_CHECK(objstore_put(s, "y", (const uint8_t *)"y", 1, NULL, NULL, NULL, &e) == OBJSTORE_E_FORKED);
        CHILD_CHECK(e == NULL);
        CHILD_CHECK(objstore_get_bytes(s, "x", NULL, &buf, &data, &len, NULL, NULL) == OBJSTORE_E_FORKED);
        CHILD_CHECK(objstore_buffer_data(buf, &data, &len) == OBJSTORE_E_FORKED);
        CHILD_CHECK(objstore_buffer_free(buf) == OBJSTORE_E_FORKED);
        CHILD_CHECK(objstore_buffers_free(&buf, 1) == OBJSTORE_E_FORKED);
        CHILD_CHECK(objstore_list_new(s, NULL, NULL, &l, NULL) == OBJSTORE_E_FORKED);
        CHILD_CHECK(objstore_config_normalize("{\"kind\":\"memory\"}", &str, NULL) == OBJSTORE_E_FORKED);
        CHILD_CHECK(objstore_store_free(s) == OBJSTORE_E_FORKED);
        CHILD_CHECK(objstore_error_free(NULL) == OBJSTORE_E_FORKED);
        CHILD_CHECK(objstore_abi_version() == OBJSTORE_ABI_VERSION); /* plain C: still fine */
        objstore_string_free(NULL);
        ssize_t w = write(report[1], &bad, sizeof bad);
        _exit(w == sizeof bad ? 0 : 2);
    }
    CHECK(pid > 0);
    close(report[1]);
    int child_failures = -1;
    CHECK(read(report[0], &child_failures, sizeof child_failures) == sizeof child_failures);
    close(report[0]);
    EXPECT(child_failures, 0);
    int status = -1;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status)); /* not killed by a signal */
    /* the parent keeps working */
    const uint8_t *again;
    EXPECT(objstore_buffer_data(buf, &again, &len), OBJSTORE_OK);
    CHECK(again == data && len == 1);
    EXPECT(objstore_buffer_free(buf), OBJSTORE_OK);
    OK(objstore_put(s, "y", (const uint8_t *)"y", 1, NULL, NULL, NULL, &err));
    EXPECT(objstore_store_free(s), OBJSTORE_OK);
}

/* Handles freed long ago stay rejected while many new ones come and go. */
static void test_stale_handle_not_reused(void) {
    objstore_store *s = NULL;
    OK(objstore_store_new("{\"kind\":\"memory\"}", NULL, &s, &err));
    OK(objstore_put(s, "x", (const uint8_t *)"x", 1, NULL, NULL, NULL, &err));
    objstore_buffer *stale;
    const uint8_t *data;
    size_t len;
    OK(objstore_get_bytes(s, "x", NULL, &stale, &data, &len, NULL, &err));
    EXPECT(objstore_buffer_free(stale), OBJSTORE_OK);
    int reused = 0;
    for (int i = 0; i < 5000; i++) {
        objstore_buffer *b;
        if (objstore_get_bytes(s, "x", NULL, &b, &data, &len, NULL, NULL) != OBJSTORE_OK) break;
        reused += b == stale;
        objstore_buffer_free(b);
    }
    EXPECT(reused, 0);
    EXPECT(objstore_buffer_free(stale), OBJSTORE_E_BAD_HANDLE);
    EXPECT(objstore_store_free(s), OBJSTORE_OK);
}

void run_misuse_tests(void) {
    RUN(test_null_handles);
    RUN(test_free_null);
    RUN(test_unknown_handles);
    RUN(test_freed_handles);
    RUN(test_wrong_kind_handles);
    RUN(test_buffers_freed_in_a_batch);
    RUN(test_errors_freed_twice);
    RUN(test_null_out_pointers);
    RUN(test_null_and_bad_arguments);
    RUN(test_fork);
    RUN(test_stale_handle_not_reused);
}
