/* The asynchronous API: submits, the completion queue and its fd,
 * cancellation, get_many, runtime settings and debug stats. Runs on its
 * own MemoryStore. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "tests.h"

static objstore_store *A; /* the store of these tests */

/* Waits for the one completion expected next and checks its id. */
static objstore_completion wait_one(uint64_t id) {
    objstore_completion c;
    memset(&c, 0, sizeof c);
    size_t n = 0;
    EXPECT(objstore_cq_wait(&c, 1, &n, 10000), OBJSTORE_OK);
    CHECK(n == 1);
    CHECK(c.request_id == id);
    if (c.code != OBJSTORE_OK && c.error == NULL) CHECK(!"failed completion without error");
    return c;
}

static void body_of(int i, char *out, size_t size) {
    snprintf(out, size, "body of object %d: %0*d", i, i % 50, i);
}

#define N_REQUESTS 1000

/* 1,000 gets in flight at once; the fd is watched with poll() and the
 * queue drained in batches; every result is checked. */
static void test_thousand_gets_with_poll(void) {
    char path[64], body[128];
    for (int i = 0; i < N_REQUESTS; i++) {
        snprintf(path, sizeof path, "many/%04d", i);
        body_of(i, body, sizeof body);
        OK(objstore_put(A, path, (const uint8_t *)body, strlen(body), NULL, NULL, NULL, &err));
    }
    int fd = -1;
    OK(objstore_cq_fd(&fd, &err));
    CHECK(fd >= 0);
    int fd2 = -1;
    OK(objstore_cq_fd(&fd2, &err));
    CHECK(fd == fd2);

    for (int i = 0; i < N_REQUESTS; i++) {
        snprintf(path, sizeof path, "many/%04d", i);
        OK(objstore_submit_get(A, path, NULL, (i % 2) ? OBJSTORE_SUBMIT_INFO : 0, 5000 + (uint64_t)i, &err));
    }
    static char seen[N_REQUESTS];
    memset(seen, 0, sizeof seen);
    int got = 0, batches = 0, bad = 0;
    objstore_completion batch[64];
    while (got < N_REQUESTS) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int ready = poll(&p, 1, 10000);
        if (ready != 1) {
            CHECK(!"poll timed out with requests outstanding (lost wakeup?)");
            break;
        }
        size_t n;
        do {
            EXPECT(objstore_cq_poll(batch, 64, &n), OBJSTORE_OK);
            if (n > 0) batches++;
            for (size_t k = 0; k < n; k++) {
                objstore_completion *c = &batch[k];
                int i = (int)(c->request_id - 5000);
                if (i < 0 || i >= N_REQUESTS || seen[i] || c->code != OBJSTORE_OK || c->op != OBJSTORE_OP_GET) {
                    bad++;
                    if (c->error) objstore_error_free(c->error);
                    continue;
                }
                seen[i] = 1;
                body_of(i, body, sizeof body);
                if (c->len != strlen(body) || memcmp(c->data, body, c->len) != 0) bad++;
                if ((i % 2) != (c->info != NULL)) bad++;
                if (c->info && c->info->meta.size != strlen(body)) bad++;
                EXPECT(objstore_buffer_free(c->buffer), OBJSTORE_OK);
                got++;
            }
        } while (n == 64);
        /* Drained: the fd must not be readable until something new completes
         * (unless more completions already arrived). */
    }
    CHECK(got == N_REQUESTS);
    CHECK(bad == 0);
    CHECK(batches >= 1 && batches <= N_REQUESTS);
    printf("    1000 gets completed in %d batches\n", batches);
    /* Empty queue: the fd is not readable and poll returns nothing. */
    struct pollfd p = {.fd = fd, .events = POLLIN};
    CHECK(poll(&p, 1, 0) == 0);
    size_t n = 99;
    EXPECT(objstore_cq_poll(batch, 64, &n), OBJSTORE_OK);
    CHECK(n == 0);
}

