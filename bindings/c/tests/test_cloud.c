/* The same C calls against the network stores, each opened from its JSON
 * config document: S3 (MinIO), GCS (fake-gcs-server) and HTTP (nginx
 * WebDAV). The servers come from buildscripts/with-servers.sh; a missing
 * one is a failure, never a skip. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "tests.h"

/* need returns the variable, or fails the test and returns NULL. */
static const char *need(const char *name) {
    const char *v = getenv(name);
    if (!v || !*v) {
        fprintf(stderr, "    %s is not set: run the C tests via buildscripts/with-servers.sh (make test)\n", name);
        harness_fail(__FILE__, __LINE__, name, 0, 1);
        return NULL;
    }
    return v;
}

/* A prefix no other run uses, so runs never see each other's objects. */
static const char *run_prefix(void) {
    static char prefix[64];
    if (!prefix[0]) snprintf(prefix, sizeof prefix, "c-tests-%ld-%d", (long)time(NULL), (int)getpid());
    return prefix;
}

/* put, get, ranged get, head, list, copy, delete through one store. */
static void exercise(const char *config) {
    objstore_store *s = NULL;
    OK(objstore_store_new(config, "{}", &s, &err));
    if (!s) {
        fprintf(stderr, "    config: %s\n", config);
        return;
    }
    static const char body[] = "hello from C over the network";
    char *etag = NULL;
    OK(objstore_put(s, "dir/a.txt", (const uint8_t *)body, strlen(body), NULL, &etag, NULL, &err));
    objstore_string_free(etag);

    objstore_buffer *buf = NULL;
    const uint8_t *data = NULL;
    size_t len = 0;
    OK(objstore_get_bytes(s, "dir/a.txt", NULL, &buf, &data, &len, NULL, &err));
    if (buf) {
        CHECK_MEM(data, len, body);
        EXPECT(objstore_buffer_free(buf), OBJSTORE_OK);
    }

    objstore_get_options ranged = {.version = OBJSTORE_GET_OPTIONS_VERSION};
    ranged.range.kind = OBJSTORE_RANGE_BOUNDED;
    ranged.range.start = 6;
    ranged.range.end = 10;
    buf = NULL;
    OK(objstore_get_bytes(s, "dir/a.txt", &ranged, &buf, &data, &len, NULL, &err));
    if (buf) {
        CHECK_MEM(data, len, "from");
        EXPECT(objstore_buffer_free(buf), OBJSTORE_OK);
    }

    objstore_meta_list *ml = NULL;
    const objstore_object_meta *meta = NULL;
    OK(objstore_head(s, "dir/a.txt", &ml, &meta, &err));
    if (ml) {
        CHECK(meta->size == strlen(body));
        CHECK(strcmp(meta->location, "dir/a.txt") == 0);
        EXPECT(objstore_meta_list_free(ml), OBJSTORE_OK);
    }

    OK(objstore_copy(s, "dir/a.txt", "dir/b.txt", 0, &err));
    objstore_list *list = NULL;
    OK(objstore_list_new(s, "dir", NULL, &list, &err));
    if (list) {
        objstore_meta_list *page = NULL;
        const objstore_object_meta *items = NULL;
        size_t n = 0;
        OK(objstore_list_next(list, 0, &page, &items, &n, &err));
        CHECK(n == 2);
        if (n == 2) {
            CHECK(strcmp(items[0].location, "dir/a.txt") == 0);
            CHECK(strcmp(items[1].location, "dir/b.txt") == 0);
        }
        if (page) EXPECT(objstore_meta_list_free(page), OBJSTORE_OK);
        EXPECT(objstore_list_free(list), OBJSTORE_OK);
    }

    const char *paths[] = {"dir/a.txt", "dir/b.txt"};
    int codes[2] = {-1, -1};
    OK(objstore_delete_many(s, paths, 2, codes, &err));
    CHECK(codes[0] == OBJSTORE_OK && codes[1] == OBJSTORE_OK);
    FAILS(objstore_head(s, "dir/a.txt", &ml, &meta, &err), OBJSTORE_E_NOT_FOUND);
    EXPECT(objstore_store_free(s), OBJSTORE_OK);
}

/* minio_config writes the document of an S3 store on MinIO under prefix;
 * 0 when the server's variables are missing (the test has failed). */
