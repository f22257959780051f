/* Every operation of the C API on one store (run for MemoryStore and
 * LocalStore by main.c through the `store_*` globals). */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "tests.h"

objstore_store *S;          /* the store under test, empty at the start */
int store_is_local;         /* LocalStore: deleting a missing object is NOT_FOUND, no attributes */

static void put_str(const char *path, const char *body) {
    OK(objstore_put(S, path, (const uint8_t *)body, strlen(body), NULL, NULL, NULL, &err));
}

/* Reads a whole object into a NUL-terminated malloc'd string (NULL on failure). */
static char *get_str(const char *path) {
    objstore_buffer *buf = NULL;
    const uint8_t *data;
    size_t len;
    if (objstore_get_bytes(S, path, NULL, &buf, &data, &len, NULL, NULL) != OBJSTORE_OK)
        return NULL;
    char *s = malloc(len + 1);
    memcpy(s, data, len);
    s[len] = 0;
    EXPECT(objstore_buffer_free(buf), OBJSTORE_OK);
    return s;
}

static int get_equals(const char *path, const char *want) {
    char *s = get_str(path);
    int ok = s && strcmp(s, want) == 0;
    free(s);
    return ok;
}

static void test_put_get_bytes(void) {
    char *etag = NULL, *version = NULL;
    OK(objstore_put(S, "dir/hello.txt", (const uint8_t *)"hello world", 11, NULL, &etag, &version, &err));
    CHECK(etag != NULL);
    objstore_string_free(etag);
    objstore_string_free(version);

    objstore_buffer *buf = NULL;
    const uint8_t *data = NULL;
    size_t len = 0;
    const objstore_get_info *info = NULL;
    OK(objstore_get_bytes(S, "dir/hello.txt", NULL, &buf, &data, &len, &info, &err));
    CHECK_MEM(data, len, "hello world");
    CHECK(info != NULL);
    if (info) {
        CHECK(strcmp(info->meta.location, "dir/hello.txt") == 0);
        CHECK(info->meta.size == 11);
        CHECK(info->range_start == 0 && info->range_end == 11);
        CHECK(info->meta.last_modified_ns != OBJSTORE_TIME_UNSET && info->meta.last_modified_ns > 0);
    }
    /* buffer_data gives the same bytes */
    const uint8_t *again = NULL;
    size_t again_len = 0;
    EXPECT(objstore_buffer_data(buf, &again, &again_len), OBJSTORE_OK);
    CHECK(again == data && again_len == len);
    EXPECT(objstore_buffer_free(buf), OBJSTORE_OK);

    /* leading and trailing "/" are ignored */
    CHECK(get_equals("/dir/hello.txt/", "hello world"));

    /* zero-byte object */
    OK(objstore_put(S, "empty", NULL, 0, NULL, NULL, NULL, &err));
    OK(objstore_get_bytes(S, "empty", NULL, &buf, &data, &len, NULL, &err));
    CHECK(len == 0 && data != NULL);
    EXPECT(objstore_buffer_free(buf), OBJSTORE_OK);

    FAILS(objstore_get_bytes(S, "missing", NULL, &buf, &data, &len, NULL, &err), OBJSTORE_E_NOT_FOUND);
    /* a "directory" is not an object */
    FAILS(objstore_get_bytes(S, "dir", NULL, &buf, &data, &len, NULL, &err), OBJSTORE_E_NOT_FOUND);
}

/* objstore_get_small: a body within the limit comes whole with its info
 * (no reader); a larger one as an open reader. */
static void test_get_small(void) {
    put_str("small.txt", "hello small");
    objstore_reader *rd = (objstore_reader *)1;
    objstore_buffer *buf = NULL;
    const uint8_t *data = NULL;
    size_t len = 0;
    const objstore_get_info *info = NULL;
    OK(objstore_get_small(S, "small.txt", NULL, 11, &rd, &buf, &data, &len, &info, &err));
    CHECK(rd == NULL && buf != NULL);
    CHECK_MEM(data, len, "hello small");
    CHECK(info != NULL && info->meta.size == 11 && strcmp(info->meta.location, "small.txt") == 0);
    CHECK(info != NULL && info->range_start == 0 && info->range_end == 11);
    EXPECT(objstore_buffer_free(buf), OBJSTORE_OK);

    /* one byte over the limit: a reader, nothing read yet */
    buf = (objstore_buffer *)1;
    data = (const uint8_t *)1;
    len = 1;
    OK(objstore_get_small(S, "small.txt", NULL, 10, &rd, &buf, &data, &len, &info, &err));
    CHECK(rd != NULL && buf == NULL && data == NULL && len == 0);
    CHECK(info != NULL && info->meta.size == 11);
    OK(objstore_reader_read_all(rd, &buf, &data, &len, &err));
    CHECK_MEM(data, len, "hello small");
    EXPECT(objstore_buffer_free(buf), OBJSTORE_OK);
    EXPECT(objstore_reader_free(rd), OBJSTORE_OK);

    /* a range within the limit */
    objstore_get_options o = OBJSTORE_GET_OPTIONS_INIT;
    o.range.kind = OBJSTORE_RANGE_BOUNDED;
    o.range.start = 6;
    o.range.end = 11;
    OK(objstore_get_small(S, "small.txt", &o, 5, &rd, &buf, &data, &len, &info, &err));
    CHECK(rd == NULL);
    CHECK_MEM(data, len, "small");
    CHECK(info != NULL && info->range_start == 6 && info->range_end == 11);
    EXPECT(objstore_buffer_free(buf), OBJSTORE_OK);

    FAILS(objstore_get_small(S, "missing", NULL, 100, &rd, &buf, &data, &len, NULL, &err), OBJSTORE_E_NOT_FOUND);
    /* a NULL out-parameter is refused as every export refuses one */
    FAILS(objstore_get_small(S, "small.txt", NULL, 100, NULL, &buf, &data, &len, NULL, &err), OBJSTORE_E_BAD_HANDLE);
}

