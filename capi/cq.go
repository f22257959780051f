package main

/*
#include "capi.h"
*/
import "C"

import (
	"unsafe"
)

// completionQueue is the one queue of finished requests of the process;
// its fd is readable exactly while completions wait (readyQueue).
type completionQueue struct {
	readyQueue[C.objstore_completion]
}

var cq completionQueue

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
