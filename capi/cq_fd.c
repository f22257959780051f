/*
 * The completion queue's readiness file descriptor: an eventfd on Linux, a
 * non-blocking pipe elsewhere (or where eventfd fails). The Go side
 * (cq.go) signals it when the queue goes from empty to non-empty and resets
 * it when a poll empties the queue, both under the queue's lock.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/eventfd.h>
#endif

#include "cq_fd.h"

static int read_fd = -1, write_fd = -1;

int cqfd_open(void) {
    if (read_fd >= 0) return read_fd;
#ifdef __linux__
    int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (efd >= 0) {
        read_fd = write_fd = efd;
        return read_fd;
    }
#endif
    int p[2];
    if (pipe(p) != 0) return -errno;
    for (int i = 0; i < 2; i++) {
        fcntl(p[i], F_SETFL, fcntl(p[i], F_GETFL) | O_NONBLOCK);
        fcntl(p[i], F_SETFD, FD_CLOEXEC);
    }
    read_fd = p[0];
    write_fd = p[1];
    return read_fd;
}

void cqfd_signal(void) {
    if (read_fd == write_fd) {
        uint64_t one = 1;
        while (write(write_fd, &one, sizeof one) < 0 && errno == EINTR) {}
    } else {
        char b = 1;
        while (write(write_fd, &b, 1) < 0 && errno == EINTR) {}
    }
}

void cqfd_reset(void) {
    if (read_fd == write_fd) {
        uint64_t v;
        while (read(read_fd, &v, sizeof v) < 0 && errno == EINTR) {}
    } else {
        char b[64];
        for (;;) {
            ssize_t r = read(read_fd, b, sizeof b);
            if (r > 0) continue;
            if (r < 0 && errno == EINTR) continue;
            break;
        }
    }
}
