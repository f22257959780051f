package main

/*
#include "capi.h"
*/
import "C"

import (
	"context"
	"unsafe"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/stores"
)

// Every operation is written once, as a prepare function that parses and
// checks its C arguments and returns the op that does the work. The
// blocking export runs the op inline (runNow); its objstore_submit_* twin
// queues it as a request (submitOp). Both then hand the op's result to the
// caller: the blocking one through its out-parameters, the submit through
// the completion.

// op is one operation with its arguments parsed: it runs with the context
// of the blocking call or of the request.
type op[T any] func(ctx context.Context) (T, error)

// preparer builds the op from the value of the handle it runs on.
type preparer[V, T any] func(v V) (op[T], error)

// output hands the result of a request to its completion. discard frees a
// result that is dropped instead (the request was cancelled meanwhile);
// nil when there is nothing to free.
type output[T any] struct {
	fill    func(c *C.objstore_completion, v T)
	discard func(v T)
}

// runNow looks up the handle at p, prepares the op on its value and runs
// it inline, with the handle locked (exclusively for a handle with a
// cursor), then hands the result to the out-parameters (hand may be nil).
func runNow[V, T any](p unsafe.Pointer, kind handleKind, exclusive bool, prepare preparer[V, T], hand func(T) error) error {
	return withHandle(p, kind, exclusive, func(v V) error {
		run, err := prepare(v)
		if err != nil {
			return err
		}
		res, err := run(requestContext())
		if err != nil || hand == nil {
			return err
		}
		return hand(res)
	})
}

// submitOp is runNow's non-blocking twin: the handle is looked up and the
// op prepared now, on the caller's thread (a failure is the submit's
// result and nothing is queued); the op runs later as request id, and its
// result reaches the caller through the completion.
func submitOp[V, T any](p unsafe.Pointer, kind handleKind, exclusive bool, id C.uint64_t, code C.int, prepare preparer[V, T], out output[T]) error {
	return submitOn(p, kind, exclusive, id, code, func(v V) (runFunc, error) {
		run, err := prepare(v)
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context) (result, error) {
			res, err := run(ctx)
			if err != nil {
				return result{}, err
			}
			r := result{}
			if out.fill != nil {
				r.fill = func(c *C.objstore_completion) { out.fill(c, res) }
			}
			if out.discard != nil {
				r.discard = func() { out.discard(res) }
			}
			return r, nil
		}, nil
	})
}

// Most operations run on a store, which calls share.

func storeNow[T any](store unsafe.Pointer, prepare preparer[*stores.Handle, T], hand func(T) error) error {
	return runNow(store, kindStore, false, prepare, hand)
}

func storeSubmit[T any](store unsafe.Pointer, id C.uint64_t, code C.int, prepare preparer[*stores.Handle, T], out output[T]) error {
	return submitOp(store, kindStore, false, id, code, prepare, out)
}

// none is the result of an operation that returns nothing.
type none struct{}

// onPath prepares an op on one path of a store.
func onPath[T any](path *C.char, do func(ctx context.Context, s core.Store, p core.Path) (T, error)) preparer[*stores.Handle, T] {
	return func(h *stores.Handle) (op[T], error) {
		p, err := parsePath(path)
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context) (T, error) { return do(ctx, h.Store, p) }, nil
	}
}

// done adapts an operation that returns only an error.
func done(err error) (none, error) { return none{}, err }
