package main

/*
#include "capi.h"
#include "cq_fd.h"
*/
import "C"

import (
	"sync"
	"syscall"
	"unsafe"

	"github.com/libobjstore/objstore/core"
)

// readyQueue is a queue whose fd is readable exactly while it holds items:
// the producer signals it on the empty → non-empty transition and the
// consumer resets it when a poll empties the queue, both under mu, so an
// item posted while a consumer drains either lands before the reset (and
// is taken by a later poll: the consumer polls until it sees the queue
// empty under the lock) or after it (and signals again). No wakeup is lost
// and none is spurious. The completion queue (cq.go) and the ask queue
// (asks.go) are two.
type readyQueue[T any] struct {
	mu       sync.Mutex
	items    []T
	head     int // items[head:] are waiting
	signaled bool

	fdOnce sync.Once
	fd     *C.readyfd // C memory: the fd functions keep no Go pointer
	fdErr  error
}

func (q *readyQueue[T]) openFD() (int, error) {
	q.fdOnce.Do(func() {
		f := (*C.readyfd)(C.calloc(1, C.size_t(unsafe.Sizeof(C.readyfd{}))))
		fd := int(C.readyfd_open(f))
		if fd < 0 {
			C.free(unsafe.Pointer(f))
			q.fdErr = core.Wrap(core.Generic, "", "", syscall.Errno(-fd))
			return
		}
		q.fd = f
	})
	if q.fdErr != nil {
		return 0, q.fdErr
	}
	return int(q.fd.read_fd), nil
}

func (q *readyQueue[T]) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items) - q.head
}

// post appends one item (the fd must be open).
func (q *readyQueue[T]) post(item T) {
	q.mu.Lock()
	if q.head == len(q.items) {
		q.items, q.head = q.items[:0], 0
	} else if q.head > 1024 && q.head > len(q.items)/2 {
		n := copy(q.items, q.items[q.head:])
		q.items, q.head = q.items[:n], 0
	}
	q.items = append(q.items, item)
	if !q.signaled {
		C.readyfd_signal(q.fd)
		q.signaled = true
	}
	q.mu.Unlock()
}

// poll moves up to len(out) items into out.
func (q *readyQueue[T]) poll(out []T) int {
	q.mu.Lock()
	n := copy(out, q.items[q.head:])
	clear(q.items[q.head : q.head+n]) // drop the C pointers the caller now owns
	q.head += n
	if q.head == len(q.items) && q.signaled {
		C.readyfd_reset(q.fd)
		q.signaled = false
	}
	q.mu.Unlock()
	return n
}