/* Misuse is reported by the submit itself; nothing is queued. */
static void test_submit_validates_synchronously(void) {
    objstore_stats before = harness_stats();
    FAILS(objstore_submit_get(NULL, "a", NULL, 0, 1, &err), OBJSTORE_E_BAD_HANDLE);
    FAILS(objstore_submit_get(A, "a//b", NULL, 0, 1, &err), OBJSTORE_E_INVALID_PATH);
    FAILS(objstore_submit_get(A, NULL, NULL, 0, 1, &err), OBJSTORE_E_INVALID_PATH);
    FAILS(objstore_submit_get(A, "a", NULL, 99, 1, &err), OBJSTORE_E_INVALID_ARGUMENT);
    FAILS(objstore_submit_head(A, "../x", 1, &err), OBJSTORE_E_INVALID_PATH);
    FAILS(objstore_submit_put(A, "a", NULL, 5, NULL, 1, &err), OBJSTORE_E_INVALID_ARGUMENT);
    FAILS(objstore_submit_copy(A, "a", "b/./c", 0, 1, &err), OBJSTORE_E_INVALID_PATH);
    FAILS(objstore_submit_reader_read_chunk((objstore_reader *)A, 0, 1, &err), OBJSTORE_E_BAD_HANDLE);
    objstore_store *freed = NULL;
    OK(objstore_store_new("{\"kind\":\"memory\"}", NULL, &freed, &err));
    EXPECT(objstore_store_free(freed), OBJSTORE_OK);
    FAILS(objstore_submit_delete(freed, "a", 1, &err), OBJSTORE_E_BAD_HANDLE);
    objstore_stats after = harness_stats();
    CHECK(after.requests_in_flight == 0 && after.completions_queued == 0);
    CHECK(after.errors == before.errors);
    size_t n = 1;
    objstore_completion c;
    EXPECT(objstore_cq_poll(&c, 1, &n), OBJSTORE_OK);
    CHECK(n == 0);
    EXPECT(objstore_cq_poll(NULL, 1, &n), OBJSTORE_E_BAD_HANDLE);
    EXPECT(objstore_cq_poll(&c, 1, NULL), OBJSTORE_E_BAD_HANDLE);
    EXPECT(objstore_debug_stats(NULL), OBJSTORE_E_BAD_HANDLE);
    objstore_stats wrong;
    memset(&wrong, 0, sizeof wrong);
    EXPECT(objstore_debug_stats(&wrong), OBJSTORE_E_INVALID_ARGUMENT);
    wrong.version = OBJSTORE_STATS_VERSION + 1;
    EXPECT(objstore_debug_stats(&wrong), OBJSTORE_E_INVALID_ARGUMENT);
    /* a caller built against version 1: its struct ends before shared_stores */
    objstore_stats v1;
    memset(&v1, 0xAB, sizeof v1);
    v1.version = 1;
    EXPECT(objstore_debug_stats(&v1), OBJSTORE_OK);
    CHECK(v1.requests_in_flight == 0);
    uint64_t untouched;
    memset(&untouched, 0xAB, sizeof untouched);
    CHECK(v1.shared_stores == untouched);
}

