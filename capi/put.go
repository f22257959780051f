package main

/*
#include "capi.h"
*/
import "C"

import (
	"context"
	"math"
	"unsafe"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/stores"
)

func putOptions(o *C.objstore_put_options) (core.PutOptions, error) {
	var opts core.PutOptions
	if o == nil {
		return opts, nil
	}
	if err := checkStructVersion("objstore_put_options", uint(o.version), C.OBJSTORE_PUT_OPTIONS_VERSION); err != nil {
		return opts, err
	}
	switch o.mode {
	case C.OBJSTORE_PUT_OVERWRITE:
		opts.Mode.Kind = core.PutOverwrite
	case C.OBJSTORE_PUT_CREATE:
		opts.Mode.Kind = core.PutCreate
	case C.OBJSTORE_PUT_UPDATE:
		opts.Mode = core.PutMode{Kind: core.PutUpdate, ETag: goStringOr(o.e_tag, ""), Version: goStringOr(o.object_version, "")}
	default:
		return opts, core.Errorf(core.InvalidArgument, "unknown put mode %d", int(o.mode))
	}
	var err error
	if opts.Attributes, err = kvMap(o.attributes, o.attributes_len, "attributes"); err != nil {
		return opts, err
	}
	opts.Tags, err = kvMap(o.tags, o.tags_len, "tags")
	return opts, err
}

// handPutResult writes a put's etag and version to the optional
// out-parameters of a blocking call.
func handPutResult(eTag, version **C.char) func(core.PutResult) error {
	return func(res core.PutResult) error {
		setString(eTag, res.ETag)
		setString(version, res.Version)
		return nil
	}
}

// putResultOut puts a put's etag and version in a completion.
var putResultOut = output[core.PutResult]{
	fill: func(c *C.objstore_completion, res core.PutResult) {
		setString(&c.e_tag, res.ETag)
		setString(&c.version, res.Version)
	},
}

// pathAndPutOptions parses the path and put options shared by puts and
// uploads.
func pathAndPutOptions(path *C.char, o *C.objstore_put_options) (core.Path, core.PutOptions, error) {
	p, err := parsePath(path)
	if err != nil {
		return "", core.PutOptions{}, err
	}
	opts, err := putOptions(o)
	return p, opts, err
}

// ---- objstore_put / objstore_submit_put ----

// putCall is a put with its arguments parsed; data is read in place
// while it runs.
type putCall struct {
	h    *stores.Handle
	path core.Path
	body []byte
	opts core.PutOptions
}

func preparePut(h *stores.Handle, path *C.char, data *C.uint8_t, n C.size_t, o *C.objstore_put_options) (putCall, error) {
	p, opts, err := pathAndPutOptions(path, o)
	if err != nil {
		return putCall{}, err
	}
	body, err := callerBytes(data, n)
	return putCall{h, p, body, opts}, err
}

func (c putCall) run(ctx context.Context) (core.PutResult, error) {
	return c.h.Store.Put(ctx, c.path, c.body, c.opts)
}

func putOp(path *C.char, data *C.uint8_t, n C.size_t, o *C.objstore_put_options) preparer[*stores.Handle, core.PutResult] {
	return func(h *stores.Handle) (op[core.PutResult], error) {
		c, err := preparePut(h, path, data, n, o)
		if err != nil {
			return nil, err
		}
		return c.run, nil
	}
}

//export objstoreGo_put
func objstoreGo_put(store unsafe.Pointer, path *C.char, data *C.uint8_t, n C.size_t, opts *C.objstore_put_options, eTag, version **C.char, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		return withStore(store, func(h *stores.Handle) error {
			c, err := preparePut(h, path, data, n, opts)
			if err != nil {
				return err
			}
			res, err := c.run(requestContext())
			if err != nil {
				return err
			}
			setString(eTag, res.ETag)
			setString(version, res.Version)
			return nil
		})
	})
}

//export objstoreGo_submit_put
func objstoreGo_submit_put(store unsafe.Pointer, path *C.char, data *C.uint8_t, n C.size_t, o *C.objstore_put_options, id C.uint64_t, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		return storeSubmit(store, id, C.OBJSTORE_OP_PUT, putOp(path, data, n, o), putResultOut)
	})
}

// ---- multipart uploads ----

// upload is the value of an objstore_upload. Parts may be sent
// concurrently (under the handle's shared lock); complete and abort take it
// exclusively, so finished needs no lock of its own. It holds a share of
// its store until it is freed.
type upload struct {
	up       core.MultipartUpload
	store    *stores.Handle
	finished bool // completed or aborted
}

func (u *upload) checkOpen() error {
	if u.finished {
		return core.Errorf(core.InvalidArgument, "upload is already completed or aborted")
	}
	return nil
}