static void get_range(objstore_range r, const char *want, uint64_t start, uint64_t end) {
    objstore_get_options o = OBJSTORE_GET_OPTIONS_INIT;
    o.range = r;
    objstore_buffer *buf = NULL;
    const uint8_t *data;
    size_t len;
    const objstore_get_info *info = NULL;
    OK(objstore_get_bytes(S, "digits", &o, &buf, &data, &len, &info, &err));
    if (buf) {
        CHECK_MEM(data, len, want);
        CHECK(info->range_start == start && info->range_end == end);
        CHECK(info->meta.size == 10);
        objstore_buffer_free(buf);
    }
}

static void test_get_options(void) {
    put_str("digits", "0123456789");
    get_range((objstore_range){OBJSTORE_RANGE_BOUNDED, 3, 7, 0}, "3456", 3, 7);
    get_range((objstore_range){OBJSTORE_RANGE_BOUNDED, 8, 100, 0}, "89", 8, 10); /* end clamped */
    get_range((objstore_range){OBJSTORE_RANGE_OFFSET, 7, 0, 0}, "789", 7, 10);
    get_range((objstore_range){OBJSTORE_RANGE_SUFFIX, 0, 0, 2}, "89", 8, 10);
    get_range((objstore_range){OBJSTORE_RANGE_SUFFIX, 0, 0, 100}, "0123456789", 0, 10);

    objstore_get_options o = OBJSTORE_GET_OPTIONS_INIT;
    objstore_buffer *buf;
    const uint8_t *data;
    size_t len;
    o.range = (objstore_range){OBJSTORE_RANGE_BOUNDED, 5, 5, 0};
    FAILS(objstore_get_bytes(S, "digits", &o, &buf, &data, &len, NULL, &err), OBJSTORE_E_INVALID_ARGUMENT);
    o.range = (objstore_range){OBJSTORE_RANGE_BOUNDED, 20, 30, 0};
    FAILS(objstore_get_bytes(S, "digits", &o, &buf, &data, &len, NULL, &err), OBJSTORE_E_INVALID_ARGUMENT);
    o.range = (objstore_range){OBJSTORE_RANGE_OFFSET, 10, 0, 0};
    FAILS(objstore_get_bytes(S, "digits", &o, &buf, &data, &len, NULL, &err), OBJSTORE_E_INVALID_ARGUMENT);
    o.range = (objstore_range){99, 0, 0, 0};
    FAILS(objstore_get_bytes(S, "digits", &o, &buf, &data, &len, NULL, &err), OBJSTORE_E_INVALID_ARGUMENT);
    o.range = (objstore_range){0};

    /* unknown options version or flags */
    objstore_get_options bad = o;
    bad.version = 0;
    FAILS(objstore_get_bytes(S, "digits", &bad, &buf, &data, &len, NULL, &err), OBJSTORE_E_INVALID_ARGUMENT);
    bad.version = OBJSTORE_GET_OPTIONS_VERSION + 1; /* newer than the library */
    FAILS(objstore_get_bytes(S, "digits", &bad, &buf, &data, &len, NULL, &err), OBJSTORE_E_INVALID_ARGUMENT);
    bad = o;
    bad.flags = 1u << 20;
    FAILS(objstore_get_bytes(S, "digits", &bad, &buf, &data, &len, NULL, &err), OBJSTORE_E_INVALID_ARGUMENT);

    /* conditional gets */
    const objstore_get_info *info = NULL;
    OK(objstore_get_bytes(S, "digits", &o, &buf, &data, &len, &info, &err));
    char *etag = info && info->meta.e_tag ? strdup(info->meta.e_tag) : NULL;
    int64_t mtime = info ? info->meta.last_modified_ns : 0;
    objstore_buffer_free(buf);
    CHECK(etag != NULL);
    if (etag) {
        o.if_match = etag;
        OK(objstore_get_bytes(S, "digits", &o, &buf, &data, &len, NULL, &err));
        objstore_buffer_free(buf);
        o.if_match = "\"not-the-etag\"";
        FAILS(objstore_get_bytes(S, "digits", &o, &buf, &data, &len, NULL, &err), OBJSTORE_E_PRECONDITION);
        o.if_match = NULL;
        o.if_none_match = etag;
        FAILS(objstore_get_bytes(S, "digits", &o, &buf, &data, &len, NULL, &err), OBJSTORE_E_NOT_MODIFIED);
        o.if_none_match = NULL;
        free(etag);
    }
    o.flags = OBJSTORE_GET_IF_MODIFIED_SINCE;
    o.if_modified_since_ns = mtime;
    FAILS(objstore_get_bytes(S, "digits", &o, &buf, &data, &len, NULL, &err), OBJSTORE_E_NOT_MODIFIED);
    o.flags = OBJSTORE_GET_IF_UNMODIFIED_SINCE;
    o.if_unmodified_since_ns = mtime - 3600LL * 1000000000LL;
    FAILS(objstore_get_bytes(S, "digits", &o, &buf, &data, &len, NULL, &err), OBJSTORE_E_PRECONDITION);
    o.if_unmodified_since_ns = mtime + 3600LL * 1000000000LL;
    OK(objstore_get_bytes(S, "digits", &o, &buf, &data, &len, NULL, &err));
    objstore_buffer_free(buf);

    /* head flag: metadata, empty body */
    o.flags = OBJSTORE_GET_HEAD;
    OK(objstore_get_bytes(S, "digits", &o, &buf, &data, &len, &info, &err));
    CHECK(len == 0);
    CHECK(info && info->meta.size == 10);
    objstore_buffer_free(buf);
}

