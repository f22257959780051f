/* Readiness fds of the library's queues (cq_fd.c); used by readyq.go. */
#ifndef OBJSTORE_CQ_FD_H
#define OBJSTORE_CQ_FD_H
#include <stdint.h>
/* One readiness fd: an eventfd (read_fd == write_fd) or a pipe. Zero it,
 * then readyfd_open (which opens it once). */
typedef struct readyfd {
    int read_fd, write_fd;
    int opened;
} readyfd;
int readyfd_open(readyfd *f); /* the fd to watch, or -errno */
void readyfd_signal(readyfd *f);
void readyfd_reset(readyfd *f);
#endif
