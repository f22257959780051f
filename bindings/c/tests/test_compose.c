/* Wrapping stores (cache, limit, prefix) from nested config documents, and
 * objstore_store_wrap over an open store. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "tests.h"

static void put_on(objstore_store *s, const char *path, const char *body) {
    OK(objstore_put(s, path, (const uint8_t *)body, strlen(body), NULL, NULL, NULL, &err));
}

static int reads(objstore_store *s, const char *path, const char *want) {
    objstore_buffer *buf = NULL;
    const uint8_t *data;
    size_t len;
    if (objstore_get_bytes(s, path, NULL, &buf, &data, &len, NULL, NULL) != OBJSTORE_OK) return 0;
    int ok = len == strlen(want) && memcmp(data, want, len) == 0;
    EXPECT(objstore_buffer_free(buf), OBJSTORE_OK);
    return ok;
}

static void test_nested_documents(void) {
    char *json = NULL;
    /* keys normalized at every level; the canonical form round-trips */
    OK(objstore_config_normalize(
        "{\"kind\":\"prefix\",\"config\":{\"PREFIX\":\"/a/b/\"},\"inner\":{\"kind\":\"limit\","
        "\"config\":{\"Max_In_Flight\":4},\"inner\":{\"kind\":\"cache\",\"config\":{\"ttl\":\"30s\"},"
        "\"inner\":{\"kind\":\"local\",\"prefix\":\"/tmp/x/\"}}}}", &json, &err));
    const char *want =
        "{\"kind\":\"prefix\",\"config\":{\"prefix\":\"a/b\"},\"inner\":{\"kind\":\"limit\","
        "\"config\":{\"max_in_flight\":\"4\"},\"inner\":{\"kind\":\"cache\",\"config\":{\"ttl\":\"30s\"},"
        "\"inner\":{\"kind\":\"local\",\"prefix\":\"/tmp/x\"}}}}";
    CHECK(json && strcmp(json, want) == 0);
    char *again = NULL;
    OK(objstore_config_normalize(json, &again, &err));
    CHECK(again && strcmp(again, want) == 0);
    objstore_string_free(again);
    objstore_string_free(json);

    objstore_store *s = NULL;
    FAILS(objstore_store_new("{\"kind\":\"cache\"}", NULL, &s, &err), OBJSTORE_E_INVALID_ARGUMENT);
    FAILS(objstore_store_new("{\"kind\":\"cache\",\"inner\":{\"kind\":\"memory\"},\"config\":{\"colour\":1}}", NULL, &s, &err),
          OBJSTORE_E_UNKNOWN_CONFIG_KEY);
    FAILS(objstore_store_new("{\"kind\":\"cache\",\"inner\":{\"kind\":\"memory\",\"colour\":1}}", NULL, &s, &err),
          OBJSTORE_E_UNKNOWN_CONFIG_KEY);
    FAILS(objstore_store_new("{\"kind\":\"cache\",\"inner\":{\"kind\":\"memory\",\"kind\":\"memory\"}}", NULL, &s, &err),
          OBJSTORE_E_INVALID_ARGUMENT);
    FAILS(objstore_store_new("{\"kind\":\"limit\",\"inner\":{\"kind\":\"memory\"},\"config\":{\"max_in_flight\":0}}", NULL, &s, &err),
          OBJSTORE_E_INVALID_ARGUMENT);
    FAILS(objstore_store_new("{\"kind\":\"memory\",\"inner\":{\"kind\":\"memory\"}}", NULL, &s, &err), OBJSTORE_E_INVALID_ARGUMENT);
    CHECK(s == NULL);
}

/* A nested document opens like any: a prefix over a cache over a local
 * directory writes under the prefix, and reads what the directory holds. */
static void test_nested_store(void) {
    char dir[] = "/tmp/objstore-c-compose-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char local[256], doc[1024];
    snprintf(local, sizeof local, "{\"kind\":\"local\",\"prefix\":\"%s\"}", dir);
    snprintf(doc, sizeof doc,
             "{\"kind\":\"prefix\",\"config\":{\"prefix\":\"p\"},\"inner\":{\"kind\":\"cache\","
             "\"config\":{\"disk_dir\":\"%s/.cache\",\"memory_bytes\":\"1MiB\"},\"inner\":%s}}", dir, local);
    objstore_store *wrapped = NULL, *plain = NULL;
    OK(objstore_store_new(doc, NULL, &wrapped, &err));
    OK(objstore_store_new(local, NULL, &plain, &err));
    put_on(wrapped, "x", "through the wrappers");
    CHECK(reads(plain, "p/x", "through the wrappers"));
    CHECK(reads(wrapped, "x", "through the wrappers"));
    char *json = NULL;
    OK(objstore_store_config_json(wrapped, &json, &err));
    CHECK(json && strstr(json, "\"kind\":\"prefix\"") && strstr(json, "\"inner\":{\"kind\":\"cache\""));
    objstore_string_free(json);
    EXPECT(objstore_store_free(plain), OBJSTORE_OK);
    EXPECT(objstore_store_free(wrapped), OBJSTORE_OK);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
}

