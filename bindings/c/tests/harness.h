/* A tiny test harness: TEST functions run in order; each counts as passed
 * when none of its checks failed. The run ends with "N passed, M failed". */
#ifndef OBJSTORE_TEST_HARNESS_H
#define OBJSTORE_TEST_HARNESS_H

#include <stdio.h>
#include <string.h>

#include "objstore.h"

extern int harness_failures; /* failed checks in the current test */

void harness_fail(const char *file, int line, const char *what, long got, long want);
void harness_run(const char *name, void (*fn)(void));
int harness_summary(void); /* prints the closing line; returns the exit status */
objstore_stats harness_stats(void); /* objstore_debug_stats, checked */

#define RUN(fn) harness_run(#fn, fn)

#define CHECK(cond)                                                      \
    do {                                                                 \
        if (!(cond)) harness_fail(__FILE__, __LINE__, #cond, 0, 0);      \
    } while (0)

/* EXPECT(expr, code): expr returns the status code. */
#define EXPECT(expr, want_code)                                               \
    do {                                                                 \
        long got_ = (long)(expr), want_ = (long)(want_code);                  \
        if (got_ != want_) harness_fail(__FILE__, __LINE__, #expr, got_, want_); \
    } while (0)

/* OK(call using `err`): the call succeeds; on failure its message is shown. */
#define OK(expr)                                                         \
    do {                                                                 \
        objstore_error *err = NULL;                                      \
        int rc_ = (expr);                                                \
        if (rc_ != OBJSTORE_OK) {                                        \
            harness_fail(__FILE__, __LINE__, #expr, rc_, 0);             \
            if (err) fprintf(stderr, "    message: %s\n", err->message); \
        }                                                                \
        if (err) objstore_error_free(err);                               \
    } while (0)

/* FAILS(call using `err`, code): the call fails with code and fills err
 * with that code and a message. */
#define FAILS(expr, want_code)                                                \
    do {                                                                 \
        objstore_error *err = NULL;                                      \
        long rc_ = (long)(expr), want_ = (long)(want_code);                   \
        if (rc_ != want_) {                                              \
            harness_fail(__FILE__, __LINE__, #expr, rc_, want_);         \
            if (err) fprintf(stderr, "    message: %s\n", err->message); \
        } else if (!err || err->code != want_ || !err->message) {        \
            harness_fail(__FILE__, __LINE__, "error details of " #expr, err ? err->code : -1, want_); \
        }                                                                \
        if (err) EXPECT(objstore_error_free(err), OBJSTORE_OK);          \
    } while (0)

#define CHECK_MEM(data, len, str)                                        \
    CHECK((len) == strlen(str) && memcmp((data), (str), (len)) == 0)

#endif
