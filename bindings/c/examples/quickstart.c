/*
 * libobjstore quickstart: put, get, a range read and a listing on a
 * LocalStore in a temporary directory.
 *
 *   cc quickstart.c $(pkg-config --cflags --libs objstore) -o quickstart
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <objstore.h>

/* Prints the error of a failed call and exits. */
static void check(int rc, objstore_error *err, const char *what) {
    if (rc == OBJSTORE_OK) return;
    fprintf(stderr, "%s failed: %s: %s\n", what, objstore_code_name(rc), err ? err->message : "");
    objstore_error_free(err);
    exit(1);
}

int main(void) {
    if (objstore_abi_version() != OBJSTORE_ABI_VERSION) {
        fprintf(stderr, "libobjstore ABI %d, this program wants %d\n", objstore_abi_version(), OBJSTORE_ABI_VERSION);
        return 1;
    }
    char dir[] = "/tmp/objstore-quickstart-XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }

    /* A store is described by one JSON document. */
    char config[256];
    snprintf(config, sizeof config, "{\"kind\":\"local\",\"prefix\":\"%s\"}", dir);
    objstore_store *store = NULL;
    objstore_error *err = NULL;
    check(objstore_store_new(config, NULL, &store, &err), err, "objstore_store_new");
    printf("libobjstore %s, LocalStore in %s\n", objstore_version(), dir);

    /* put: the bytes are read in place during the call */
    const char *text = "Hello, object store!";
    char *etag = NULL;
    check(objstore_put(store, "greetings/hello.txt", (const uint8_t *)text, strlen(text), NULL, &etag, NULL, &err),
          err, "objstore_put");
    printf("put greetings/hello.txt (etag %s)\n", etag ? etag : "none");
    objstore_string_free(etag);
    check(objstore_put(store, "greetings/bye.txt", (const uint8_t *)"Goodbye!", 8, NULL, NULL, NULL, &err),
          err, "objstore_put");

    /* get: the body lands in a buffer owned by the library until freed */
    objstore_buffer *buf = NULL;
    const uint8_t *data;
    size_t len;
    const objstore_get_info *info = NULL;
    check(objstore_get_bytes(store, "greetings/hello.txt", NULL, &buf, &data, &len, &info, &err),
          err, "objstore_get_bytes");
    printf("get  %s: %zu bytes: %.*s\n", info->meta.location, len, (int)len, (const char *)data);
    objstore_buffer_free(buf);

    /* a range: bytes [7, 12) */
    objstore_get_options opts = {0};
    opts.version = OBJSTORE_GET_OPTIONS_VERSION;
    opts.range.kind = OBJSTORE_RANGE_BOUNDED;
    opts.range.start = 7;
    opts.range.end = 12;
    check(objstore_get_bytes(store, "greetings/hello.txt", &opts, &buf, &data, &len, NULL, &err),
          err, "objstore_get_bytes (range)");
    printf("range [7, 12): %.*s\n", (int)len, (const char *)data);
    objstore_buffer_free(buf);

    /* list everything under greetings/, a page at a time */
    objstore_list *list = NULL;
    check(objstore_list_new(store, "greetings", NULL, &list, &err), err, "objstore_list_new");
    for (;;) {
        objstore_meta_list *page;
        const objstore_object_meta *items;
        size_t n;
        check(objstore_list_next(list, 100, &page, &items, &n, &err), err, "objstore_list_next");
        if (n == 0) break;
        for (size_t i = 0; i < n; i++) printf("list %s (%llu bytes)\n", items[i].location, (unsigned long long)items[i].size);
        objstore_meta_list_free(page);
    }
    objstore_list_free(list);

    /* clean up */
    const char *paths[] = {"greetings/hello.txt", "greetings/bye.txt"};
    check(objstore_delete_many(store, paths, 2, NULL, &err), err, "objstore_delete_many");
    objstore_store_free(store);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : 1;
}