static void test_every_operation(void) {
    objstore_completion c;
    /* put, then get with info */
    const char *hello = "hello async";
    OK(objstore_submit_put(A, "ops/a.txt", (const uint8_t *)hello, strlen(hello), NULL, 1, &err));
    c = wait_one(1);
    CHECK(c.code == OBJSTORE_OK && c.op == OBJSTORE_OP_PUT && c.e_tag != NULL);
    objstore_string_free(c.e_tag);
    objstore_string_free(c.version);

    OK(objstore_submit_get(A, "ops/a.txt", NULL, OBJSTORE_SUBMIT_INFO, 2, &err));
    c = wait_one(2);
    CHECK(c.code == OBJSTORE_OK);
    CHECK_MEM(c.data, c.len, hello);
    CHECK(c.info && strcmp(c.info->meta.location, "ops/a.txt") == 0);
    EXPECT(objstore_buffer_free(c.buffer), OBJSTORE_OK);

    /* a missing object fails in the completion */
    OK(objstore_submit_get(A, "ops/missing", NULL, 0, 3, &err));
    c = wait_one(3);
    CHECK(c.code == OBJSTORE_E_NOT_FOUND && c.error && c.error->code == OBJSTORE_E_NOT_FOUND && c.buffer == NULL);
    EXPECT(objstore_error_free(c.error), OBJSTORE_OK);

    /* head */
    OK(objstore_submit_head(A, "ops/a.txt", 4, &err));
    c = wait_one(4);
    CHECK(c.code == OBJSTORE_OK && c.n_items == 1 && c.items && c.items[0].size == strlen(hello));
    EXPECT(objstore_meta_list_free(c.meta_list), OBJSTORE_OK);

    /* get_ranges: the caller's arrays are filled before the completion */
    uint64_t starts[2] = {0, 6}, ends[2] = {5, 11};
    const uint8_t *rdata[2] = {NULL, NULL};
    size_t rlens[2] = {0, 0};
    OK(objstore_submit_get_ranges(A, "ops/a.txt", starts, ends, 2, rdata, rlens, 5, &err));
    c = wait_one(5);
    CHECK(c.code == OBJSTORE_OK && c.buffer != NULL);
    CHECK_MEM(rdata[0], rlens[0], "hello");
    CHECK_MEM(rdata[1], rlens[1], "async");
    EXPECT(objstore_buffer_free(c.buffer), OBJSTORE_OK);

    /* copy, rename, list_with_delimiter */
    OK(objstore_submit_copy(A, "ops/a.txt", "ops/b.txt", 0, 6, &err));
    c = wait_one(6);
    CHECK(c.code == OBJSTORE_OK && c.op == OBJSTORE_OP_COPY);
    OK(objstore_submit_copy(A, "ops/a.txt", "ops/b.txt", OBJSTORE_IF_NOT_EXISTS, 7, &err));
    c = wait_one(7);
    CHECK(c.code == OBJSTORE_E_ALREADY_EXISTS);
    objstore_error_free(c.error);
    OK(objstore_submit_rename(A, "ops/b.txt", "ops/sub/c.txt", 0, 8, &err));
    c = wait_one(8);
    CHECK(c.code == OBJSTORE_OK);
    OK(objstore_submit_list_with_delimiter(A, "ops", 9, &err));
    c = wait_one(9);
    CHECK(c.code == OBJSTORE_OK && c.n_items == 1 && c.n_prefixes == 1);
    if (c.n_items == 1 && c.n_prefixes == 1) {
        CHECK(strcmp(c.items[0].location, "ops/a.txt") == 0);
        CHECK(strcmp(c.common_prefixes[0], "ops/sub") == 0);
    }
    objstore_meta_list_free(c.meta_list);

    /* sign: MemoryStore cannot */
    OK(objstore_submit_sign(A, "GET", "ops/a.txt", 60, 10, &err));
    c = wait_one(10);
    CHECK(c.code == OBJSTORE_E_NOT_SUPPORTED && c.url == NULL);
    objstore_error_free(c.error);

    /* list pages */
    objstore_list *l = NULL;
    OK(objstore_list_new(A, "ops", NULL, &l, &err));
    OK(objstore_submit_list_next(l, 1, 11, &err));
    FAILS(objstore_submit_list_next(l, 1, 99, &err), OBJSTORE_E_INVALID_ARGUMENT); /* one at a time */
    c = wait_one(11);
    CHECK(c.code == OBJSTORE_OK && c.n_items == 1);
    objstore_meta_list_free(c.meta_list);
    OK(objstore_submit_list_next(l, 10, 12, &err));
    c = wait_one(12);
    CHECK(c.code == OBJSTORE_OK && c.n_items == 1);
    objstore_meta_list_free(c.meta_list);
    OK(objstore_submit_list_next(l, 10, 13, &err));
    c = wait_one(13);
    CHECK(c.code == OBJSTORE_OK && c.n_items == 0 && c.meta_list == NULL);
    EXPECT(objstore_list_free(l), OBJSTORE_OK);

    /* reader: prefetched small body, and chunked reads of a larger one */
    OK(objstore_submit_get_reader(A, "ops/a.txt", NULL, 1 << 20, 14, &err));
    c = wait_one(14);
    CHECK(c.code == OBJSTORE_OK && c.reader && c.info && c.buffer);
    CHECK_MEM(c.data, c.len, hello);
    objstore_buffer_free(c.buffer);
    objstore_reader_free(c.reader);

    OK(objstore_submit_get_reader(A, "ops/a.txt", NULL, 0, 15, &err));
    c = wait_one(15);
    CHECK(c.code == OBJSTORE_OK && c.reader && c.buffer == NULL);
    objstore_reader *r = c.reader;
    OK(objstore_submit_reader_read_chunk(r, 6, 16, &err));
    c = wait_one(16);
    CHECK_MEM(c.data, c.len, "hello ");
    objstore_buffer_free(c.buffer);
    OK(objstore_submit_reader_read_all(r, 17, &err));
    c = wait_one(17);
    CHECK_MEM(c.data, c.len, "async");
    objstore_buffer_free(c.buffer);
    OK(objstore_submit_reader_read_chunk(r, 6, 18, &err));
    c = wait_one(18);
    CHECK(c.code == OBJSTORE_OK && c.buffer == NULL && c.len == 0);
    EXPECT(objstore_reader_free(r), OBJSTORE_OK);

    /* writer */
    objstore_writer *w = NULL;
    OK(objstore_writer_new(A, "ops/w.txt", NULL, &w, &err));
    OK(objstore_submit_writer_write(w, (const uint8_t *)"abc", 3, 19, &err));
    c = wait_one(19);
    CHECK(c.code == OBJSTORE_OK);
    OK(objstore_submit_writer_close(w, 20, &err));
    c = wait_one(20);
    CHECK(c.code == OBJSTORE_OK && c.e_tag);
    objstore_string_free(c.e_tag);
    objstore_string_free(c.version);
    objstore_writer_free(w);

    /* multipart upload */
    OK(objstore_submit_upload_new(A, "ops/u.txt", NULL, 21, &err));
    c = wait_one(21);
    CHECK(c.code == OBJSTORE_OK && c.upload);
    objstore_upload *up = c.upload;
    OK(objstore_submit_upload_put_part(up, 1, (const uint8_t *)"world", 5, 22, &err));
    c = wait_one(22);
    CHECK(c.code == OBJSTORE_OK);
    OK(objstore_submit_upload_put_part(up, 0, (const uint8_t *)"hello ", 6, 23, &err));
    c = wait_one(23);
    CHECK(c.code == OBJSTORE_OK);
    OK(objstore_submit_upload_complete(up, 24, &err));
    c = wait_one(24);
    CHECK(c.code == OBJSTORE_OK);
    objstore_string_free(c.e_tag);
    objstore_string_free(c.version);
    objstore_upload_free(up);

    /* delete_many with a bad path, then delete */
    const char *paths[3] = {"ops/u.txt", "bad//path", "ops/w.txt"};
    int codes[3] = {-1, -1, -1};
    OK(objstore_submit_delete_many(A, paths, 3, codes, 25, &err));
    c = wait_one(25);
    CHECK(c.code == OBJSTORE_E_INVALID_PATH);
    CHECK(codes[0] == OBJSTORE_OK && codes[1] == OBJSTORE_E_INVALID_PATH && codes[2] == OBJSTORE_OK);
    objstore_error_free(c.error);
    OK(objstore_submit_delete(A, "ops/a.txt", 26, &err));
    c = wait_one(26);
    CHECK(c.code == OBJSTORE_OK);
}

