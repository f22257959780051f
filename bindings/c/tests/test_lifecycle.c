/* Store lifecycle: the last free closes a store, and everything that
 * shares it (handles of an equal document, and the readers, lists, uploads
 * and writers made from them) keeps it open until then. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "tests.h"

static uint64_t shared_stores(void) {
    objstore_stats st = OBJSTORE_STATS_INIT;
    EXPECT(objstore_debug_stats(&st), OBJSTORE_OK);
    return st.shared_stores;
}

static void put(objstore_store *s, const char *path, const char *text) {
    OK(objstore_put(s, path, (const uint8_t *)text, strlen(text), NULL, NULL, NULL, &err));
}

static int content_is(objstore_store *s, const char *path, const char *want) {
    objstore_buffer *buf = NULL;
    const uint8_t *data;
    size_t len;
    if (objstore_get_bytes(s, path, NULL, &buf, &data, &len, NULL, NULL) != OBJSTORE_OK) return 0;
    int same = len == strlen(want) && memcmp(data, want, len) == 0;
    objstore_buffer_free(buf);
    return same;
}

static void test_shared_store_outlives_each_handle(void) {
    char dir[] = "/tmp/objstore-c-lifecycle-XXXXXX";
    if (!mkdtemp(dir)) {
        CHECK(!"mkdtemp");
        return;
    }
    char config[512];
    snprintf(config, sizeof config, "{\"kind\":\"local\",\"prefix\":\"%s\"}", dir);
    uint64_t before = shared_stores();

    objstore_store *a = NULL, *b = NULL;
    OK(objstore_store_new(config, "{}", &a, &err));
    OK(objstore_store_new(config, "{}", &b, &err));
    CHECK(shared_stores() == before + 1); /* one store, two handles */
    put(a, "r/object", "read me later");
    put(a, "l/1", "1");
    put(a, "l/2", "2");

    /* things made from a, which outlive it */
    objstore_reader *r = NULL;
    OK(objstore_get(a, "r/object", NULL, &r, NULL, &err));
    objstore_list *l = NULL;
    OK(objstore_list_new(a, "l", NULL, &l, &err));
    objstore_upload *up = NULL;
    OK(objstore_upload_new(a, "u/object", NULL, &up, &err));
    objstore_writer *w = NULL;
    OK(objstore_writer_new(a, "w/object", NULL, &w, &err));

    /* freeing one handle leaves the other's store working */
    EXPECT(objstore_store_free(a), OBJSTORE_OK);
    CHECK(content_is(b, "r/object", "read me later"));
    CHECK(shared_stores() == before + 1);

    /* with every store handle freed, the store stays open for the rest */
    EXPECT(objstore_store_free(b), OBJSTORE_OK);
    CHECK(shared_stores() == before + 1);
    objstore_buffer *buf = NULL;
    const uint8_t *data;
    size_t len;
    OK(objstore_reader_read_all(r, &buf, &data, &len, &err));
    CHECK_MEM(data, len, "read me later");
    objstore_buffer_free(buf);
    objstore_meta_list *page = NULL;
    const objstore_object_meta *items;
    size_t n = 0;
    OK(objstore_list_next(l, 0, &page, &items, &n, &err));
    CHECK(n == 2);
    objstore_meta_list_free(page);
    OK(objstore_upload_put_part(up, 0, (const uint8_t *)"part", 4, &err));
    OK(objstore_upload_complete(up, NULL, NULL, &err));
    OK(objstore_writer_write(w, (const uint8_t *)"written", 7, &err));
    OK(objstore_writer_close(w, NULL, NULL, &err));

    EXPECT(objstore_reader_free(r), OBJSTORE_OK);
    EXPECT(objstore_list_free(l), OBJSTORE_OK);
    EXPECT(objstore_upload_free(up), OBJSTORE_OK);
    CHECK(shared_stores() == before + 1); /* the writer still holds it */
    EXPECT(objstore_writer_free(w), OBJSTORE_OK);
    CHECK(shared_stores() == before); /* closed with its last user */

    /* a new handle on the document opens the store afresh */
    objstore_store *c = NULL;
    OK(objstore_store_new(config, "{}", &c, &err));
    CHECK(content_is(c, "u/object", "part"));
    CHECK(content_is(c, "w/object", "written"));
    EXPECT(objstore_store_free(c), OBJSTORE_OK);
    CHECK(shared_stores() == before);

    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
}

void run_lifecycle_tests(void) { RUN(test_shared_store_outlives_each_handle); }
