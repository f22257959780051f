package main

/*
#include "capi.h"
*/
import "C"

import (
	"context"
	"errors"
	"iter"
	"sync"
	"unsafe"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/stores"
)

// defaultPageSize is objstore_list_next's page size when max_items is 0.
const defaultPageSize = 1000

// listing is the value of an objstore_list: a pull iterator over
// Store.List, stopped when the handle is freed.
type listing struct {
	next    func(limit int) ([]pulled, bool)
	stop    func()
	pending error // an error met after a page's first entries, reported next call
	done    bool
}

//export objstoreGo_list_new
func objstoreGo_list_new(store unsafe.Pointer, prefix, offset *C.char, out *unsafe.Pointer, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		if err := needOut("out", out == nil); err != nil {
			return err
		}
		return withStore(store, func(h *stores.Handle) error {
			pre, err := parseOptionalPath(prefix)
			if err != nil {
				return err
			}
			off, err := parseOptionalPath(offset)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithCancel(requestContext())
			l := &listing{}
			l.next, l.stop = pull(h.Store.List(ctx, pre, core.ListOptions{Offset: off}))
			*out = newHandle(kindList, l, func() { l.stop(); cancel() })
			return nil
		})
	})
}

//export objstoreGo_list_next
func objstoreGo_list_next(lh unsafe.Pointer, maxItems C.size_t, page *unsafe.Pointer, items **C.objstore_object_meta, n *C.size_t, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		if err := errors.Join(needOut("page", page == nil), needOut("items", items == nil), needOut("n", n == nil)); err != nil {
			return err
		}
		return withHandle(lh, kindList, true, func(l *listing) error {
			metas, err := l.nextPage(uint64(maxItems))
			if err != nil {
				return err
			}
			if len(metas) == 0 {
				*page, *items, *n = nil, nil, 0
				return nil
			}
			ml := &metaList{}
			*items = ml.arena.metas(metas)
			*n = C.size_t(len(metas))
			*page = newMetaList(ml)
			return nil
		})
	})
}

// nextPage pulls up to maxItems (0: the default) more entries; none at the
// end. An error after some entries is reported by the next call.
func (l *listing) nextPage(maxItems uint64) ([]core.ObjectMeta, error) {
	if l.pending != nil {
		err := l.pending
		l.pending, l.done = nil, true
		return nil, err
	}
	limit := int(min(maxItems, 1<<20))
	if limit == 0 {
		limit = defaultPageSize
	}
	if l.done {
		return nil, nil
	}
	batch, ok := l.next(limit)
	if !ok {
		l.done = true
		return nil, nil
	}
	metas := make([]core.ObjectMeta, 0, len(batch))
	for _, e := range batch {
		if e.err != nil {
			if len(metas) == 0 {
				l.done = true
				return nil, e.err
			}
			l.pending = e.err
			break
		}
		metas = append(metas, e.meta)
	}
	return metas, nil
}

//export objstoreGo_list_free
func objstoreGo_list_free(lh unsafe.Pointer) C.int {
	return callNoErr(func() error { return freeHandle(lh, kindList) })
}

//export objstoreGo_list_with_delimiter
func objstoreGo_list_with_delimiter(store unsafe.Pointer, prefix *C.char, out *unsafe.Pointer, objects **C.objstore_object_meta, nObjects *C.size_t, prefixes ***C.char, nPrefixes *C.size_t, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		if err := errors.Join(needOut("out", out == nil), needOut("objects", objects == nil), needOut("n_objects", nObjects == nil),
			needOut("common_prefixes", prefixes == nil), needOut("n_prefixes", nPrefixes == nil)); err != nil {
			return err
		}
		return withStore(store, func(h *stores.Handle) error {
			pre, err := parseOptionalPath(prefix)
			if err != nil {
				return err
			}
			res, err := h.Store.ListWithDelimiter(requestContext(), pre)
			if err != nil {
				return err
			}
			ml := &metaList{}
			*objects, *nObjects, *prefixes, *nPrefixes = ml.fillListResult(res)
			*out = newMetaList(ml)
			return nil
		})
	})
}

// fillListResult copies a one-level listing into the list's arena.
func (ml *metaList) fillListResult(res core.ListResult) (*C.objstore_object_meta, C.size_t, **C.char, C.size_t) {
	common := make([]string, len(res.CommonPrefixes))
	for i, p := range res.CommonPrefixes {
		common[i] = string(p)
	}
	return ml.arena.metas(res.Objects), C.size_t(len(res.Objects)), ml.arena.strings(common), C.size_t(len(common))
}

// pulled is one entry of a listing, or the error that ended it.
type pulled struct {
	meta core.ObjectMeta
	err  error
}

// pull turns a listing into a next/stop pair, like iter.Pull2 but on a
// plain goroutine: iter.Pull2's coroutines must be resumed from goroutines
// with the same OS-thread locking as their creator, and cgo calls (one
// locked goroutine per calling C thread) and async requests (unlocked
// workers) resume them from anywhere. next(limit) returns the next limit
// entries (fewer only at the end, or when an error ends the batch), false
// once the listing is over. Entries are handed over a page at a time: one
// channel handoff per entry cost a thread wakeup each, more than the entry.
// Nothing is fetched before the first next, nor beyond the page asked for.
func pull(seq iter.Seq2[core.ObjectMeta, error]) (next func(limit int) ([]pulled, bool), stop func()) {
	want := make(chan int)
	batches := make(chan []pulled)
	done := make(chan struct{})   // closed by stop
	exited := make(chan struct{}) // closed when the goroutine ends
	wait := func() (int, bool) {
		select {
		case n := <-want:
			return max(n, 1), true
		case <-done:
			return 0, false
		}
	}
	go func() {
		defer close(exited)
		defer close(batches)
		limit, ok := wait()
		if !ok {
			return
		}
		var batch []pulled
		for meta, err := range seq {
			batch = append(batch, pulled{meta, err})
			if len(batch) < limit && err == nil {
				continue
			}
			select {
			case batches <- batch:
			case <-done:
				return
			}
			batch = nil
			if limit, ok = wait(); !ok {
				return
			}
		}
		if len(batch) > 0 {
			select {
			case batches <- batch:
			case <-done:
			}
		}
	}()
	next = func(limit int) ([]pulled, bool) {
		select {
		case want <- limit:
		case <-exited:
			return nil, false
		}
		b, ok := <-batches
		return b, ok
	}
	var once sync.Once
	stop = func() { once.Do(func() { close(done) }) }
	return next, stop
}