static void test_reader(void) {
    put_str("abc", "abcdefghij");
    objstore_reader *r = NULL;
    const objstore_get_info *info = NULL;
    OK(objstore_get(S, "abc", NULL, &r, &info, &err));
    CHECK(info && info->meta.size == 10 && strcmp(info->meta.location, "abc") == 0);

    /* chunks of 4: "abcd", "efgh", "ij", end */
    const char *want[] = {"abcd", "efgh", "ij"};
    objstore_buffer *bufs[3] = {0};
    for (int i = 0; i < 3; i++) {
        const uint8_t *data;
        size_t len;
        OK(objstore_reader_read_chunk(r, 4, &bufs[i], &data, &len, &err));
        CHECK(bufs[i] != NULL);
        if (bufs[i]) CHECK_MEM(data, len, want[i]);
    }
    objstore_buffer *end = (objstore_buffer *)1;
    const uint8_t *data;
    size_t len = 99;
    OK(objstore_reader_read_chunk(r, 4, &end, &data, &len, &err));
    CHECK(end == NULL && len == 0);
    /* info stays valid until the reader is freed; buffers outlive it */
    CHECK(info->meta.size == 10);
    EXPECT(objstore_reader_free(r), OBJSTORE_OK);
    for (int i = 0; i < 3; i++) {
        const uint8_t *d;
        size_t l;
        EXPECT(objstore_buffer_data(bufs[i], &d, &l), OBJSTORE_OK);
        CHECK_MEM(d, l, want[i]);
        EXPECT(objstore_buffer_free(bufs[i]), OBJSTORE_OK);
    }

    /* one chunk, then the rest with read_all */
    OK(objstore_get(S, "abc", NULL, &r, NULL, &err));
    objstore_buffer *a, *b;
    OK(objstore_reader_read_chunk(r, 3, &a, &data, &len, &err));
    CHECK_MEM(data, len, "abc");
    OK(objstore_reader_read_all(r, &b, &data, &len, &err));
    CHECK_MEM(data, len, "defghij");
    /* nothing left */
    objstore_buffer *c;
    OK(objstore_reader_read_all(r, &c, &data, &len, &err));
    CHECK(len == 0);
    objstore_buffer_free(a);
    objstore_buffer_free(b);
    objstore_buffer_free(c);
    EXPECT(objstore_reader_free(r), OBJSTORE_OK);

    /* into the caller's memory: 4 bytes, a chunk, then what is left of 4
     * (2), then the end; NULL with room is refused */
    OK(objstore_get(S, "abc", NULL, &r, NULL, &err));
    uint8_t into[8] = {0};
    size_t got = 99;
    OK(objstore_reader_read_into(r, into, 0, &got, &err));
    CHECK(got == 0);
    OK(objstore_reader_read_into(r, into, 4, &got, &err));
    CHECK_MEM(into, got, "abcd");
    OK(objstore_reader_read_chunk(r, 4, &a, &data, &len, &err));
    CHECK_MEM(data, len, "efgh");
    objstore_buffer_free(a);
    FAILS(objstore_reader_read_into(r, NULL, 4, &got, &err), OBJSTORE_E_INVALID_ARGUMENT);
    OK(objstore_reader_read_into(r, into, 4, &got, &err));
    CHECK_MEM(into, got, "ij");
    OK(objstore_reader_read_into(r, into, 4, &got, &err));
    CHECK(got == 0);
    EXPECT(objstore_reader_free(r), OBJSTORE_OK);

    /* freeing a reader before reading is fine */
    OK(objstore_get(S, "abc", NULL, &r, NULL, &err));
    EXPECT(objstore_reader_free(r), OBJSTORE_OK);

    /* errors the response reveals come from objstore_get */
    FAILS(objstore_get(S, "nope", NULL, &r, NULL, &err), OBJSTORE_E_NOT_FOUND);
}

static void test_get_ranges(void) {
    put_str("alpha", "abcdefghijklmnopqrstuvwxyz");
    uint64_t starts[] = {0, 3, 2, 20, 25};
    uint64_t ends[] = {2, 6, 5, 24, 40}; /* overlapping; the last is clamped */
    const char *want[] = {"ab", "def", "cde", "uvwx", "z"};
    const uint8_t *data[5];
    size_t lens[5];
    objstore_buffer *buf = NULL;
    OK(objstore_get_ranges(S, "alpha", starts, ends, 5, &buf, data, lens, &err));
    if (buf)
        for (int i = 0; i < 5; i++) CHECK_MEM(data[i], lens[i], want[i]);
    EXPECT(objstore_buffer_free(buf), OBJSTORE_OK);

    /* no ranges: an empty buffer */
    OK(objstore_get_ranges(S, "alpha", NULL, NULL, 0, &buf, NULL, NULL, &err));
    EXPECT(objstore_buffer_free(buf), OBJSTORE_OK);

    uint64_t bad_s[] = {5}, bad_e[] = {5};
    FAILS(objstore_get_ranges(S, "alpha", bad_s, bad_e, 1, &buf, data, lens, &err), OBJSTORE_E_INVALID_ARGUMENT);
    uint64_t past_s[] = {30}, past_e[] = {35};
    FAILS(objstore_get_ranges(S, "alpha", past_s, past_e, 1, &buf, data, lens, &err), OBJSTORE_E_INVALID_ARGUMENT);
    FAILS(objstore_get_ranges(S, "missing", starts, ends, 1, &buf, data, lens, &err), OBJSTORE_E_NOT_FOUND);

    /* The coalescing gap decides the reads: within the gap both ranges come
     * from one read (the bytes between them are in memory too); with a gap
     * of 0 they are two reads, packed one after the other. */
    uint64_t two_s[] = {0, 10}, two_e[] = {2, 12};
    OK(objstore_get_ranges_coalesce(S, "alpha", two_s, two_e, 2, 8, &buf, data, lens, &err));
    if (buf) {
        CHECK_MEM(data[0], lens[0], "ab");
        CHECK_MEM(data[1], lens[1], "kl");
        CHECK(data[1] - data[0] == 10);
    }
    EXPECT(objstore_buffer_free(buf), OBJSTORE_OK);
    OK(objstore_get_ranges_coalesce(S, "alpha", two_s, two_e, 2, 0, &buf, data, lens, &err));
    if (buf) {
        CHECK_MEM(data[1], lens[1], "kl");
        CHECK(data[1] - data[0] == 2);
    }
    EXPECT(objstore_buffer_free(buf), OBJSTORE_OK);
}

