#include "harness.h"

int harness_failures;
static int passed, failed;

void harness_fail(const char *file, int line, const char *what, long got, long want) {
    harness_failures++;
    if (got || want)
        fprintf(stderr, "  FAIL %s:%d: %s: got %ld (%s), want %ld (%s)\n", file, line, what,
                got, objstore_code_name((int)got), want, objstore_code_name((int)want));
    else
        fprintf(stderr, "  FAIL %s:%d: %s\n", file, line, what);
}

void harness_run(const char *name, void (*fn)(void)) {
    harness_failures = 0;
    fn();
    if (harness_failures == 0) {
        passed++;
        printf("ok   %s\n", name);
    } else {
        failed++;
        printf("FAIL %s (%d checks)\n", name, harness_failures);
    }
    fflush(stdout);
}

int harness_summary(void) {
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}

objstore_stats harness_stats(void) {
    objstore_stats st;
    memset(&st, 0, sizeof st);
    st.version = OBJSTORE_STATS_VERSION;
    long got = objstore_debug_stats(&st);
    if (got != OBJSTORE_OK) harness_fail(__FILE__, __LINE__, "objstore_debug_stats(&st)", got, OBJSTORE_OK);
    return st;
}
