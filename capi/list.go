package main

/*
#include "capi.h"
*/
import "C"

import (
	"errors"
	"iter"
	"unsafe"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/stores"
)

// defaultPageSize is objstore_list_next's page size when max_items is 0.
const defaultPageSize = 1000

// listing is the value of an objstore_list: a pull iterator over
// Store.List, stopped when the handle is freed.
type listing struct {
	next    func() (core.ObjectMeta, error, bool)
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
			l := &listing{}
			l.next, l.stop = iter.Pull2(h.Store.List(requestContext(), pre, core.ListOptions{Offset: off}))
			*out = newHandle(kindList, l, l.stop)
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
			if l.pending != nil {
				err := l.pending
				l.pending, l.done = nil, true
				return err
			}
			limit := int(min(uint64(maxItems), 1<<20))
			if limit == 0 {
				limit = defaultPageSize
			}
			var metas []core.ObjectMeta
			for !l.done && len(metas) < limit {
				meta, err, ok := l.next()
				if !ok {
					l.done = true
					break
				}
				if err != nil {
					if len(metas) == 0 {
						l.done = true
						return err
					}
					l.pending = err
					break
				}
				metas = append(metas, meta)
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
			common := make([]string, len(res.CommonPrefixes))
			for i, p := range res.CommonPrefixes {
				common[i] = string(p)
			}
			ml := &metaList{}
			*objects = ml.arena.metas(res.Objects)
			*nObjects = C.size_t(len(res.Objects))
			*prefixes = ml.arena.strings(common)
			*nPrefixes = C.size_t(len(common))
			*out = newMetaList(ml)
			return nil
		})
	})
}