static void test_head(void) {
    put_str("h/one", "12345");
    objstore_meta_list *ml = NULL;
    const objstore_object_meta *m = NULL;
    OK(objstore_head(S, "h/one", &ml, &m, &err));
    CHECK(m && strcmp(m->location, "h/one") == 0 && m->size == 5 && m->e_tag != NULL);
    EXPECT(objstore_meta_list_free(ml), OBJSTORE_OK);
    FAILS(objstore_head(S, "h/two", &ml, &m, &err), OBJSTORE_E_NOT_FOUND);
    FAILS(objstore_head(S, "h", &ml, &m, &err), OBJSTORE_E_NOT_FOUND);

    /* head_into: the strings in the caller's buffer; too small a buffer
     * leaves the meta untouched and says how much is needed */
    objstore_object_meta into;
    memset(&into, 0, sizeof into);
    char strings[64];
    size_t needed = 0;
    OK(objstore_head_into(S, "h/one", &into, strings, 3, &needed, &err));
    CHECK(needed > 3 && into.location == NULL);
    OK(objstore_head_into(S, "h/one", &into, strings, needed, &needed, &err));
    CHECK(into.location != NULL && strcmp(into.location, "h/one") == 0 && into.size == 5);
    CHECK(into.location >= strings && into.location < strings + needed);
    CHECK(into.e_tag != NULL && into.e_tag > into.location && into.e_tag < strings + needed);
    CHECK(into.version == NULL || (into.version > into.location && into.version < strings + needed));
    CHECK(into.last_modified_ns != OBJSTORE_TIME_UNSET);
    FAILS(objstore_head_into(S, "h/two", &into, strings, sizeof strings, &needed, &err), OBJSTORE_E_NOT_FOUND);
    FAILS(objstore_head_into(S, "h/one", NULL, strings, sizeof strings, &needed, &err), OBJSTORE_E_BAD_HANDLE);
    FAILS(objstore_head_into(S, "h/one", &into, NULL, sizeof strings, &needed, &err), OBJSTORE_E_BAD_HANDLE);
}

static void test_put_modes(void) {
    objstore_put_options o = OBJSTORE_PUT_OPTIONS_INIT;
    o.mode = OBJSTORE_PUT_CREATE;
    char *etag = NULL;
    OK(objstore_put(S, "modes/x", (const uint8_t *)"one", 3, &o, &etag, NULL, &err));
    FAILS(objstore_put(S, "modes/x", (const uint8_t *)"two", 3, &o, NULL, NULL, &err), OBJSTORE_E_ALREADY_EXISTS);
    CHECK(get_equals("modes/x", "one"));

    o.mode = OBJSTORE_PUT_UPDATE;
    o.e_tag = etag;
    objstore_error *err = NULL;
    int rc = objstore_put(S, "modes/x", (const uint8_t *)"three", 5, &o, NULL, NULL, &err);
    if (rc == OBJSTORE_E_NOT_IMPLEMENTED) { /* LocalStore has no update mode, as object_store's */
        CHECK(store_is_local);
        objstore_error_free(err);
    } else {
        EXPECT(rc, OBJSTORE_OK);
        CHECK(get_equals("modes/x", "three"));
        o.e_tag = "stale";
        FAILS(objstore_put(S, "modes/x", (const uint8_t *)"four", 4, &o, NULL, NULL, &err), OBJSTORE_E_PRECONDITION);
        CHECK(get_equals("modes/x", "three"));
    }
    objstore_string_free(etag);

    o.mode = 42;
    FAILS(objstore_put(S, "modes/y", (const uint8_t *)"x", 1, &o, NULL, NULL, &err), OBJSTORE_E_INVALID_ARGUMENT);
    o.mode = OBJSTORE_PUT_OVERWRITE;
    o.version = 7;
    FAILS(objstore_put(S, "modes/y", (const uint8_t *)"x", 1, &o, NULL, NULL, &err), OBJSTORE_E_INVALID_ARGUMENT);
    /* NULL data with a length */
    FAILS(objstore_put(S, "modes/y", NULL, 3, NULL, NULL, NULL, &err), OBJSTORE_E_INVALID_ARGUMENT);
}

static void test_attributes(void) {
    objstore_kv attrs[] = {{"Content-Type", "text/plain"}, {"Cache-Control", "no-cache"}, {"my key", "my value"}};
    objstore_put_options o = {0};
    o.version = OBJSTORE_PUT_OPTIONS_VERSION;
    o.attributes = attrs;
    o.attributes_len = 3;
    objstore_error *err = NULL;
    int rc = objstore_put(S, "attrs", (const uint8_t *)"x", 1, &o, NULL, NULL, &err);
    if (store_is_local && rc == OBJSTORE_E_NOT_IMPLEMENTED) {
        objstore_error_free(err);
        return;
    }
    EXPECT(rc, OBJSTORE_OK);
    objstore_buffer *buf;
    const uint8_t *data;
    size_t len;
    const objstore_get_info *info = NULL;
    OK(objstore_get_bytes(S, "attrs", NULL, &buf, &data, &len, &info, &err));
    CHECK(info && info->attributes_len == 3);
    if (info && info->attributes_len == 3) {
        /* sorted by key */
        CHECK(strcmp(info->attributes[0].key, "Cache-Control") == 0 && strcmp(info->attributes[0].value, "no-cache") == 0);
        CHECK(strcmp(info->attributes[1].key, "Content-Type") == 0 && strcmp(info->attributes[1].value, "text/plain") == 0);
        CHECK(strcmp(info->attributes[2].key, "my key") == 0 && strcmp(info->attributes[2].value, "my value") == 0);
    }
    objstore_buffer_free(buf);

    objstore_kv bad[] = {{"k", NULL}};
    o.attributes = bad;
    o.attributes_len = 1;
    FAILS(objstore_put(S, "attrs", (const uint8_t *)"x", 1, &o, NULL, NULL, &err), OBJSTORE_E_INVALID_ARGUMENT);
}

