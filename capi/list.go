package main

/*
#include "capi.h"
*/
import "C"

import (
	"context"
	"errors"
	"math"
	"slices"
	"unsafe"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/stores"
)

// listing is the value of an objstore_list: a listing paged by core's
// Pager, stopped when the handle is freed, with a share of its store.
type listing struct {
	pages  *core.Pager
	cancel context.CancelFunc
	store  *stores.Handle
	// held are entries taken from the pager but not handed out yet (an
	// Arrow batch that reached its size bound), served first.
	held []core.ObjectMeta
	// pending is an error met after some entries of a call, returned by
	// the next call.
	pending error
}

// take returns up to maxItems entries (0: core.DefaultPageSize), fewer
// only at the end of the listing. The entries are valid until the next
// call (the pager reuses its pages).
func (l *listing) take(maxItems C.size_t) ([]core.ObjectMeta, error) {
	if err := l.pending; err != nil {
		l.pending = nil
		return nil, err
	}
	want := int(min(uint64(maxItems), math.MaxInt))
	if want == 0 {
		want = core.DefaultPageSize
	}
	var out []core.ObjectMeta
	if len(l.held) > 0 {
		n := min(want, len(l.held))
		out, l.held = l.held[:n:n], l.held[n:]
	}
	for len(out) < want {
		page, err := l.pages.Next(want - len(out))
		if err != nil {
			if len(out) > 0 {
				l.pending = err
				break
			}
			return nil, err
		}
		if len(page) == 0 {
			break
		}
		if out == nil && (len(page) == want || len(page) < min(want, core.MaxPageSize)) {
			// One page, the whole answer (a page shorter than asked is the
			// last, or an error follows it): no copy.
			return page, nil
		}
		out = append(out, page...)
	}
	return out, nil
}

// fill adds up to maxItems entries (0: core.DefaultPageSize; all that
// remain for SIZE_MAX) to an Arrow batch, taking them a page at a time.
// An error after some entries is held for the next call; entries the
// batch has no room for are held back too.
func (l *listing) fill(b *batchBuilder, maxItems C.size_t) error {
	want := int(min(uint64(maxItems), math.MaxInt))
	if want == 0 {
		want = core.DefaultPageSize
	}
	for b.rows < want {
		ask := min(want-b.rows, pageRows)
		metas, err := l.take(C.size_t(ask))
		if err != nil {
			if b.rows > 0 {
				l.pending = err
				return nil
			}
			return err
		}
		n, err := b.add(metas)
		if err != nil {
			return err
		}
		if n < len(metas) { // the batch is full
			l.giveBack(metas[n:])
			return nil
		}
		if len(metas) < ask { // the end of the listing (or an error is next)
			return nil
		}
	}
	return nil
}

// giveBack holds entries taken but not handed out for the next call.
func (l *listing) giveBack(rest []core.ObjectMeta) {
	if len(rest) > 0 {
		l.held = append(slices.Clone(rest), l.held...)
	}
}

func (l *listing) release() {
	l.pages.Close()
	l.cancel()
	l.store.Close()
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
			l := &listing{pages: core.NewPager(h.Store.List(ctx, pre, core.ListOptions{Offset: off})), cancel: cancel, store: h.Share()}
			*out = newHandle(kindList, l, l.release)
			return nil
		})
	})
}

// metaPage is a listing page copied into C memory. The copy is made in
// the op, while the list is locked: the pager reuses its pages.
type metaPage struct {
	ml    *metaList // nil at the end of the listing
	items *C.objstore_object_meta
	n     int
}

// listNextOp pulls up to maxItems (0: the default) more entries; none at
// the end.
func listNextOp(maxItems C.size_t) preparer[*listing, metaPage] {
	return func(l *listing) (op[metaPage], error) {
		return func(context.Context) (metaPage, error) {
			metas, err := l.take(maxItems)
			if err != nil || len(metas) == 0 {
				return metaPage{}, err
			}
			ml := &metaList{}
			return metaPage{ml, ml.arena.metas(metas), len(metas)}, nil
		}, nil
	}
}

//export objstoreGo_list_next
func objstoreGo_list_next(lh unsafe.Pointer, maxItems C.size_t, page *unsafe.Pointer, items **C.objstore_object_meta, n *C.size_t, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		if err := errors.Join(needOut("page", page == nil), needOut("items", items == nil), needOut("n", n == nil)); err != nil {
			return err
		}
		return runNow(lh, kindList, true, listNextOp(maxItems), func(p metaPage) error {
			*page, *items, *n = nil, nil, 0
			if p.ml != nil {
				*page, *items, *n = newMetaList(p.ml), p.items, C.size_t(p.n)
			}
			return nil
		})
	})
}

//export objstoreGo_submit_list_next
func objstoreGo_submit_list_next(lh unsafe.Pointer, maxItems C.size_t, id C.uint64_t, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		return submitOp(lh, kindList, true, id, C.OBJSTORE_OP_LIST_NEXT, listNextOp(maxItems), output[metaPage]{
			fill: func(c *C.objstore_completion, p metaPage) {
				if p.ml != nil {
					c.items, c.n_items = p.items, C.size_t(p.n)
					c.meta_list = (*C.objstore_meta_list)(newMetaList(p.ml))
				}
			},
			discard: func(p metaPage) {
				if p.ml != nil {
					p.ml.arena.free()
				}
			},
		})
	})
}

//export objstoreGo_list_free
func objstoreGo_list_free(lh unsafe.Pointer) C.int {
	return freeExport(lh, kindList)
}

// ---- objstore_list_with_delimiter / its submit ----

func listWithDelimiterOp(prefix *C.char) preparer[*stores.Handle, core.ListResult] {
	return func(h *stores.Handle) (op[core.ListResult], error) {
		pre, err := parseOptionalPath(prefix)
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context) (core.ListResult, error) { return h.Store.ListWithDelimiter(ctx, pre) }, nil
	}
}

//export objstoreGo_list_with_delimiter
func objstoreGo_list_with_delimiter(store unsafe.Pointer, prefix *C.char, out *unsafe.Pointer, objects **C.objstore_object_meta, nObjects *C.size_t, prefixes ***C.char, nPrefixes *C.size_t, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		if err := errors.Join(needOut("out", out == nil), needOut("objects", objects == nil), needOut("n_objects", nObjects == nil),
			needOut("common_prefixes", prefixes == nil), needOut("n_prefixes", nPrefixes == nil)); err != nil {
			return err
		}
		return storeNow(store, listWithDelimiterOp(prefix), func(res core.ListResult) error {
			ml := &metaList{}
			*objects, *nObjects, *prefixes, *nPrefixes = ml.fillListResult(res)
			*out = newMetaList(ml)
			return nil
		})
	})
}

//export objstoreGo_submit_list_with_delimiter
func objstoreGo_submit_list_with_delimiter(store unsafe.Pointer, prefix *C.char, id C.uint64_t, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		return storeSubmit(store, id, C.OBJSTORE_OP_LIST_WITH_DELIMITER, listWithDelimiterOp(prefix), output[core.ListResult]{
			fill: func(c *C.objstore_completion, res core.ListResult) {
				ml := &metaList{}
				var prefixes **C.char
				c.items, c.n_items, prefixes, c.n_prefixes = ml.fillListResult(res)
				c.common_prefixes = prefixes
				c.meta_list = (*C.objstore_meta_list)(newMetaList(ml))
			},
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
