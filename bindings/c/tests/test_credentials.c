/* Credential providers through the C ABI, against MinIO: a callback the
 * program registers in objstore_store_options (called on a library thread),
 * and the ask queue a binding answers from a thread of its own. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "tests.h"

static int64_t now_ms(void) {
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* The document of a store on MinIO without credentials (the provider
 * gives them); 0 when the server's variables are missing. */
static int minio_doc(char *config, size_t size, const char *timeout) {
    const char *ep = getenv("OBJSTORE_TEST_MINIO_ENDPOINT"), *bucket = getenv("OBJSTORE_TEST_MINIO_BUCKET");
    if (!ep || !bucket || !getenv("OBJSTORE_TEST_MINIO_ACCESS_KEY")) {
        harness_fail(__FILE__, __LINE__, "OBJSTORE_TEST_MINIO_* set (run via buildscripts/with-servers.sh)", 0, 1);
        return 0;
    }
    snprintf(config, size,
             "{\"kind\":\"s3\",\"bucket\":\"%s\",\"prefix\":\"c-credentials-%d\",\"config\":{\"endpoint\":\"%s\","
             "\"region\":\"us-east-1\"},\"client_options\":{\"allow_http\":true,\"timeout\":\"%s\"}}",
             bucket, (int)getpid(), ep, timeout);
    return 1;
}

/* What the test callback does: answers the MinIO keys (the first `wrong`
 * calls a key MinIO does not know), fails, or hangs. */
typedef struct {
    atomic_int calls;
    atomic_int freed;
    int wrong;      /* answer an unknown key this many times first */
    int fail;       /* fail with OBJSTORE_E_PERMISSION_DENIED */
    int hang_ms;    /* sleep this long first */
    int64_t life_ms;
} provider_state;

static int test_provider(void *data, objstore_credential *out, char *message, size_t size) {
    provider_state *st = data;
    int n = atomic_fetch_add(&st->calls, 1);
    if (st->hang_ms) usleep((useconds_t)st->hang_ms * 1000);
    if (st->fail) {
        snprintf(message, size, "no credentials for you");
        return OBJSTORE_E_PERMISSION_DENIED;
    }
    CHECK(out->version == OBJSTORE_CREDENTIAL_VERSION && out->token == NULL && out->expires_unix_ms == OBJSTORE_NEVER);
    out->access_key_id = n < st->wrong ? "no-such-key" : getenv("OBJSTORE_TEST_MINIO_ACCESS_KEY");
    out->secret_access_key = getenv("OBJSTORE_TEST_MINIO_SECRET_KEY");
    if (st->life_ms) out->expires_unix_ms = now_ms() + st->life_ms;
    return OBJSTORE_OK;
}

static void free_state(void *data) { atomic_fetch_add(&((provider_state *)data)->freed, 1); }

static objstore_store *open_with(provider_state *st, const char *timeout) {
    char config[1024];
    if (!minio_doc(config, sizeof config, timeout)) return NULL;
    objstore_store_options opts = OBJSTORE_STORE_OPTIONS_INIT;
    opts.credential_fn = test_provider;
    opts.credential_data = st;
    opts.credential_data_free = free_state;
    opts.credential_name = "test_provider";
    objstore_store *s = NULL;
    OK(objstore_store_open(config, "{}", &opts, &s, &err));
    return s;
}

/* Many requests, one call per credential; the data freed with the store. */
static void test_callback_cached(void) {
    provider_state st = {.life_ms = 60000};
    objstore_store *s = open_with(&st, "30s");
    if (!s) return;
    OK(objstore_put(s, "a.txt", (const uint8_t *)"hi", 2, NULL, NULL, NULL, &err));
    for (int i = 0; i < 20; i++) {
        objstore_buffer *buf = NULL;
        const uint8_t *data = NULL;
        size_t len = 0;
        OK(objstore_get_bytes(s, "a.txt", NULL, &buf, &data, &len, NULL, &err));
        if (buf) {
            CHECK_MEM(data, len, "hi");
            objstore_buffer_free(buf);
        }
    }
    EXPECT(atomic_load(&st.calls), 1);
    EXPECT(atomic_load(&st.freed), 0);
    OK(objstore_delete(s, "a.txt", &err));
    EXPECT(objstore_store_free(s), OBJSTORE_OK);
    EXPECT(atomic_load(&st.freed), 1);
}