#define PART (64 * 1024)

struct part_job {
    objstore_upload *up;
    size_t index;
    uint8_t *data;
    int rc;
};

static void *put_part_thread(void *arg) {
    struct part_job *j = arg;
    j->rc = objstore_upload_put_part(j->up, j->index, j->data, PART, NULL);
    return NULL;
}

static void test_upload(void) {
    objstore_upload *up = NULL;
    OK(objstore_upload_new(S, "mp/object", NULL, &up, &err));
    /* not visible before complete */
    FAILS(objstore_head(S, "mp/object", &(objstore_meta_list *){0}, &(const objstore_object_meta *){0}, &err), OBJSTORE_E_NOT_FOUND);

    /* three parts from three threads, last one started first */
    uint8_t *parts = malloc(3 * PART);
    for (int i = 0; i < 3 * PART; i++) parts[i] = (uint8_t)(i / PART + 'A');
    struct part_job jobs[3];
    pthread_t th[3];
    for (int i = 2; i >= 0; i--) {
        jobs[i] = (struct part_job){up, (size_t)i, parts + i * PART, -1};
        pthread_create(&th[i], NULL, put_part_thread, &jobs[i]);
    }
    for (int i = 0; i < 3; i++) {
        pthread_join(th[i], NULL);
        EXPECT(jobs[i].rc, OBJSTORE_OK);
    }
    char *etag = NULL;
    OK(objstore_upload_complete(up, &etag, NULL, &err));
    objstore_string_free(etag);
    /* finished: further parts, completes and aborts are refused */
    FAILS(objstore_upload_put_part(up, 3, parts, 1, &err), OBJSTORE_E_INVALID_ARGUMENT);
    FAILS(objstore_upload_complete(up, NULL, NULL, &err), OBJSTORE_E_INVALID_ARGUMENT);
    EXPECT(objstore_upload_free(up), OBJSTORE_OK);

    objstore_buffer *buf;
    const uint8_t *data;
    size_t len;
    OK(objstore_get_bytes(S, "mp/object", NULL, &buf, &data, &len, NULL, &err));
    CHECK(len == 3 * PART && memcmp(data, parts, len) == 0);
    objstore_buffer_free(buf);

    /* abort: nothing appears */
    OK(objstore_upload_new(S, "mp/aborted", NULL, &up, &err));
    OK(objstore_upload_put_part(up, 0, parts, PART, &err));
    OK(objstore_upload_abort(up, &err));
    EXPECT(objstore_upload_free(up), OBJSTORE_OK);
    FAILS(objstore_get_bytes(S, "mp/aborted", NULL, &buf, &data, &len, NULL, &err), OBJSTORE_E_NOT_FOUND);

    /* freed without completing: aborted */
    OK(objstore_upload_new(S, "mp/dropped", NULL, &up, &err));
    OK(objstore_upload_put_part(up, 0, parts, PART, &err));
    EXPECT(objstore_upload_free(up), OBJSTORE_OK);
    FAILS(objstore_get_bytes(S, "mp/dropped", NULL, &buf, &data, &len, NULL, &err), OBJSTORE_E_NOT_FOUND);

    /* an empty upload makes a zero-byte object */
    OK(objstore_upload_new(S, "mp/empty", NULL, &up, &err));
    OK(objstore_upload_complete(up, NULL, NULL, &err));
    objstore_upload_free(up);
    OK(objstore_get_bytes(S, "mp/empty", NULL, &buf, &data, &len, NULL, &err));
    CHECK(len == 0);
    objstore_buffer_free(buf);
    free(parts);
}

/* An upload left open (as a killed process leaves it) is listed by a dry
 * run, spared by older_than_ms, then aborted by objstore_cleanup_uploads;
 * MemoryStore keeps no uploads: NOT_SUPPORTED. */
static void test_cleanup_uploads(void) {
    objstore_meta_list *ml = NULL;
    const objstore_pending_upload *ups = NULL;
    size_t n = 99;
    if (!store_is_local) {
        FAILS(objstore_cleanup_uploads(S, NULL, 0, 0, &ml, &ups, &n, &err), OBJSTORE_E_NOT_SUPPORTED);
        return;
    }
    FAILS(objstore_cleanup_uploads(S, NULL, 0, 8, &ml, &ups, &n, &err), OBJSTORE_E_INVALID_ARGUMENT);
    FAILS(objstore_cleanup_uploads(S, "a//b", 0, 0, &ml, &ups, &n, &err), OBJSTORE_E_INVALID_PATH);
    objstore_upload *up = NULL;
    OK(objstore_upload_new(S, "left/open", NULL, &up, &err));
    OK(objstore_upload_put_part(up, 0, (const uint8_t *)"part", 4, &err));

    OK(objstore_cleanup_uploads(S, "left", 0, OBJSTORE_CLEANUP_DRY_RUN, &ml, &ups, &n, &err));
    CHECK(n == 1);
    if (n == 1) {
        CHECK(strcmp(ups[0].location, "left/open") == 0);
        CHECK(ups[0].upload_id[0] != '\0');
        CHECK(ups[0].initiated_ns != OBJSTORE_TIME_UNSET && ups[0].initiated_ns > 1700000000LL * 1000000000LL);
    }
    EXPECT(objstore_meta_list_free(ml), OBJSTORE_OK);
    OK(objstore_cleanup_uploads(S, "left", 3600 * 1000, 0, &ml, &ups, &n, &err));
    CHECK(n == 0); /* begun a moment ago */
    EXPECT(objstore_meta_list_free(ml), OBJSTORE_OK);
    OK(objstore_cleanup_uploads(S, "other", 0, 0, &ml, &ups, &n, &err));
    CHECK(n == 0);
    EXPECT(objstore_meta_list_free(ml), OBJSTORE_OK);
    OK(objstore_cleanup_uploads(S, NULL, 0, 0, &ml, &ups, &n, &err));
    CHECK(n == 1 && strcmp(ups[0].location, "left/open") == 0);
    EXPECT(objstore_meta_list_free(ml), OBJSTORE_OK);
    OK(objstore_cleanup_uploads(S, NULL, 0, OBJSTORE_CLEANUP_DRY_RUN, &ml, &ups, &n, &err));
    CHECK(n == 0);
    EXPECT(objstore_meta_list_free(ml), OBJSTORE_OK);
    CHECK(objstore_upload_complete(up, NULL, NULL, NULL) != OBJSTORE_OK); /* its parts are gone */
    EXPECT(objstore_upload_free(up), OBJSTORE_OK);
    FAILS(objstore_head(S, "left/open", &ml, &(const objstore_object_meta *){0}, &err), OBJSTORE_E_NOT_FOUND);
}

