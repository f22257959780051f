/* The C test runner: configuration, every operation on a MemoryStore, on a
 * cache over a limit over one, and on a LocalStore in a temporary
 * directory, then the misuse matrix. Ends with
 * "N passed, M failed"; exits non-zero on any failure. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "tests.h"

static int open_store(const char *config) {
    objstore_error *err = NULL;
    S = NULL;
    if (objstore_store_new(config, NULL, &S, &err) != OBJSTORE_OK) {
        fprintf(stderr, "cannot open %s: %s\n", config, err ? err->message : "?");
        objstore_error_free(err);
        return 0;
    }
    return 1;
}

int main(void) {
    run_config_tests();

    printf("-- MemoryStore\n");
    if (open_store("{\"kind\":\"memory\"}")) {
        store_is_local = 0;
        run_store_tests();
        run_arrow_tests();
        EXPECT(objstore_store_free(S), OBJSTORE_OK);
    } else {
        return 1;
    }

    printf("-- a cache over a limit over a MemoryStore\n");
    S = open_wrapped_memory();
    if (!S) return 1;
    store_is_local = 0;
    run_store_tests();
    EXPECT(objstore_store_free(S), OBJSTORE_OK);

    char dir[] = "/tmp/objstore-c-test-XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    char config[512];
    snprintf(config, sizeof config, "{\"kind\":\"local\",\"prefix\":\"%s\"}", dir);
    printf("-- LocalStore in %s\n", dir);
    if (open_store(config)) {
        store_is_local = 1;
        run_store_tests();
        run_arrow_tests();
        EXPECT(objstore_store_free(S), OBJSTORE_OK);
    } else {
        return 1;
    }
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);

    printf("-- misuse\n");
    run_misuse_tests();

    printf("-- store lifecycle\n");
    run_lifecycle_tests();

    printf("-- wrapping stores\n");
    run_compose_tests();

    printf("-- async\n");
    run_async_tests();

    printf("-- network stores from their config documents\n");
    run_cloud_tests();

    printf("-- credential providers\n");
    run_credentials_tests();
    return harness_summary();
}
