package main

/*
#include "capi.h"
*/
import "C"

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"sync"
	"unsafe"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/stores"
)

// Asynchronous requests: a submit validates its arguments on the caller's
// thread, then the request waits in the scheduler's queue until one of at
// most `limit` workers runs it, and its one completion is posted to the
// completion queue (cq.go). Nothing here ever calls foreign code.

// defaultAsyncLimit bounds the requests running at once (as many as the
// HTTP client keeps idle connections per host).
const defaultAsyncLimit = 256

type reqState uint8

const (
	reqQueued    reqState = iota // submitted, waiting for a worker
	reqRunning                   // a worker runs it
	reqCancelled                 // objstore_cancel while running: completes CANCELLED
	reqFinishing                 // its completion is being posted; cancel is too late
)

// result is what a request produced: fill hands it to the caller through
// the completion (registering handles, filling caller arrays); discard
// frees it when it must be dropped instead (the request was cancelled).
type result struct {
	fill    func(c *C.objstore_completion)
	discard func()
}

// request is one submitted operation.
type request struct {
	id     uint64
	op     C.int
	ctx    context.Context
	cancel context.CancelFunc
	run    runFunc
	unlock func()   // releases the handles the request holds
	state  reqState // guarded by sched.mu
}

var sched = struct {
	mu      sync.Mutex
	reqs    map[uint64]*request // in flight: queued or running
	queue   []*request
	head    int
	running int
	limit   int
}{reqs: map[uint64]*request{}, limit: defaultAsyncLimit}

// runFunc is a request's work, run with the request's context, which is
// cancelled when it ends (what outlives it, an open body, has a context
// of its own).
type runFunc = func(ctx context.Context) (result, error)

// submit starts a request. On success the request owns unlock (it runs
// once the request has finished); on failure the caller still does.
func submit(id C.uint64_t, op C.int, unlock func(), run runFunc) error {
	if _, err := cq.openFD(); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &request{id: uint64(id), op: op, ctx: ctx, cancel: cancel, run: run, unlock: unlock}
	sched.mu.Lock()
	if _, dup := sched.reqs[r.id]; dup {
		sched.mu.Unlock()
		cancel()
		return core.Errorf(core.InvalidArgument, "request id %d is already in flight", r.id)
	}
	sched.reqs[r.id] = r
	start := sched.running < sched.limit
	if start {
		sched.running++
		r.state = reqRunning
	} else {
		if sched.head > 1024 && sched.head*2 > len(sched.queue) { // drop the taken front
			n := copy(sched.queue, sched.queue[sched.head:])
			clear(sched.queue[n:])
			sched.queue, sched.head = sched.queue[:n], 0
		}
		sched.queue = append(sched.queue, r)
	}
	sched.mu.Unlock()
	if start {
		go worker(r)
	}
	return nil
}

// worker runs r, then queued requests while there are any.
func worker(r *request) {
	for r != nil {
		execute(r)
		r = nextQueued()
	}
}

func nextQueued() *request {
	sched.mu.Lock()
	defer sched.mu.Unlock()
	for sched.running <= sched.limit && sched.head < len(sched.queue) { // a lowered limit retires workers
		r := sched.queue[sched.head]
		sched.queue[sched.head] = nil
		sched.head++
		if r.state == reqQueued { // cancelled ones completed already
			r.state = reqRunning
			return r
		}
	}
	if sched.head == len(sched.queue) {
		sched.queue, sched.head = sched.queue[:0], 0
	}
	sched.running--
	return nil
}

// execute runs one request and posts its completion.
func execute(r *request) {
	res, err := runSafely(r)
	r.cancel()
	r.unlock()
	sched.mu.Lock()
	cancelled := r.state == reqCancelled
	r.state = reqFinishing
	delete(sched.reqs, r.id)
	sched.mu.Unlock()
	if cancelled && err == nil && res.discard != nil {
		res.discard()
	}
	if cancelled {
		err = cancelledError()
	}
	c := C.objstore_completion{request_id: C.uint64_t(r.id), op: r.op}
	if err == nil && res.fill != nil {
		err = fillSafely(res, &c)
	}
	if err != nil {
		c = C.objstore_completion{request_id: C.uint64_t(r.id), op: r.op}
		code := codeOf(err)
		c.code = C.int(code)
		c.error = newCError(code, err.Error())
	}
	cq.post(c)
}