static void test_writer(void) {
    objstore_writer_options o = OBJSTORE_WRITER_OPTIONS_INIT;
    o.chunk_size = 1000; /* small chunks: several parts */
    o.max_concurrency = 3;
    objstore_writer *w = NULL;
    OK(objstore_writer_new(S, "w/big", &o, &w, &err));
    char expect[5000];
    for (int i = 0; i < 50; i++) {
        char piece[100];
        memset(piece, 'a' + i % 26, sizeof piece);
        memcpy(expect + i * 100, piece, 100);
        OK(objstore_writer_write(w, (const uint8_t *)piece, sizeof piece, &err));
    }
    FAILS(objstore_head(S, "w/big", &(objstore_meta_list *){0}, &(const objstore_object_meta *){0}, &err), OBJSTORE_E_NOT_FOUND);
    OK(objstore_writer_close(w, NULL, NULL, &err));
    FAILS(objstore_writer_write(w, (const uint8_t *)"x", 1, &err), OBJSTORE_E_INVALID_ARGUMENT);
    EXPECT(objstore_writer_free(w), OBJSTORE_OK);
    objstore_buffer *buf;
    const uint8_t *data;
    size_t len;
    OK(objstore_get_bytes(S, "w/big", NULL, &buf, &data, &len, NULL, &err));
    CHECK(len == sizeof expect && memcmp(data, expect, len) == 0);
    objstore_buffer_free(buf);

    /* borrowed: whole chunks uploaded from the caller's memory, mixed with
     * copied writes; the memory is left as it was */
    char lent[4100];
    for (size_t i = 0; i < sizeof lent; i++) lent[i] = (char)('A' + i % 23);
    char lent_copy[sizeof lent];
    memcpy(lent_copy, lent, sizeof lent);
    OK(objstore_writer_new(S, "w/borrowed", &o, &w, &err));
    OK(objstore_writer_write(w, (const uint8_t *)expect, 300, &err));
    OK(objstore_writer_write_borrowed(w, (const uint8_t *)lent, sizeof lent, &err));
    OK(objstore_writer_write(w, (const uint8_t *)expect, 50, &err));
    FAILS(objstore_writer_write_borrowed(w, NULL, 5, &err), OBJSTORE_E_INVALID_ARGUMENT);
    OK(objstore_writer_close(w, NULL, NULL, &err));
    EXPECT(objstore_writer_free(w), OBJSTORE_OK);
    CHECK(memcmp(lent, lent_copy, sizeof lent) == 0);
    OK(objstore_get_bytes(S, "w/borrowed", NULL, &buf, &data, &len, NULL, &err));
    CHECK(len == 300 + sizeof lent + 50 && memcmp(data, expect, 300) == 0 &&
          memcmp(data + 300, lent, sizeof lent) == 0 && memcmp(data + 300 + sizeof lent, expect, 50) == 0);
    objstore_buffer_free(buf);

    /* small: one put, with default options */
    OK(objstore_writer_new(S, "w/small", NULL, &w, &err));
    OK(objstore_writer_write(w, (const uint8_t *)"tiny", 4, &err));
    char *etag = NULL;
    OK(objstore_writer_close(w, &etag, NULL, &err));
    CHECK(etag != NULL);
    objstore_string_free(etag);
    objstore_writer_free(w);
    CHECK(get_equals("w/small", "tiny"));

    /* abort, and free without close: nothing visible */
    OK(objstore_writer_new(S, "w/aborted", &o, &w, &err));
    OK(objstore_writer_write(w, (const uint8_t *)expect, 2500, &err));
    OK(objstore_writer_abort(w, &err));
    objstore_writer_free(w);
    FAILS(objstore_get_bytes(S, "w/aborted", NULL, &buf, &data, &len, NULL, &err), OBJSTORE_E_NOT_FOUND);
    OK(objstore_writer_new(S, "w/dropped", &o, &w, &err));
    OK(objstore_writer_write(w, (const uint8_t *)expect, 2500, &err));
    objstore_writer_free(w);
    FAILS(objstore_get_bytes(S, "w/dropped", NULL, &buf, &data, &len, NULL, &err), OBJSTORE_E_NOT_FOUND);

    o.version = 0;
    FAILS(objstore_writer_new(S, "w/x", &o, &w, &err), OBJSTORE_E_INVALID_ARGUMENT);
}