static int minio_config(char *config, size_t size, const char *prefix) {
    const char *ep = need("OBJSTORE_TEST_MINIO_ENDPOINT"), *bucket = need("OBJSTORE_TEST_MINIO_BUCKET");
    const char *key = need("OBJSTORE_TEST_MINIO_ACCESS_KEY"), *secret = need("OBJSTORE_TEST_MINIO_SECRET_KEY");
    if (!ep || !bucket || !key || !secret) return 0;
    snprintf(config, size,
             "{\"kind\":\"s3\",\"bucket\":\"%s\",\"prefix\":\"%s\",\"config\":{\"endpoint\":\"%s\","
             "\"access_key_id\":\"%s\",\"secret_access_key\":\"%s\",\"region\":\"us-east-1\"},"
             "\"client_options\":{\"allow_http\":true}}",
             bucket, prefix, ep, key, secret);
    return 1;
}

static void test_s3_minio(void) {
    char config[1024];
    if (minio_config(config, sizeof config, run_prefix())) exercise(config);
}

/* On MinIO: an upload left open is found and aborted under the store's
 * prefix. */
/* The Arrow listing tests (test_arrow.c) with S on MinIO, under a prefix
 * of their own (pages read on the fast ListObjectsV2 path). */
static void arrow_on_minio(void) {
    char prefix[128], config[1024];
    snprintf(prefix, sizeof prefix, "%s/arrow", run_prefix());
    if (!minio_config(config, sizeof config, prefix)) return;
    objstore_store *outer = S;
    S = NULL;
    OK(objstore_store_new(config, "{}", &S, &err));
    if (S) {
        run_arrow_tests();
        EXPECT(objstore_store_free(S), OBJSTORE_OK);
    }
    S = outer;
}

static void test_s3_cleanup_uploads(void) {
    char prefix[128], config[1024];
    snprintf(prefix, sizeof prefix, "%s/cleanup", run_prefix());
    if (!minio_config(config, sizeof config, prefix)) return;
    objstore_store *s = NULL;
    OK(objstore_store_new(config, "{}", &s, &err));
    if (!s) return;
    objstore_upload *up = NULL;
    OK(objstore_upload_new(s, "dir/left", NULL, &up, &err));
    OK(objstore_upload_put_part(up, 0, (const uint8_t *)"part", 4, &err));
    objstore_meta_list *ml = NULL;
    const objstore_pending_upload *ups = NULL;
    size_t n = 0;
    OK(objstore_cleanup_uploads(s, "dir", 0, 0, &ml, &ups, &n, &err));
    CHECK(n == 1);
    if (n == 1) {
        CHECK(strcmp(ups[0].location, "dir/left") == 0);
        CHECK(strlen(ups[0].upload_id) > 0);
    }
    if (ml) EXPECT(objstore_meta_list_free(ml), OBJSTORE_OK);
    FAILS(objstore_upload_complete(up, NULL, NULL, &err), OBJSTORE_E_NOT_FOUND);
    EXPECT(objstore_upload_free(up), OBJSTORE_OK);
    EXPECT(objstore_store_free(s), OBJSTORE_OK);
}

static void test_gcs_emulator(void) {
    const char *ep = need("OBJSTORE_TEST_GCS_ENDPOINT"), *bucket = need("OBJSTORE_TEST_GCS_BUCKET");
    if (!ep || !bucket) return;
    char config[1024];
    snprintf(config, sizeof config,
             "{\"kind\":\"gcs\",\"bucket\":\"%s\",\"prefix\":\"%s\",\"config\":{\"base_url\":\"%s\",\"skip_signature\":true},"
             "\"client_options\":{\"allow_http\":true}}",
             bucket, run_prefix(), ep);
    exercise(config);
}

static void test_http_webdav(void) {
    const char *url = need("OBJSTORE_TEST_WEBDAV_URL");
    if (!url) return;
    char config[1024];
    snprintf(config, sizeof config,
             "{\"kind\":\"http\",\"url\":\"%s%s/\",\"client_options\":{\"allow_http\":true}}", url, run_prefix());
    exercise(config);
}

void run_cloud_tests(void) {
    RUN(test_s3_minio);
    RUN(test_s3_cleanup_uploads);
    printf("-- Arrow listings on MinIO\n");
    arrow_on_minio();
    RUN(test_gcs_emulator);
    RUN(test_http_webdav);
}
