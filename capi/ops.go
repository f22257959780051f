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

// ---- objstore_delete / objstore_submit_delete ----

func deleteOp(path *C.char) preparer[*stores.Handle, none] {
	return onPath(path, func(ctx context.Context, s core.Store, p core.Path) (none, error) { return done(s.Delete(ctx, p)) })
}

//export objstoreGo_delete
func objstoreGo_delete(store unsafe.Pointer, path *C.char, errp **C.objstore_error) C.int {
	return call(errp, func() error { return storeNow(store, deleteOp(path), nil) })
}

//export objstoreGo_submit_delete
func objstoreGo_submit_delete(store unsafe.Pointer, path *C.char, id C.uint64_t, errp **C.objstore_error) C.int {
	return call(errp, func() error { return storeSubmit(store, id, C.OBJSTORE_OP_DELETE, deleteOp(path), output[none]{}) })
}

// ---- objstore_delete_many / objstore_submit_delete_many ----

// deleteManyOp deletes the valid paths in one batch; an invalid path gets
// OBJSTORE_E_INVALID_PATH and is not sent. Each path's code goes to codes
// (optional); the first failure in path order is the result.
func deleteManyOp(paths **C.char, count C.size_t, codes *C.int) preparer[*stores.Handle, none] {
	return func(h *stores.Handle) (op[none], error) {
		if count > 0 && paths == nil {
			return nil, core.Errorf(core.InvalidArgument, "paths is NULL with %d paths", uint64(count))
		}
		n := int(count)
		errs := make([]error, n)
		var valid []core.Path
		var validAt []int
		for i, s := range unsafe.Slice(paths, n) {
			p, err := parsePath(s)
			if err != nil {
				errs[i] = err
				continue
			}
			valid = append(valid, p)
			validAt = append(validAt, i)
		}
		return func(ctx context.Context) (none, error) {
			if len(valid) > 0 {
				for j, err := range core.DeleteMany(ctx, h.Store, valid) {
					errs[validAt[j]] = err
				}
			}
			return done(reportCodes(errs, codes))
		}, nil
	}
}

// reportCodes writes each item's code to codes (optional) and returns the
// first failure in item order.
func reportCodes(errs []error, codes *C.int) error {
	var first error
	for i, err := range errs {
		if codes != nil {
			code := codeOK
			if err != nil {
				code = codeOf(err)
			}
			unsafe.Slice(codes, len(errs))[i] = C.int(code)
		}
		if first == nil {
			first = err
		}
	}
	return first
}

//export objstoreGo_delete_many
func objstoreGo_delete_many(store unsafe.Pointer, paths **C.char, count C.size_t, codes *C.int, errp **C.objstore_error) C.int {
	return call(errp, func() error { return storeNow(store, deleteManyOp(paths, count, codes), nil) })
}

//export objstoreGo_submit_delete_many
func objstoreGo_submit_delete_many(store unsafe.Pointer, paths **C.char, count C.size_t, codes *C.int, id C.uint64_t, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		return storeSubmit(store, id, C.OBJSTORE_OP_DELETE_MANY, deleteManyOp(paths, count, codes), output[none]{})
	})
}

// ---- copy and rename ----

// copyOp copies (or with rename, moves) from to to; flags may hold
// OBJSTORE_IF_NOT_EXISTS.
func copyOp(from, to *C.char, flags C.uint, rename bool) preparer[*stores.Handle, none] {
	return func(h *stores.Handle) (op[none], error) {
		src, err := parsePath(from)
		if err != nil {
			return nil, err
		}
		dst, err := parsePath(to)
		if err != nil {
			return nil, err
		}
		if flags&^C.OBJSTORE_IF_NOT_EXISTS != 0 {
			return nil, core.Errorf(core.InvalidArgument, "unknown copy/rename flags %#x", uint(flags&^C.OBJSTORE_IF_NOT_EXISTS))
		}
		opts := core.CopyOptions{IfNotExists: flags&C.OBJSTORE_IF_NOT_EXISTS != 0}
		return func(ctx context.Context) (none, error) {
			if rename {
				return done(core.Rename(ctx, h.Store, src, dst, opts))
			}
			return done(h.Store.Copy(ctx, src, dst, opts))
		}, nil
	}
}

//export objstoreGo_copy
func objstoreGo_copy(store unsafe.Pointer, from, to *C.char, flags C.uint, errp **C.objstore_error) C.int {
	return call(errp, func() error { return storeNow(store, copyOp(from, to, flags, false), nil) })
}

//export objstoreGo_submit_copy
func objstoreGo_submit_copy(store unsafe.Pointer, from, to *C.char, flags C.uint, id C.uint64_t, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		return storeSubmit(store, id, C.OBJSTORE_OP_COPY, copyOp(from, to, flags, false), output[none]{})
	})
}

//export objstoreGo_rename
func objstoreGo_rename(store unsafe.Pointer, from, to *C.char, flags C.uint, errp **C.objstore_error) C.int {
	return call(errp, func() error { return storeNow(store, copyOp(from, to, flags, true), nil) })
}

//export objstoreGo_submit_rename
func objstoreGo_submit_rename(store unsafe.Pointer, from, to *C.char, flags C.uint, id C.uint64_t, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		return storeSubmit(store, id, C.OBJSTORE_OP_RENAME, copyOp(from, to, flags, true), output[none]{})
	})
}

// ---- objstore_sign / objstore_submit_sign ----

func signOp(method, path *C.char, expiresSecs C.uint64_t) preparer[*stores.Handle, string] {
	return func(h *stores.Handle) (op[string], error) {
		if method == nil {
			return nil, core.Errorf(core.InvalidArgument, "method is NULL")
		}
		m := C.GoString(method)
		p, err := parsePath(path)
		if err != nil {
			return nil, err
		}
		if uint64(expiresSecs) > math.MaxInt64/uint64(time.Second) {
			return nil, core.Errorf(core.InvalidArgument, "expires_secs %d is too large", uint64(expiresSecs))
		}
		return func(ctx context.Context) (string, error) {
			return core.Sign(ctx, h.Store, m, p, time.Duration(expiresSecs)*time.Second)
		}, nil
	}
}

//export objstoreGo_sign
func objstoreGo_sign(store unsafe.Pointer, method, path *C.char, expiresSecs C.uint64_t, out **C.char, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		if err := needOut("url_out", out == nil); err != nil {
			return err
		}
		return storeNow(store, signOp(method, path, expiresSecs), func(url string) error {
			*out = C.CString(url)
			return nil
		})
	})
}

//export objstoreGo_submit_sign
func objstoreGo_submit_sign(store unsafe.Pointer, method, path *C.char, expiresSecs C.uint64_t, id C.uint64_t, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		return storeSubmit(store, id, C.OBJSTORE_OP_SIGN, signOp(method, path, expiresSecs), output[string]{
			fill: func(c *C.objstore_completion, url string) { c.url = C.CString(url) },
		})
	})
}