static void test_get_many(void) {
    const char *paths[5] = {"many/0001", "many/0002", "nope", "many/0001", "bad//"};
    objstore_range ranges[5];
    memset(ranges, 0, sizeof ranges);
    ranges[3].kind = OBJSTORE_RANGE_BOUNDED;
    ranges[3].start = 0;
    ranges[3].end = 4;
    objstore_buffer *bufs[5];
    const uint8_t *data[5];
    size_t lens[5];
    int codes[5];
    objstore_error *errs[5];
    char body[128];
    OK(objstore_get_many(A, paths, ranges, 5, 0, 0, bufs, data, lens, codes, errs, &err));
    body_of(1, body, sizeof body);
    CHECK(codes[0] == OBJSTORE_OK && lens[0] == strlen(body) && memcmp(data[0], body, lens[0]) == 0);
    CHECK_MEM(data[3], lens[3], "body");
    CHECK(codes[2] == OBJSTORE_E_NOT_FOUND && bufs[2] == NULL && errs[2] && errs[2]->code == OBJSTORE_E_NOT_FOUND);
    CHECK(codes[4] == OBJSTORE_E_INVALID_PATH && bufs[4] == NULL);
    for (int i = 0; i < 5; i++) {
        if (bufs[i]) EXPECT(objstore_buffer_free(bufs[i]), OBJSTORE_OK);
        if (errs[i]) EXPECT(objstore_error_free(errs[i]), OBJSTORE_OK);
    }
    /* strict: the call fails with the first failure, no buffers */
    FAILS(objstore_get_many(A, paths, NULL, 3, 0, OBJSTORE_GET_MANY_STRICT, bufs, data, lens, codes, NULL, &err),
          OBJSTORE_E_NOT_FOUND);
    CHECK(bufs[0] == NULL && bufs[1] == NULL && codes[2] == OBJSTORE_E_NOT_FOUND);

    /* async: one completion for the batch */
    OK(objstore_submit_get_many(A, paths, NULL, 3, 2, 0, bufs, data, lens, codes, NULL, 30, &err));
    objstore_completion c = wait_one(30);
    CHECK(c.code == OBJSTORE_OK && c.op == OBJSTORE_OP_GET_MANY);
    CHECK(codes[0] == OBJSTORE_OK && codes[1] == OBJSTORE_OK && codes[2] == OBJSTORE_E_NOT_FOUND);
    body_of(2, body, sizeof body);
    CHECK(lens[1] == strlen(body) && memcmp(data[1], body, lens[1]) == 0);
    for (int i = 0; i < 3; i++)
        if (bufs[i]) objstore_buffer_free(bufs[i]);
}

