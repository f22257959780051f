package main

/*
#include "capi.h"
*/
import "C"

import (
	"context"
	"errors"
	"math"
	"time"
	"unsafe"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/stores"
)

// cleanupArgs parses objstore_cleanup_uploads' arguments.
func cleanupArgs(prefix *C.char, olderThanMs C.uint64_t, flags C.uint) (core.Path, core.CleanupOptions, error) {
	if flags&^C.OBJSTORE_CLEANUP_DRY_RUN != 0 {
		return "", core.CleanupOptions{}, core.Errorf(core.InvalidArgument, "unknown cleanup_uploads flags %#x", uint(flags&^C.OBJSTORE_CLEANUP_DRY_RUN))
	}
	pre, err := parseOptionalPath(prefix)
	if err != nil {
		return "", core.CleanupOptions{}, err
	}
	opts := core.CleanupOptions{DryRun: flags&C.OBJSTORE_CLEANUP_DRY_RUN != 0}
	if ms := uint64(olderThanMs); ms > uint64(math.MaxInt64/int64(time.Millisecond)) {
		opts.OlderThan = math.MaxInt64 // older than the clock can tell: none qualifies
	} else {
		opts.OlderThan = time.Duration(ms) * time.Millisecond
	}
	return pre, opts, nil
}

// pendingUploads copies uploads into a C array owned by the arena.
func (a *cArena) pendingUploads(us []core.PendingUpload) *C.objstore_pending_upload {
	var u C.objstore_pending_upload
	p := (*C.objstore_pending_upload)(a.alloc(uintptr(len(us))*unsafe.Sizeof(u), unsafe.Alignof(u)))
	for i, up := range us {
		dst := &unsafe.Slice(p, len(us))[i]
		dst.location = a.str(string(up.Path))
		dst.upload_id = a.str(up.ID)
		dst.initiated_ns = nsFromTime(up.Initiated)
	}
	return p
}

// cleaned is what a cleanup_uploads aborted, in a metadata list.
type cleaned struct {
	ml      *metaList
	uploads *C.objstore_pending_upload
	n       int
}

func cleanupOp(prefix *C.char, olderThanMs C.uint64_t, flags C.uint) preparer[*stores.Handle, cleaned] {
	return func(h *stores.Handle) (op[cleaned], error) {
		pre, opts, err := cleanupArgs(prefix, olderThanMs, flags)
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context) (cleaned, error) {
			ups, err := core.CleanupUploads(ctx, h.Store, pre, opts)
			if err != nil {
				return cleaned{}, err
			}
			ml := &metaList{}
			return cleaned{ml, ml.arena.pendingUploads(ups), len(ups)}, nil
		}, nil
	}
}

//export objstoreGo_cleanup_uploads
func objstoreGo_cleanup_uploads(store unsafe.Pointer, prefix *C.char, olderThanMs C.uint64_t, flags C.uint, out *unsafe.Pointer, uploads **C.objstore_pending_upload, n *C.size_t, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		if err := errors.Join(needOut("out", out == nil), needOut("uploads", uploads == nil), needOut("n", n == nil)); err != nil {
			return err
		}
		return storeNow(store, cleanupOp(prefix, olderThanMs, flags), func(c cleaned) error {
			*uploads, *n = c.uploads, C.size_t(c.n)
			*out = newMetaList(c.ml)
			return nil
		})
	})
}

//export objstoreGo_submit_cleanup_uploads
func objstoreGo_submit_cleanup_uploads(store unsafe.Pointer, prefix *C.char, olderThanMs C.uint64_t, flags C.uint, id C.uint64_t, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		return storeSubmit(store, id, C.OBJSTORE_OP_CLEANUP_UPLOADS, cleanupOp(prefix, olderThanMs, flags), output[cleaned]{
			fill: func(c *C.objstore_completion, cl cleaned) {
				c.pending_uploads, c.n_items = cl.uploads, C.size_t(cl.n)
				c.meta_list = (*C.objstore_meta_list)(newMetaList(cl.ml))
			},
			discard: func(cl cleaned) { cl.ml.arena.free() },
		})
	})
}