static void test_delete_copy_rename(void) {
    put_str("d/a", "A");
    put_str("d/b", "B");
    OK(objstore_delete(S, "d/a", &err));
    FAILS(objstore_get_bytes(S, "d/a", NULL, &(objstore_buffer *){0}, &(const uint8_t *){0}, &(size_t){0}, NULL, &err), OBJSTORE_E_NOT_FOUND);
    {
        objstore_error *err = NULL;
        int rc = objstore_delete(S, "d/a", &err);
        EXPECT(rc, store_is_local ? OBJSTORE_E_NOT_FOUND : OBJSTORE_OK);
        if (err) objstore_error_free(err);
    }

    put_str("d/1", "1");
    put_str("d/2", "2");
    put_str("d/3", "3");
    const char *paths[] = {"d/1", "d/2", "d//bad", "d/3"};
    int codes[4] = {-1, -1, -1, -1};
    FAILS(objstore_delete_many(S, paths, 4, codes, &err), OBJSTORE_E_INVALID_PATH);
    CHECK(codes[0] == 0 && codes[1] == 0 && codes[2] == OBJSTORE_E_INVALID_PATH && codes[3] == 0);
    CHECK(get_str("d/1") == NULL && get_str("d/3") == NULL);
    put_str("d/1", "1");
    OK(objstore_delete_many(S, paths, 1, NULL, &err));
    OK(objstore_delete_many(S, NULL, 0, NULL, &err));

    OK(objstore_copy(S, "d/b", "d/c", 0, &err));
    CHECK(get_equals("d/b", "B") && get_equals("d/c", "B"));
    put_str("d/c", "C");
    FAILS(objstore_copy(S, "d/b", "d/c", OBJSTORE_IF_NOT_EXISTS, &err), OBJSTORE_E_ALREADY_EXISTS);
    CHECK(get_equals("d/c", "C"));
    OK(objstore_copy(S, "d/b", "d/c", 0, &err)); /* overwrites */
    CHECK(get_equals("d/c", "B"));
    FAILS(objstore_copy(S, "d/none", "d/x", 0, &err), OBJSTORE_E_NOT_FOUND);
    FAILS(objstore_copy(S, "d/b", "d/c", 0x80, &err), OBJSTORE_E_INVALID_ARGUMENT);

    OK(objstore_rename(S, "d/c", "d/renamed/deep", 0, &err));
    CHECK(get_str("d/c") == NULL && get_equals("d/renamed/deep", "B"));
    FAILS(objstore_rename(S, "d/b", "d/renamed/deep", OBJSTORE_IF_NOT_EXISTS, &err), OBJSTORE_E_ALREADY_EXISTS);
    FAILS(objstore_rename(S, "d/none", "d/x", 0, &err), OBJSTORE_E_NOT_FOUND);
}

static void test_sign(void) {
    char *url = NULL;
    /* neither MemoryStore nor LocalStore can presign */
    FAILS(objstore_sign(S, "GET", "x", 60, &url, &err), OBJSTORE_E_NOT_SUPPORTED);
    CHECK(url == NULL);
}

static void test_list(void) {
    char path[64];
    for (int i = 0; i < 25; i++) {
        snprintf(path, sizeof path, "list/item-%02d", i);
        put_str(path, "x");
    }
    put_str("list/sub/deep", "yy");
    put_str("listing/other", "z"); /* "list" is not a prefix of "listing" */

    objstore_list *l = NULL;
    OK(objstore_list_new(S, "list", NULL, &l, &err));
    size_t sizes[] = {10, 10, 6, 0};
    int seen = 0;
    for (int page_no = 0; page_no < 4; page_no++) {
        objstore_meta_list *page = NULL;
        const objstore_object_meta *items = NULL;
        size_t n = 99;
        OK(objstore_list_next(l, 10, &page, &items, &n, &err));
        EXPECT(n, sizes[page_no]);
        CHECK((page == NULL) == (n == 0));
        for (size_t i = 0; i < n; i++) {
            CHECK(strncmp(items[i].location, "list/", 5) == 0);
            if (strncmp(items[i].location, "list/item-", 10) == 0) {
                seen++;
                CHECK(items[i].size == 1);
            } else {
                CHECK(strcmp(items[i].location, "list/sub/deep") == 0 && items[i].size == 2);
            }
        }
        if (page) EXPECT(objstore_meta_list_free(page), OBJSTORE_OK);
    }
    CHECK(seen == 25);
    /* after the end: still the end */
    objstore_meta_list *page = NULL;
    const objstore_object_meta *items = NULL;
    size_t n = 99;
    OK(objstore_list_next(l, 0, &page, &items, &n, &err));
    CHECK(n == 0 && page == NULL);
    EXPECT(objstore_list_free(l), OBJSTORE_OK);

    /* offset is exclusive and lists in order */
    OK(objstore_list_new(S, "list", "list/item-22", &l, &err));
    OK(objstore_list_next(l, 0, &page, &items, &n, &err));
    CHECK(n == 3);
    if (n == 3) {
        CHECK(strcmp(items[0].location, "list/item-23") == 0);
        CHECK(strcmp(items[1].location, "list/item-24") == 0);
        CHECK(strcmp(items[2].location, "list/sub/deep") == 0);
    }
    objstore_meta_list_free(page);
    /* freeing a list before its end stops it */
    EXPECT(objstore_list_free(l), OBJSTORE_OK);
    OK(objstore_list_new(S, NULL, NULL, &l, &err));
    OK(objstore_list_next(l, 1, &page, &items, &n, &err));
    CHECK(n == 1);
    objstore_meta_list_free(page);
    EXPECT(objstore_list_free(l), OBJSTORE_OK);

    /* one level */
    objstore_meta_list *ml = NULL;
    const objstore_object_meta *objects = NULL;
    const char *const *prefixes = NULL;
    size_t n_objects = 0, n_prefixes = 0;
    OK(objstore_list_with_delimiter(S, "list", &ml, &objects, &n_objects, &prefixes, &n_prefixes, &err));
    CHECK(n_objects == 25 && n_prefixes == 1);
    if (n_prefixes == 1) CHECK(strcmp(prefixes[0], "list/sub") == 0);
    if (n_objects == 25) CHECK(strcmp(objects[0].location, "list/item-00") == 0);
    EXPECT(objstore_meta_list_free(ml), OBJSTORE_OK);
    OK(objstore_list_with_delimiter(S, "nothing/here", &ml, &objects, &n_objects, &prefixes, &n_prefixes, &err));
    CHECK(n_objects == 0 && n_prefixes == 0);
    EXPECT(objstore_meta_list_free(ml), OBJSTORE_OK);
}