/* A TCP listener that never answers: a request to it stays in flight
 * until cancelled. Returns the port (the socket stays open). */
static int silent_listener(int *sock_out) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) != 0 || listen(s, 64) != 0 ||
        getsockname(s, (struct sockaddr *)&a, &len) != 0) {
        if (s >= 0) close(s);
        return -1;
    }
    *sock_out = s;
    return ntohs(a.sin_port);
}

/* With one request allowed to run and that one hanging on a silent
 * server, the other requests are queued: cancelling them completes them
 * at once; cancelling the hanging one cancels its context. Each completes
 * exactly once, with OBJSTORE_E_CANCELLED. */
static void test_cancel(void) {
    int sock = -1;
    int port = silent_listener(&sock);
    CHECK(port > 0);
    if (port <= 0) return;
    char config[200];
    snprintf(config, sizeof config,
             "{\"kind\":\"http\",\"url\":\"http://127.0.0.1:%d/\",\"client_options\":{\"allow_http\":\"true\"}}", port);
    objstore_store *silent = NULL;
    OK(objstore_store_new(config, NULL, &silent, &err));
    if (!silent) return;

    size_t previous = 0;
    EXPECT(objstore_set_async_limit(1, &previous), OBJSTORE_OK);
    CHECK(previous == 256);
    enum { K = 200 };
    OK(objstore_submit_get(silent, "hangs", NULL, 0, 9000, &err));
    for (int i = 1; i < K; i++)
        OK(objstore_submit_get(A, "many/0003", NULL, 0, 9000 + (uint64_t)i, &err));
    FAILS(objstore_submit_get(A, "many/0003", NULL, 0, 9000 + K - 1, &err), OBJSTORE_E_INVALID_ARGUMENT); /* duplicate id */
    objstore_stats st = harness_stats();
    CHECK(st.requests_in_flight == K && st.requests_running == 1);
    for (int i = K - 1; i >= 0; i--) EXPECT(objstore_cancel(9000 + (uint64_t)i), OBJSTORE_OK);
    EXPECT(objstore_cancel(9000 + K - 1), OBJSTORE_E_NOT_FOUND); /* completed already */
    EXPECT(objstore_cancel(123456789), OBJSTORE_E_NOT_FOUND);
    EXPECT(objstore_set_async_limit(previous, NULL), OBJSTORE_OK);

    static int count[K];
    memset(count, 0, sizeof count);
    int total = 0, cancelled = 0;
    objstore_completion batch[32];
    while (total < K) {
        size_t n = 0;
        EXPECT(objstore_cq_wait(batch, 32, &n, 10000), OBJSTORE_OK);
        if (n == 0) break;
        for (size_t k = 0; k < n; k++) {
            int i = (int)(batch[k].request_id - 9000);
            if (i >= 0 && i < K) count[i]++;
            total++;
            if (batch[k].code == OBJSTORE_E_CANCELLED && batch[k].buffer == NULL && batch[k].error &&
                batch[k].error->code == OBJSTORE_E_CANCELLED)
                cancelled++;
            if (batch[k].buffer) objstore_buffer_free(batch[k].buffer);
            if (batch[k].error) objstore_error_free(batch[k].error);
        }
    }
    CHECK(total == K);
    CHECK(cancelled == K);
    for (int i = 0; i < K; i++) CHECK(count[i] == 1);
    size_t n = 0;
    objstore_completion c;
    EXPECT(objstore_cq_wait(&c, 1, &n, 20), OBJSTORE_OK); /* timeout: nothing more */
    CHECK(n == 0);
    EXPECT(objstore_store_free(silent), OBJSTORE_OK);
    close(sock);
}

