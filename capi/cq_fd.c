/*
 * The readiness file descriptor of a queue (the completion queue, the ask
 * queue): an eventfd on Linux, a non-blocking pipe elsewhere (or where
 * eventfd fails). The Go side (readyq.go) signals it when the queue goes
 * from empty to non-empty and resets it when a poll empties the queue, both
 * under the queue's lock.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/eventfd.h>
#endif

#include "cq_fd.h"

int readyfd_open(readyfd *f) {
    if (f->opened) return f->read_fd;
#ifdef __linux__
    int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (efd >= 0) {
        f->read_fd = f->write_fd = efd;
        f->opened = 1;
        return f->read_fd;
    }
#endif
    int p[2];
    if (pipe(p) != 0) return -errno;
    for (int i = 0; i < 2; i++) {
        fcntl(p[i], F_SETFL, fcntl(p[i], F_GETFL) | O_NONBLOCK);
        fcntl(p[i], F_SETFD, FD_CLOEXEC);
    }
    f->read_fd = p[0];
    f->write_fd = p[1];
    f->opened = 1;
    return f->read_fd;
}

void readyfd_signal(readyfd *f) {
    int read_fd = f->read_fd, write_fd = f->write_fd;
    if (read_fd == write_fd) {
        uint64_t one = 1;
        while (write(write_fd, &one, sizeof one) < 0 && errno == EINTR) {}
    } else {
        char b = 1;
        while (write(write_fd, &b, 1) < 0 && errno == EINTR) {}
    }
}

void readyfd_reset(readyfd *f) {
    int read_fd = f->read_fd;
    if (read_fd == f->write_fd) {
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