func cancelledError() error { return core.Errorf(core.Cancelled, "request cancelled") }

func runSafely(r *request) (res result, err error) {
	defer func() {
		if p := recover(); p != nil {
			res, err = result{}, internalError(p)
		}
	}()
	return r.run(r.ctx)
}

func fillSafely(res result, c *C.objstore_completion) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = internalError(p)
		}
	}()
	res.fill(c)
	return nil
}

func internalError(p any) error {
	return &abiError{code: codeInternal, msg: fmt.Sprintf("internal error in libobjstore (please report): %v", p)}
}

// cancelRequest implements objstore_cancel.
func cancelRequest(id uint64) error {
	sched.mu.Lock()
	r := sched.reqs[id]
	if r == nil {
		sched.mu.Unlock()
		return core.Errorf(core.NotFound, "no request %d in flight", id)
	}
	switch r.state {
	case reqQueued: // never started: complete it now
		r.state = reqFinishing
		delete(sched.reqs, id)
		sched.mu.Unlock()
		r.cancel()
		r.unlock()
		err := cancelledError()
		cq.post(C.objstore_completion{request_id: C.uint64_t(id), op: r.op, code: C.int(codeOf(err)), error: newCError(codeOf(err), err.Error())})
		return nil
	case reqRunning:
		r.state = reqCancelled
		r.cancel()
	}
	sched.mu.Unlock()
	return nil
}

//export objstoreGo_cancel
func objstoreGo_cancel(id C.uint64_t) C.int {
	return callNoErr(func() error { return cancelRequest(uint64(id)) })
}

//export objstoreGo_set_async_limit
func objstoreGo_set_async_limit(limit C.size_t, previous *C.size_t) C.int {
	return callNoErr(func() error {
		if uint64(limit) > 1<<20 {
			return core.Errorf(core.InvalidArgument, "async limit %d is too large", uint64(limit))
		}
		prev := setLimit(int(limit))
		if previous != nil {
			*previous = C.size_t(prev)
		}
		return nil
	})
}

// setLimit sets how many requests run at once (0 leaves it) and returns
// the previous limit. Queued requests a raised limit admits start now; a
// lowered one takes effect as running requests finish.
func setLimit(limit int) int {
	sched.mu.Lock()
	prev := sched.limit
	if limit > 0 {
		sched.limit = limit
	}
	var start []*request
	for sched.running < sched.limit && sched.head < len(sched.queue) {
		r := sched.queue[sched.head]
		sched.queue[sched.head] = nil
		sched.head++
		if r.state == reqQueued {
			r.state = reqRunning
			sched.running++
			start = append(start, r)
		}
	}
	sched.mu.Unlock()
	for _, r := range start {
		go worker(r)
	}
	return prev
}

// tryLookup is lookup for submits: it never blocks. A cursor handle busy
// with another call is InvalidArgument; a handle being freed is a bad
// handle.
func tryLookup(p unsafe.Pointer, kind handleKind, exclusive bool) (*handle, func(), error) {
	h, _ := lookupEntry(p, kind)
	if h == nil {
		_, err := lookup(p, kind, false) // the precise bad-handle error
		return nil, nil, err
	}
	if exclusive {
		if !h.mu.TryLock() {
			return nil, nil, core.Errorf(core.InvalidArgument, "another call or request is in flight on this %s", kind)
		}
		if h.freed {
			h.mu.Unlock()
			return nil, nil, badHandlef("%s handle was already freed", kind)
		}
		return h, h.mu.Unlock, nil
	}
	if !h.mu.TryRLock() {
		if kind == kindStore {
			return nil, nil, badHandlef("%s handle is being freed", kind)
		}
		return nil, nil, core.Errorf(core.InvalidArgument, "another call or request is in flight on this %s", kind)
	}
	if h.freed {
		h.mu.RUnlock()
		return nil, nil, badHandlef("%s handle was already freed", kind)
	}
	return h, h.mu.RUnlock, nil
}