static void test_runtime_settings(void) {
    int procs = 0;
    EXPECT(objstore_set_max_procs(0, &procs), OBJSTORE_OK);
    CHECK(procs >= 1);
    int prev = 0;
    EXPECT(objstore_set_max_procs(1, &prev), OBJSTORE_OK);
    CHECK(prev == procs);
    EXPECT(objstore_set_max_procs(procs, &prev), OBJSTORE_OK);
    CHECK(prev == 1);
    int64_t limit = 0, old = 0;
    EXPECT(objstore_set_memory_limit(-1, &limit), OBJSTORE_OK);
    CHECK(limit > 0);
    EXPECT(objstore_set_memory_limit(1LL << 40, &old), OBJSTORE_OK);
    CHECK(old == limit);
    EXPECT(objstore_set_memory_limit(limit, &old), OBJSTORE_OK);
    CHECK(old == 1LL << 40);
}

static objstore_stats base;

/* Everything the tests received was freed: the library holds no buffer,
 * reader, page or error of theirs, and nothing is in flight or queued. */
/* objstore_submit_cleanup_uploads on a LocalStore completes with the
 * aborted uploads in pending_uploads; on a MemoryStore, NOT_SUPPORTED. */
static void test_cleanup_uploads_async(void) {
    char dir[] = "/tmp/objstore-c-cleanup-XXXXXX", config[256];
    if (!mkdtemp(dir)) {
        CHECK(!"mkdtemp");
        return;
    }
    snprintf(config, sizeof config, "{\"kind\":\"local\",\"prefix\":\"%s\"}", dir);
    objstore_store *s = NULL;
    OK(objstore_store_new(config, NULL, &s, &err));
    objstore_upload *up = NULL;
    OK(objstore_upload_new(s, "async/left", NULL, &up, &err));
    OK(objstore_upload_put_part(up, 0, (const uint8_t *)"x", 1, &err));
    OK(objstore_submit_cleanup_uploads(s, "async", 0, 0, 7001, &err));
    objstore_completion c = wait_one(7001);
    EXPECT(c.code, OBJSTORE_OK);
    CHECK(c.op == OBJSTORE_OP_CLEANUP_UPLOADS);
    CHECK(c.n_items == 1 && c.pending_uploads != NULL);
    if (c.n_items == 1 && c.pending_uploads) CHECK(strcmp(c.pending_uploads[0].location, "async/left") == 0);
    if (c.meta_list) EXPECT(objstore_meta_list_free(c.meta_list), OBJSTORE_OK);
    FAILS(objstore_submit_cleanup_uploads(s, "async", 0, 2, 7002, &err), OBJSTORE_E_INVALID_ARGUMENT);
    EXPECT(objstore_upload_free(up), OBJSTORE_OK);
    EXPECT(objstore_store_free(s), OBJSTORE_OK);

    OK(objstore_submit_cleanup_uploads(A, NULL, 0, 0, 7003, &err));
    c = wait_one(7003);
    EXPECT(c.code, OBJSTORE_E_NOT_SUPPORTED);
    if (c.error) EXPECT(objstore_error_free(c.error), OBJSTORE_OK);
    snprintf(config, sizeof config, "rm -rf '%s'", dir);
    CHECK(system(config) == 0);
}

static void test_nothing_leaks(void) {
    objstore_stats end = harness_stats();
    CHECK(end.buffers == base.buffers && end.buffer_bytes == base.buffer_bytes);
    CHECK(end.readers == base.readers && end.meta_lists == base.meta_lists && end.errors == base.errors);
    CHECK(end.uploads == base.uploads && end.lists == base.lists);
    CHECK(end.requests_in_flight == 0 && end.requests_running == 0 && end.completions_queued == 0);
}

void run_async_tests(void) {
    objstore_error *err = NULL;
    if (objstore_store_new("{\"kind\":\"memory\"}", NULL, &A, &err) != OBJSTORE_OK) {
        fprintf(stderr, "cannot open a MemoryStore: %s\n", err ? err->message : "?");
        objstore_error_free(err);
        harness_fail(__FILE__, __LINE__, "open store", 0, 0);
        return;
    }
    base = harness_stats();
    RUN(test_thousand_gets_with_poll);
    RUN(test_submit_validates_synchronously);
    RUN(test_every_operation);
    RUN(test_get_many);
    RUN(test_cancel);
    RUN(test_runtime_settings);
    RUN(test_cleanup_uploads_async);
    RUN(test_nothing_leaks);
    EXPECT(objstore_store_free(A), OBJSTORE_OK);
}