// release aborts an upload neither completed nor aborted, then lets go of
// the store.
func (u *upload) release() {
	if !u.finished {
		u.up.Abort(context.Background())
	}
	u.store.Close()
}

func newUploadHandle(u *upload) unsafe.Pointer { return newHandle(kindUpload, u, u.release) }

func uploadNewOp(path *C.char, o *C.objstore_put_options) preparer[*stores.Handle, *upload] {
	return func(h *stores.Handle) (op[*upload], error) {
		p, opts, err := pathAndPutOptions(path, o)
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context) (*upload, error) {
			mu, err := h.Store.PutMultipart(ctx, p, core.MultipartOptions{Attributes: opts.Attributes, Tags: opts.Tags})
			if err != nil {
				return nil, err
			}
			return &upload{up: mu, store: h.Share()}, nil
		}, nil
	}
}

//export objstoreGo_upload_new
func objstoreGo_upload_new(store unsafe.Pointer, path *C.char, opts *C.objstore_put_options, out *unsafe.Pointer, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		if err := needOut("out", out == nil); err != nil {
			return err
		}
		return storeNow(store, uploadNewOp(path, opts), func(u *upload) error {
			*out = newUploadHandle(u)
			return nil
		})
	})
}

//export objstoreGo_submit_upload_new
func objstoreGo_submit_upload_new(store unsafe.Pointer, path *C.char, o *C.objstore_put_options, id C.uint64_t, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		return storeSubmit(store, id, C.OBJSTORE_OP_UPLOAD_NEW, uploadNewOp(path, o), output[*upload]{
			fill:    func(c *C.objstore_completion, u *upload) { c.upload = (*C.objstore_upload)(newUploadHandle(u)) },
			discard: func(u *upload) { u.release() },
		})
	})
}

// onOpenUpload prepares an op on an upload not yet completed or aborted.
func onOpenUpload[T any](do func(ctx context.Context, u *upload) (T, error)) preparer[*upload, T] {
	return func(u *upload) (op[T], error) {
		if err := u.checkOpen(); err != nil {
			return nil, err
		}
		return func(ctx context.Context) (T, error) { return do(ctx, u) }, nil
	}
}

// putPartOp uploads part index from data[0..n), read in place.
func putPartOp(index C.size_t, data *C.uint8_t, n C.size_t) preparer[*upload, none] {
	return func(u *upload) (op[none], error) {
		if uint64(index) > math.MaxInt32 {
			return nil, core.Errorf(core.InvalidArgument, "part index %d is too large", uint64(index))
		}
		body, err := callerBytes(data, n)
		if err != nil {
			return nil, err
		}
		return onOpenUpload(func(ctx context.Context, u *upload) (none, error) {
			return done(u.up.PutPart(ctx, int(index), body))
		})(u)
	}
}

var completeOp = onOpenUpload(func(ctx context.Context, u *upload) (core.PutResult, error) {
	res, err := u.up.Complete(ctx)
	if err == nil {
		u.finished = true
	}
	return res, err
})

var abortOp = onOpenUpload(func(ctx context.Context, u *upload) (none, error) {
	u.finished = true
	return done(u.up.Abort(ctx))
})

//export objstoreGo_upload_put_part
func objstoreGo_upload_put_part(up unsafe.Pointer, index C.size_t, data *C.uint8_t, n C.size_t, errp **C.objstore_error) C.int {
	return call(errp, func() error { return runNow(up, kindUpload, false, putPartOp(index, data, n), nil) })
}

//export objstoreGo_submit_upload_put_part
func objstoreGo_submit_upload_put_part(up unsafe.Pointer, index C.size_t, data *C.uint8_t, n C.size_t, id C.uint64_t, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		return submitOp(up, kindUpload, false, id, C.OBJSTORE_OP_UPLOAD_PUT_PART, putPartOp(index, data, n), output[none]{})
	})
}

//export objstoreGo_upload_complete
func objstoreGo_upload_complete(up unsafe.Pointer, eTag, version **C.char, errp **C.objstore_error) C.int {
	return call(errp, func() error { return runNow(up, kindUpload, true, completeOp, handPutResult(eTag, version)) })
}

//export objstoreGo_submit_upload_complete
func objstoreGo_submit_upload_complete(up unsafe.Pointer, id C.uint64_t, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		return submitOp(up, kindUpload, true, id, C.OBJSTORE_OP_UPLOAD_COMPLETE, completeOp, putResultOut)
	})
}

//export objstoreGo_upload_abort
func objstoreGo_upload_abort(up unsafe.Pointer, errp **C.objstore_error) C.int {
	return call(errp, func() error { return runNow(up, kindUpload, true, abortOp, nil) })
}

//export objstoreGo_submit_upload_abort
func objstoreGo_submit_upload_abort(up unsafe.Pointer, id C.uint64_t, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		return submitOp(up, kindUpload, true, id, C.OBJSTORE_OP_UPLOAD_ABORT, abortOp, output[none]{})
	})
}