// submitOn validates a submit on a handle of the given kind: prepare runs
// with the handle locked and returns the request's body; the lock is held
// until the request ends.
func submitOn[T any](p unsafe.Pointer, kind handleKind, exclusive bool, id C.uint64_t, op C.int, prepare func(T) (runFunc, error)) error {
	h, unlock, err := tryLookup(p, kind, exclusive)
	if err != nil {
		return err
	}
	submitted := false
	defer func() {
		if !submitted {
			unlock()
		}
	}()
	v, ok := h.value.(T)
	if !ok {
		panic(fmt.Sprintf("%s handle holds %T", kind, h.value))
	}
	run, err := prepare(v)
	if err != nil {
		return err
	}
	if err := submit(id, op, unlock, run); err != nil {
		return err
	}
	submitted = true
	return nil
}

// ---- runtime settings and diagnostics ----

//export objstoreGo_set_max_procs
func objstoreGo_set_max_procs(n C.int, previous *C.int) C.int {
	return callNoErr(func() error {
		arg := int(n)
		if arg < 0 {
			arg = 0
		}
		prev := runtime.GOMAXPROCS(arg)
		if previous != nil {
			*previous = C.int(prev)
		}
		return nil
	})
}

//export objstoreGo_set_memory_limit
func objstoreGo_set_memory_limit(limit C.int64_t, previous *C.int64_t) C.int {
	return callNoErr(func() error {
		prev := debug.SetMemoryLimit(int64(limit))
		if previous != nil {
			*previous = C.int64_t(prev)
		}
		return nil
	})
}

//export objstoreGo_debug_stats
func objstoreGo_debug_stats(out *C.objstore_stats) C.int {
	return callNoErr(func() error {
		if err := needOut("out", out == nil); err != nil {
			return err
		}
		version := out.version
		if err := checkStructVersion("objstore_stats", uint(version), C.OBJSTORE_STATS_VERSION); err != nil {
			return err
		}
		live := func(k handleKind) C.uint64_t { return C.uint64_t(liveHandles[k].Load()) }
		out.goroutines = C.uint64_t(runtime.NumGoroutine())
		out.stores, out.readers, out.buffers = live(kindStore), live(kindReader), live(kindBuffer)
		out.meta_lists, out.lists, out.uploads, out.writers = live(kindMetaList), live(kindList), live(kindUpload), live(kindWriter)
		liveErrors.Lock()
		out.errors = C.uint64_t(len(liveErrors.m))
		liveErrors.Unlock()
		out.buffer_bytes = C.uint64_t(liveBufferBytes.Load())
		sched.mu.Lock()
		out.requests_in_flight = C.uint64_t(len(sched.reqs))
		out.requests_running = C.uint64_t(sched.running)
		sched.mu.Unlock()
		out.completions_queued = C.uint64_t(cq.len())
		if version >= 2 { // a version 1 struct ends before this field
			out.shared_stores = C.uint64_t(stores.SharedCount())
		}
		if version >= 3 {
			arrays, bytes := arrowLive()
			out.arrow_arrays, out.arrow_bytes = C.uint64_t(arrays), C.uint64_t(bytes)
		}
		return nil
	})
}

// lookupEntry finds a live handle's entry of the given kind without
// locking it (nil otherwise).
func lookupEntry(p unsafe.Pointer, kind handleKind) (*handle, error) {
	if p == nil {
		return nil, nil
	}
	h := restore(p)
	if h == nil || h.kind != kind {
		return nil, nil
	}
	return h, nil
}