static void test_tricky_paths(void) {
    const char *paths[] = {"a b/c d.txt", "emoji/🇦🇺/$shenanigans@@~.txt", "pct/%Q.parquet", "%48%45%4C%4C%4F/x"};
    for (int i = 0; i < 4; i++) {
        put_str(paths[i], paths[i]);
        CHECK(get_equals(paths[i], paths[i]));
        objstore_meta_list *ml;
        const objstore_object_meta *m;
        OK(objstore_head(S, paths[i], &ml, &m, &err));
        CHECK(strcmp(m->location, paths[i]) == 0);
        objstore_meta_list_free(ml);
    }
    /* the percent-encoded prefix is not HELLO */
    objstore_meta_list *ml;
    const objstore_object_meta *objects;
    const char *const *prefixes;
    size_t no, np;
    OK(objstore_list_with_delimiter(S, "HELLO", &ml, &objects, &no, &prefixes, &np, &err));
    CHECK(no == 0 && np == 0);
    objstore_meta_list_free(ml);
}

#define THREADS 4
#define ROUNDS 50

static void *worker(void *arg) {
    long id = (long)arg, bad = 0;
    char path[64], body[64];
    for (int i = 0; i < ROUNDS; i++) {
        snprintf(path, sizeof path, "threads/%ld/%d", id, i);
        snprintf(body, sizeof body, "body %ld %d", id, i);
        if (objstore_put(S, path, (const uint8_t *)body, strlen(body), NULL, NULL, NULL, NULL) != OBJSTORE_OK) bad++;
        objstore_buffer *buf;
        const uint8_t *data;
        size_t len;
        if (objstore_get_bytes(S, path, NULL, &buf, &data, &len, NULL, NULL) != OBJSTORE_OK) {
            bad++;
            continue;
        }
        if (len != strlen(body) || memcmp(data, body, len) != 0) bad++;
        objstore_buffer_free(buf);
    }
    return (void *)bad;
}

static void test_threads(void) {
    pthread_t th[THREADS];
    for (long i = 0; i < THREADS; i++) pthread_create(&th[i], NULL, worker, (void *)i);
    for (int i = 0; i < THREADS; i++) {
        void *bad;
        pthread_join(th[i], &bad);
        EXPECT((long)bad, 0);
    }
}

static void test_invalid_paths(void) {
    const char *bad[] = {"a//b", "a/./b", "a/../b", "..", "a/\x01/b", "a/\x7f", "\xff\xfe"};
    objstore_buffer *buf;
    const uint8_t *data;
    size_t len;
    objstore_reader *r;
    objstore_meta_list *ml;
    const objstore_object_meta *m;
    objstore_upload *up;
    objstore_writer *w;
    objstore_list *l;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        const char *p = bad[i];
        uint64_t s = 0, e = 1;
        const uint8_t *d[1];
        size_t ls[1];
        const objstore_object_meta *objs;
        const char *const *pre;
        size_t no, np;
        char *url;
        FAILS(objstore_get(S, p, NULL, &r, NULL, &err), OBJSTORE_E_INVALID_PATH);
        FAILS(objstore_get_bytes(S, p, NULL, &buf, &data, &len, NULL, &err), OBJSTORE_E_INVALID_PATH);
        FAILS(objstore_get_ranges(S, p, &s, &e, 1, &buf, d, ls, &err), OBJSTORE_E_INVALID_PATH);
        FAILS(objstore_head(S, p, &ml, &m, &err), OBJSTORE_E_INVALID_PATH);
        FAILS(objstore_put(S, p, (const uint8_t *)"x", 1, NULL, NULL, NULL, &err), OBJSTORE_E_INVALID_PATH);
        FAILS(objstore_upload_new(S, p, NULL, &up, &err), OBJSTORE_E_INVALID_PATH);
        FAILS(objstore_writer_new(S, p, NULL, &w, &err), OBJSTORE_E_INVALID_PATH);
        FAILS(objstore_delete(S, p, &err), OBJSTORE_E_INVALID_PATH);
        FAILS(objstore_delete_many(S, &p, 1, NULL, &err), OBJSTORE_E_INVALID_PATH);
        FAILS(objstore_copy(S, p, "ok", 0, &err), OBJSTORE_E_INVALID_PATH);
        FAILS(objstore_copy(S, "ok", p, 0, &err), OBJSTORE_E_INVALID_PATH);
        FAILS(objstore_rename(S, p, "ok", 0, &err), OBJSTORE_E_INVALID_PATH);
        FAILS(objstore_rename(S, "ok", p, 0, &err), OBJSTORE_E_INVALID_PATH);
        FAILS(objstore_sign(S, "GET", p, 60, &url, &err), OBJSTORE_E_INVALID_PATH);
        FAILS(objstore_list_new(S, p, NULL, &l, &err), OBJSTORE_E_INVALID_PATH);
        FAILS(objstore_list_new(S, NULL, p, &l, &err), OBJSTORE_E_INVALID_PATH);
        FAILS(objstore_list_with_delimiter(S, p, &ml, &objs, &no, &pre, &np, &err), OBJSTORE_E_INVALID_PATH);
    }
    /* a NULL object path is an invalid path too */
    FAILS(objstore_get_bytes(S, NULL, NULL, &buf, &data, &len, NULL, &err), OBJSTORE_E_INVALID_PATH);
    FAILS(objstore_put(S, NULL, NULL, 0, NULL, NULL, NULL, &err), OBJSTORE_E_INVALID_PATH);
    /* nothing was written */
    OK(objstore_list_new(S, "a", NULL, &l, &err));
    size_t n = 1;
    OK(objstore_list_next(l, 0, &ml, &m, &n, &err));
    CHECK(n == 0);
    objstore_list_free(l);
}

void run_store_tests(void) {
    RUN(test_put_get_bytes);
    RUN(test_get_small);
    RUN(test_get_options);
    RUN(test_reader);
    RUN(test_get_ranges);
    RUN(test_head);
    RUN(test_put_modes);
    RUN(test_attributes);
    RUN(test_upload);
    RUN(test_cleanup_uploads);
    RUN(test_writer);
    RUN(test_delete_copy_rename);
    RUN(test_sign);
    RUN(test_list);
    RUN(test_tricky_paths);
    RUN(test_threads);
    RUN(test_invalid_paths);
}
