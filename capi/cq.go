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

// completionQueue is the one queue of finished requests of the process.
// Its fd is readable exactly while the queue holds completions: the
// producer signals it on the empty → non-empty transition and the consumer
// resets it when a poll empties the queue, both under mu, so a completion
// posted while a consumer drains either lands before the reset (and is
// taken by a later poll: the consumer polls until it sees the queue empty
// under the lock) or after it (and signals again). No wakeup is lost and
// none is spurious.
type completionQueue struct {
	mu       sync.Mutex
	items    []C.objstore_completion
	head     int // items[head:] are waiting
	signaled bool

	fdOnce sync.Once
	fd     int
	fdErr  error
}

var cq completionQueue

func (q *completionQueue) openFD() (int, error) {
	q.fdOnce.Do(func() {
		fd := int(C.cqfd_open())
		if fd < 0 {
			q.fdErr = core.Wrap(core.Generic, "", "", syscall.Errno(-fd))
			return
		}
		q.fd = fd
	})
	return q.fd, q.fdErr
}

func (q *completionQueue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items) - q.head
}

// post appends one completion.
func (q *completionQueue) post(c C.objstore_completion) {
	q.mu.Lock()
	if q.head == len(q.items) {
		q.items, q.head = q.items[:0], 0
	} else if q.head > 1024 && q.head > len(q.items)/2 {
		n := copy(q.items, q.items[q.head:])
		q.items, q.head = q.items[:n], 0
	}
	q.items = append(q.items, c)
	if !q.signaled {
		C.cqfd_signal()
		q.signaled = true
	}
	q.mu.Unlock()
}

// poll moves up to len(out) completions into out.
func (q *completionQueue) poll(out []C.objstore_completion) int {
	q.mu.Lock()
	n := copy(out, q.items[q.head:])
	clear(q.items[q.head : q.head+n]) // drop the C pointers the caller now owns
	q.head += n
	if q.head == len(q.items) && q.signaled {
		C.cqfd_reset()
		q.signaled = false
	}
	q.mu.Unlock()
	return n
}

//export objstoreGo_cq_fd
func objstoreGo_cq_fd(fd *C.int, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		if err := needOut("fd", fd == nil); err != nil {
			return err
		}
		f, err := cq.openFD()
		if err != nil {
			return err
		}
		*fd = C.int(f)
		return nil
	})
}

//export objstoreGo_cq_poll
func objstoreGo_cq_poll(out *C.objstore_completion, max C.size_t, n *C.size_t) C.int {
	return callNoErr(func() error {
		if err := needOut("n", n == nil); err != nil {
			return err
		}
		if max > 0 && out == nil {
			return needOut("out", true)
		}
		if _, err := cq.openFD(); err != nil {
			return err
		}
		*n = C.size_t(cq.poll(unsafe.Slice(out, int(max))))
		return nil
	})
}

// postID and pollIDs move bare completions (an id only) through the
// queue, for the queue's own tests.
func (q *completionQueue) postID(id uint64) {
	q.post(C.objstore_completion{request_id: C.uint64_t(id)})
}

func (q *completionQueue) pollIDs(max int) []uint64 {
	out := make([]C.objstore_completion, max)
	n := q.poll(out)
	ids := make([]uint64, n)
	for i := range ids {
		ids[i] = uint64(out[i].request_id)
	}
	return ids
}

// submitBare submits a request with no handle and no result (for tests).
func submitBare(id uint64, run runFunc) error {
	return submit(C.uint64_t(id), 0, func() {}, run)
}
