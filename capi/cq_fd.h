/* The completion queue's readiness fd (cq_fd.c); used by cq.go. */
#ifndef OBJSTORE_CQ_FD_H
#define OBJSTORE_CQ_FD_H
#include <stdint.h>
int cqfd_open(void); /* the fd to watch, or -errno */
void cqfd_signal(void);
void cqfd_reset(void);
#endif