/* A key the service does not know is dropped and the provider asked again:
 * the request succeeds on its one retry. */
static void test_callback_stale_key_retried(void) {
    provider_state st = {.wrong = 1};
    objstore_store *s = open_with(&st, "30s");
    if (!s) return;
    objstore_meta_list *ml = NULL;
    const objstore_object_meta *meta = NULL;
    objstore_buffer *buf = NULL;
    const uint8_t *data = NULL;
    size_t len = 0;
    FAILS(objstore_get_bytes(s, "missing", NULL, &buf, &data, &len, NULL, &err), OBJSTORE_E_NOT_FOUND);
    EXPECT(atomic_load(&st.calls), 2);
    /* A HEAD's bare 403 counts too. */
    st.wrong = 3;
    FAILS(objstore_head(s, "missing", &ml, &meta, &err), OBJSTORE_E_NOT_FOUND);
    /* Unknown every time: one retry, then the service's refusal. */
    provider_state bad = {.wrong = 1000};
    objstore_store *b = open_with(&bad, "30s");
    if (b) {
        FAILS(objstore_get_bytes(b, "missing", NULL, &buf, &data, &len, NULL, &err), OBJSTORE_E_UNAUTHENTICATED);
        EXPECT(atomic_load(&bad.calls), 2);
        objstore_store_free(b);
    }
    objstore_store_free(s);
}

/* A callback's failure reaches the request with its code and reason, and
 * the provider's name. */
static void test_callback_failure(void) {
    provider_state st = {.fail = 1};
    objstore_store *s = open_with(&st, "30s");
    if (!s) return;
    objstore_error *err = NULL;
    objstore_meta_list *ml = NULL;
    const objstore_object_meta *meta = NULL;
    EXPECT(objstore_head(s, "x", &ml, &meta, &err), OBJSTORE_E_PERMISSION_DENIED);
    if (err) {
        CHECK(strstr(err->message, "test_provider") != NULL);
        CHECK(strstr(err->message, "no credentials for you") != NULL);
        objstore_error_free(err);
    }
    objstore_store_free(s);
}

/* A callback that hangs fails its requests with a timeout (the client
 * options' timeout), not a hang; its data is freed once it returns. */
static void test_callback_hangs(void) {
    provider_state st = {.hang_ms = 3000};
    objstore_store *s = open_with(&st, "1s");
    if (!s) return;
    int64_t start = now_ms();
    objstore_meta_list *ml = NULL;
    const objstore_object_meta *meta = NULL;
    FAILS(objstore_head(s, "x", &ml, &meta, &err), OBJSTORE_E_TIMEOUT);
    CHECK(now_ms() - start < 2900);
    objstore_store_free(s);
    for (int i = 0; i < 100 && !atomic_load(&st.freed); i++) usleep(50 * 1000);
    EXPECT(atomic_load(&st.freed), 1);
}

static void test_options_checked(void) {
    provider_state st = {0};
    objstore_store_options opts = OBJSTORE_STORE_OPTIONS_INIT;
    opts.credential_fn = test_provider;
    opts.credential_data = &st;
    opts.credential_data_free = free_state;
    objstore_store *s = NULL;
    /* A memory store takes no provider; the data is freed all the same. */
    FAILS(objstore_store_open("{\"kind\":\"memory\"}", NULL, &opts, &s, &err), OBJSTORE_E_NOT_SUPPORTED);
    EXPECT(atomic_load(&st.freed), 1);
    opts.credential_ask_target = 1;
    FAILS(objstore_store_open("{\"kind\":\"memory\"}", NULL, &opts, &s, &err), OBJSTORE_E_INVALID_ARGUMENT);
    objstore_store_options bad = {.version = 0};
    FAILS(objstore_store_open("{\"kind\":\"memory\"}", NULL, &bad, &s, &err), OBJSTORE_E_INVALID_ARGUMENT);
    /* No options: objstore_store_new. */
    OK(objstore_store_open("{\"kind\":\"memory\"}", NULL, NULL, &s, &err));
    objstore_store_free(s);
    FAILS(objstore_ask_answer_credential(987654321, &(objstore_credential)OBJSTORE_CREDENTIAL_INIT, &err), OBJSTORE_E_NOT_FOUND);
    FAILS(objstore_ask_fail(987654321, OBJSTORE_E_UNAUTHENTICATED, "late", &err), OBJSTORE_E_NOT_FOUND);
}