//export objstoreGo_upload_free
func objstoreGo_upload_free(up unsafe.Pointer) C.int {
	return freeExport(up, kindUpload)
}

// ---- the buffered writer ----

// writer is the value of an objstore_writer, with a share of its store.
type writer struct {
	w     *core.Writer
	store *stores.Handle
}

// release aborts a writer neither closed nor aborted (Abort after Close
// does nothing), then lets go of the store.
func (w *writer) release() {
	w.w.Abort()
	w.store.Close()
}

func writerOptions(o *C.objstore_writer_options) (core.WriterOptions, error) {
	var opts core.WriterOptions
	if o == nil {
		return opts, nil
	}
	if err := checkStructVersion("objstore_writer_options", uint(o.version), C.OBJSTORE_WRITER_OPTIONS_VERSION); err != nil {
		return opts, err
	}
	if uint64(o.chunk_size) > math.MaxInt32 || uint64(o.max_concurrency) > 1<<16 {
		return opts, core.Errorf(core.InvalidArgument, "writer chunk_size or max_concurrency is too large")
	}
	opts.ChunkSize = int(o.chunk_size)
	opts.MaxConcurrency = int(o.max_concurrency)
	var err error
	if opts.Attributes, err = kvMap(o.attributes, o.attributes_len, "attributes"); err != nil {
		return opts, err
	}
	opts.Tags, err = kvMap(o.tags, o.tags_len, "tags")
	return opts, err
}

//export objstoreGo_writer_new
func objstoreGo_writer_new(store unsafe.Pointer, path *C.char, opts *C.objstore_writer_options, out *unsafe.Pointer, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		if err := needOut("out", out == nil); err != nil {
			return err
		}
		return withStore(store, func(h *stores.Handle) error {
			p, err := parsePath(path)
			if err != nil {
				return err
			}
			wo, err := writerOptions(opts)
			if err != nil {
				return err
			}
			w := &writer{w: core.NewWriter(requestContext(), h.Store, p, wo), store: h.Share()}
			*out = newHandle(kindWriter, w, w.release)
			return nil
		})
	})
}

// writeOp appends data[0..n), copied into the writer's buffer or, when
// borrowed, uploaded from where it is in whole chunks.
func writeOp(data *C.uint8_t, n C.size_t, borrowed bool) preparer[*writer, none] {
	return func(w *writer) (op[none], error) {
		body, err := callerBytes(data, n)
		if err != nil {
			return nil, err
		}
		write := w.w.Write
		if borrowed {
			write = w.w.WriteBorrowed
		}
		return func(context.Context) (none, error) {
			_, err := write(body)
			return done(err)
		}, nil
	}
}

func closeWriterOp(w *writer) (op[core.PutResult], error) {
	return func(context.Context) (core.PutResult, error) { return w.w.Close() }, nil
}

//export objstoreGo_writer_write
func objstoreGo_writer_write(wh unsafe.Pointer, data *C.uint8_t, n C.size_t, errp **C.objstore_error) C.int {
	return call(errp, func() error { return runNow(wh, kindWriter, true, writeOp(data, n, false), nil) })
}

//export objstoreGo_writer_write_borrowed
func objstoreGo_writer_write_borrowed(wh unsafe.Pointer, data *C.uint8_t, n C.size_t, errp **C.objstore_error) C.int {
	return call(errp, func() error { return runNow(wh, kindWriter, true, writeOp(data, n, true), nil) })
}

//export objstoreGo_submit_writer_write
func objstoreGo_submit_writer_write(wh unsafe.Pointer, data *C.uint8_t, n C.size_t, id C.uint64_t, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		return submitOp(wh, kindWriter, true, id, C.OBJSTORE_OP_WRITER_WRITE, writeOp(data, n, false), output[none]{})
	})
}

//export objstoreGo_writer_close
func objstoreGo_writer_close(wh unsafe.Pointer, eTag, version **C.char, errp **C.objstore_error) C.int {
	return call(errp, func() error { return runNow(wh, kindWriter, true, closeWriterOp, handPutResult(eTag, version)) })
}

//export objstoreGo_submit_writer_close
func objstoreGo_submit_writer_close(wh unsafe.Pointer, id C.uint64_t, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		return submitOp(wh, kindWriter, true, id, C.OBJSTORE_OP_WRITER_CLOSE, closeWriterOp, putResultOut)
	})
}

//export objstoreGo_writer_abort
func objstoreGo_writer_abort(wh unsafe.Pointer, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		return withHandle(wh, kindWriter, true, func(w *writer) error { return w.w.Abort() })
	})
}

//export objstoreGo_writer_free
func objstoreGo_writer_free(wh unsafe.Pointer) C.int {
	return freeExport(wh, kindWriter)
}
