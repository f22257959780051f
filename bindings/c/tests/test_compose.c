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

/* JSON text contains the fragment (the counters of a fresh store are exact). */
static int metrics_say(objstore_store *s, const char *fragment) {
    char *json = NULL;
    OK(objstore_metrics_json(s, &json, &err));
    int found = json && strstr(json, fragment) != NULL;
    if (!found) fprintf(stderr, "    metrics %s lack %s\n", json ? json : "(none)", fragment);
    objstore_string_free(json);
    return found;
}

/* Every store counts its own operations: N reads are N gets with their
 * bytes, nothing stays in flight, and a cache's second read of an object
 * makes no request of the store under it. */
static void test_metrics(void) {
    objstore_store *mem = NULL, *cached = NULL;
    OK(objstore_store_new("{\"kind\":\"memory\"}", NULL, &mem, &err));
    put_on(mem, "k", "0123456789");
    for (int i = 0; i < 7; i++) CHECK(reads(mem, "k", "0123456789"));
    CHECK(!reads(mem, "missing", ""));
    CHECK(metrics_say(mem, "\"requests\":{\"get\":{\"not_found\":1,\"ok\":7},\"put\":{\"ok\":1}}"));
    CHECK(metrics_say(mem, "\"in_flight\":0,\"bytes_in\":70,\"bytes_out\":10,"));
    CHECK(metrics_say(mem, "\"kind\":\"memory\",\"enabled\":true"));

    OK(objstore_store_wrap("{\"kind\":\"cache\",\"config\":{\"memory_bytes\":\"1MiB\"}}", mem, &cached, &err));
    CHECK(reads(cached, "k", "0123456789"));
    CHECK(reads(cached, "k", "0123456789"));
    CHECK(metrics_say(cached, "\"get\":{\"ok\":2}"));
    CHECK(metrics_say(mem, "\"get\":{\"not_found\":1,\"ok\":8}")); /* one more: the cache's miss */

    CHECK(metrics_say(NULL, "\"kinds\":{"));
    CHECK(metrics_say(NULL, "\"cache\":{\"requests\":{"));
    char *text = NULL;
    OK(objstore_metrics_prometheus(mem, &text, &err));
    CHECK(text && strstr(text, "objstore_requests_total{bucket=\"\",kind=\"memory\",operation=\"get\",outcome=\"ok\"} 8\n"));
    objstore_string_free(text);

    FAILS(objstore_metrics_json(mem, NULL, &err), OBJSTORE_E_BAD_HANDLE);
    EXPECT(objstore_store_free(cached), OBJSTORE_OK);
    EXPECT(objstore_store_free(mem), OBJSTORE_OK);
    FAILS(objstore_metrics_json(mem, &text, &err), OBJSTORE_E_BAD_HANDLE);
}

/* A store with an event target posts one OBJSTORE_ASK_EVENT per finished
 * operation; the event is taken once, as JSON. */
static void test_events(void) {
    objstore_store *mem = NULL;
    OK(objstore_store_new("{\"kind\":\"memory\"}", NULL, &mem, &err));
    put_on(mem, "events/k", "abc");
    objstore_ask asks[8];
    size_t n = 0;
    while (objstore_ask_poll(asks, 8, &n) == OBJSTORE_OK && n > 0) {} /* none from before */
    OK(objstore_set_event_target(mem, 77, &err));
    CHECK(reads(mem, "events/k", "abc"));
    EXPECT(objstore_ask_wait(asks, 8, &n, 5000), OBJSTORE_OK);
    EXPECT(n, 1);
    EXPECT(asks[0].kind, OBJSTORE_ASK_EVENT);
    CHECK(asks[0].target == 77);
    char *json = NULL;
    OK(objstore_event_take(asks[0].ask_id, &json, &err));
    CHECK(json && strstr(json, "\"operation\":\"get\"") && strstr(json, "\"path_length\":8") &&
          strstr(json, "\"bytes\":3") && !strstr(json, "events/k"));
    objstore_string_free(json);
    FAILS(objstore_event_take(asks[0].ask_id, &json, &err), OBJSTORE_E_NOT_FOUND);
    OK(objstore_set_event_target(mem, 0, &err));
    CHECK(reads(mem, "events/k", "abc"));
    EXPECT(objstore_ask_wait(asks, 8, &n, 100), OBJSTORE_OK);
    EXPECT(n, 0);
    EXPECT(objstore_store_free(mem), OBJSTORE_OK);
}

void run_compose_tests(void) {
    RUN(test_events);
    RUN(test_nested_documents);
    RUN(test_nested_store);
    RUN(test_wrap);
    RUN(test_metrics);
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