/* The ask queue: a thread of the program waits for asks and answers them. */
typedef struct {
    atomic_int stop;
    atomic_int asked;
    int fail;
} answerer;

static void *answer_asks(void *arg) {
    answerer *a = arg;
    while (!atomic_load(&a->stop)) {
        objstore_ask asks[8];
        size_t n = 0;
        if (objstore_ask_wait(asks, 8, &n, 100) != OBJSTORE_OK) break;
        for (size_t i = 0; i < n; i++) {
            atomic_fetch_add(&a->asked, 1);
            CHECK(asks[i].kind == OBJSTORE_ASK_CREDENTIAL && asks[i].target == 42);
            CHECK(asks[i].deadline_unix_ms > now_ms());
            if (a->fail) {
                EXPECT(objstore_ask_fail(asks[i].ask_id, OBJSTORE_E_UNAUTHENTICATED, "refused by the answerer", NULL), OBJSTORE_OK);
                continue;
            }
            objstore_credential c = OBJSTORE_CREDENTIAL_INIT;
            c.access_key_id = getenv("OBJSTORE_TEST_MINIO_ACCESS_KEY");
            c.secret_access_key = getenv("OBJSTORE_TEST_MINIO_SECRET_KEY");
            c.expires_unix_ms = now_ms() + 60000;
            EXPECT(objstore_ask_answer_credential(asks[i].ask_id, &c, NULL), OBJSTORE_OK);
        }
    }
    return NULL;
}

static void test_ask_queue(void) {
    char config[1024];
    if (!minio_doc(config, sizeof config, "30s")) return;
    answerer a = {0};
    pthread_t t;
    pthread_create(&t, NULL, answer_asks, &a);
    objstore_store_options opts = OBJSTORE_STORE_OPTIONS_INIT;
    opts.credential_ask_target = 42;
    opts.credential_name = "asked";
    objstore_store *s = NULL;
    OK(objstore_store_open(config, "{}", &opts, &s, &err));
    if (s) {
        objstore_meta_list *ml = NULL;
        const objstore_object_meta *meta = NULL;
        for (int i = 0; i < 5; i++) FAILS(objstore_head(s, "missing", &ml, &meta, &err), OBJSTORE_E_NOT_FOUND);
        EXPECT(atomic_load(&a.asked), 1);
        objstore_store_free(s);
    }
    /* A failed answer fails the request with its code and message. */
    a.fail = 1;
    OK(objstore_store_open(config, "{}", &opts, &s, &err));
    if (s) {
        objstore_error *err = NULL;
        objstore_meta_list *ml = NULL;
        const objstore_object_meta *meta = NULL;
        EXPECT(objstore_head(s, "missing", &ml, &meta, &err), OBJSTORE_E_UNAUTHENTICATED);
        if (err) {
            CHECK(strstr(err->message, "asked: refused by the answerer") != NULL);
            objstore_error_free(err);
        }
        objstore_store_free(s);
    }
    atomic_store(&a.stop, 1);
    pthread_join(t, NULL);
    int fd = -1;
    OK(objstore_ask_fd(&fd, &err));
    CHECK(fd >= 0);
}

void run_credentials_tests(void) {
    RUN(test_callback_cached);
    RUN(test_callback_stale_key_retried);
    RUN(test_callback_failure);
    RUN(test_callback_hangs);
    RUN(test_options_checked);
    RUN(test_ask_queue);
}