/* objstore_store_wrap builds a wrapper over an open memory store (which a
 * document could not reach), holding its own share of it. */
static void test_wrap(void) {
    objstore_store *mem = NULL, *cached = NULL, *limited = NULL, *from_doc = NULL;
    OK(objstore_store_new("{\"kind\":\"memory\"}", NULL, &mem, &err));
    put_on(mem, "k", "in memory");
    OK(objstore_store_wrap("{\"kind\":\"cache\",\"config\":{\"memory_bytes\":\"1MiB\"}}", mem, &cached, &err));
    OK(objstore_store_wrap("{\"kind\":\"limit\",\"config\":{\"max_in_flight\":2},\"inner\":{\"kind\":\"memory\"}}", mem, &limited, &err));
    CHECK(reads(cached, "k", "in memory"));
    CHECK(reads(limited, "k", "in memory"));
    /* the nested document alone opens a new, empty memory store */
    OK(objstore_store_new("{\"kind\":\"cache\",\"inner\":{\"kind\":\"memory\"}}", NULL, &from_doc, &err));
    CHECK(!reads(from_doc, "k", "in memory"));
    EXPECT(objstore_store_free(from_doc), OBJSTORE_OK);

    char *json = NULL;
    OK(objstore_store_config_json(cached, &json, &err));
    CHECK(json && strcmp(json, "{\"kind\":\"cache\",\"config\":{\"memory_bytes\":\"1MiB\"},\"inner\":{\"kind\":\"memory\"}}") == 0);
    objstore_string_free(json);

    EXPECT(objstore_store_free(mem), OBJSTORE_OK); /* the wrappers keep it open */
    put_on(limited, "k2", "still there");
    CHECK(reads(cached, "k2", "still there"));

    objstore_store *bad = NULL;
    FAILS(objstore_store_wrap("{\"kind\":\"cache\",\"inner\":{\"kind\":\"local\",\"prefix\":\"/tmp\"}}", limited, &bad, &err),
          OBJSTORE_E_INVALID_ARGUMENT);
    FAILS(objstore_store_wrap("{\"kind\":\"memory\"}", limited, &bad, &err), OBJSTORE_E_INVALID_ARGUMENT);
    FAILS(objstore_store_wrap("{\"kind\":\"cache\"}", NULL, &bad, &err), OBJSTORE_E_BAD_HANDLE);
    FAILS(objstore_store_wrap("{\"kind\":\"cache\"}", limited, NULL, &err), OBJSTORE_E_BAD_HANDLE);
    CHECK(bad == NULL);
    EXPECT(objstore_store_free(cached), OBJSTORE_OK);
    EXPECT(objstore_store_free(limited), OBJSTORE_OK);
}

void run_compose_tests(void) {
    RUN(test_nested_documents);
    RUN(test_nested_store);
    RUN(test_wrap);
}

/* The store every run_store_tests sees through a wrapper: a cache over a
 * limit over memory, built with objstore_store_wrap. */
objstore_store *open_wrapped_memory(void) {
    objstore_store *mem = NULL, *limited = NULL, *cached = NULL;
    objstore_error *err = NULL;
    if (objstore_store_new("{\"kind\":\"memory\"}", NULL, &mem, &err) != OBJSTORE_OK ||
        objstore_store_wrap("{\"kind\":\"limit\",\"config\":{\"max_in_flight\":8,\"requests_per_second\":5000}}", mem, &limited, &err) != OBJSTORE_OK ||
        objstore_store_wrap("{\"kind\":\"cache\",\"config\":{\"memory_bytes\":\"16MiB\",\"block_bytes\":\"64KiB\"}}", limited, &cached, &err) != OBJSTORE_OK) {
        fprintf(stderr, "cannot wrap a memory store: %s\n", err ? err->message : "?");
        objstore_error_free(err);
    }
    objstore_store_free(limited);
    objstore_store_free(mem);
    return cached;
}
