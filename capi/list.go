package main

/*
#include "capi.h"
*/
import "C"

import (
	"context"
	"errors"
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

// listNextOp pulls up to maxItems (0: the default) more entries; none at
// the end.
func listNextOp(maxItems C.size_t) preparer[*listing, []core.ObjectMeta] {
	return func(l *listing) (op[[]core.ObjectMeta], error) {
		return func(context.Context) ([]core.ObjectMeta, error) {
			return l.pages.Next(int(min(uint64(maxItems), 1<<30)))
		}, nil
	}
}

//export objstoreGo_list_next
func objstoreGo_list_next(lh unsafe.Pointer, maxItems C.size_t, page *unsafe.Pointer, items **C.objstore_object_meta, n *C.size_t, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		if err := errors.Join(needOut("page", page == nil), needOut("items", items == nil), needOut("n", n == nil)); err != nil {
			return err
		}
		return runNow(lh, kindList, true, listNextOp(maxItems), func(metas []core.ObjectMeta) error {
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

//export objstoreGo_submit_list_next
func objstoreGo_submit_list_next(lh unsafe.Pointer, maxItems C.size_t, id C.uint64_t, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		return submitOp(lh, kindList, true, id, C.OBJSTORE_OP_LIST_NEXT, listNextOp(maxItems), output[[]core.ObjectMeta]{
			fill: func(c *C.objstore_completion, metas []core.ObjectMeta) {
				if len(metas) > 0 {
					handMetas(c, metas)
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
