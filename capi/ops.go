package main

/*
#include "capi.h"
*/
import "C"

import (
	"context"
	"math"
	"time"
	"unsafe"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/stores"
)

//export objstoreGo_delete
func objstoreGo_delete(store unsafe.Pointer, path *C.char, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		return withStore(store, func(h *stores.Handle) error {
			p, err := parsePath(path)
			if err != nil {
				return err
			}
			return h.Store.Delete(requestContext(), p)
		})
	})
}

// objstoreGo_delete_many deletes the valid paths in one batch; an invalid
// path gets OBJSTORE_E_INVALID_PATH and is not sent. The first failure in
// path order is the result.
//
//export objstoreGo_delete_many
func objstoreGo_delete_many(store unsafe.Pointer, paths **C.char, count C.size_t, codes *C.int, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		if count > 0 && paths == nil {
			return core.Errorf(core.InvalidArgument, "paths is NULL with %d paths", uint64(count))
		}
		return withStore(store, func(h *stores.Handle) error {
			batch := parseDeleteBatch(paths, count)
			batch.run(requestContext(), h.Store)
			return batch.report(codes)
		})
	})
}

// deleteBatch is a delete_many: its paths parsed (invalid ones already
// failed) and, after run, one error per path.
type deleteBatch struct {
	errs    []error
	valid   []core.Path
	validAt []int
}

func parseDeleteBatch(paths **C.char, count C.size_t) *deleteBatch {
	n := int(count)
	d := &deleteBatch{errs: make([]error, n)}
	for i, s := range unsafe.Slice(paths, n) {
		p, err := parsePath(s)
		if err != nil {
			d.errs[i] = err
			continue
		}
		d.valid = append(d.valid, p)
		d.validAt = append(d.validAt, i)
	}
	return d
}

func (d *deleteBatch) run(ctx context.Context, s core.Store) {
	if len(d.valid) > 0 {
		for j, err := range core.DeleteMany(ctx, s, d.valid) {
			d.errs[d.validAt[j]] = err
		}
	}
}

// report writes each path's code to codes (optional) and returns the first
// failure in path order.
func (d *deleteBatch) report(codes *C.int) error {
	var first error
	for i, err := range d.errs {
		if codes != nil {
			code := codeOK
			if err != nil {
				code = codeOf(err)
			}
			unsafe.Slice(codes, len(d.errs))[i] = C.int(code)
		}
		if first == nil {
			first = err
		}
	}
	return first
}

func copyOptions(flags C.uint) (core.CopyOptions, error) {
	if flags&^C.OBJSTORE_IF_NOT_EXISTS != 0 {
		return core.CopyOptions{}, core.Errorf(core.InvalidArgument, "unknown copy/rename flags %#x", uint(flags&^C.OBJSTORE_IF_NOT_EXISTS))
	}
	return core.CopyOptions{IfNotExists: flags&C.OBJSTORE_IF_NOT_EXISTS != 0}, nil
}

// copyOrRename parses the arguments shared by copy and rename.
func copyOrRename(store unsafe.Pointer, from, to *C.char, flags C.uint, op func(*stores.Handle, core.Path, core.Path, core.CopyOptions) error) error {
	return withStore(store, func(h *stores.Handle) error {
		src, err := parsePath(from)
		if err != nil {
			return err
		}
		dst, err := parsePath(to)
		if err != nil {
			return err
		}
		opts, err := copyOptions(flags)
		if err != nil {
			return err
		}
		return op(h, src, dst, opts)
	})
}

//export objstoreGo_copy
func objstoreGo_copy(store unsafe.Pointer, from, to *C.char, flags C.uint, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		return copyOrRename(store, from, to, flags, func(h *stores.Handle, src, dst core.Path, opts core.CopyOptions) error {
			return h.Store.Copy(requestContext(), src, dst, opts)
		})
	})
}

//export objstoreGo_rename
func objstoreGo_rename(store unsafe.Pointer, from, to *C.char, flags C.uint, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		return copyOrRename(store, from, to, flags, func(h *stores.Handle, src, dst core.Path, opts core.CopyOptions) error {
			return core.Rename(requestContext(), h.Store, src, dst, opts)
		})
	})
}

//export objstoreGo_sign
func objstoreGo_sign(store unsafe.Pointer, method, path *C.char, expiresSecs C.uint64_t, out **C.char, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		if err := needOut("url_out", out == nil); err != nil {
			return err
		}
		return withStore(store, func(h *stores.Handle) error {
			if method == nil {
				return core.Errorf(core.InvalidArgument, "method is NULL")
			}
			p, err := parsePath(path)
			if err != nil {
				return err
			}
			if uint64(expiresSecs) > math.MaxInt64/uint64(time.Second) {
				return core.Errorf(core.InvalidArgument, "expires_secs %d is too large", uint64(expiresSecs))
			}
			url, err := core.Sign(requestContext(), h.Store, C.GoString(method), p, time.Duration(expiresSecs)*time.Second)
			if err != nil {
				return err
			}
			*out = C.CString(url)
			return nil
		})
	})
}
