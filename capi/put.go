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
	if o.version != C.OBJSTORE_PUT_OPTIONS_VERSION {
		return opts, core.Errorf(core.InvalidArgument, "objstore_put_options.version is %d, expected %d", uint(o.version), C.OBJSTORE_PUT_OPTIONS_VERSION)
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

func setPutResult(res core.PutResult, eTag, version **C.char) {
	setString(eTag, res.ETag)
	setString(version, res.Version)
}

//export objstoreGo_put
func objstoreGo_put(store unsafe.Pointer, path *C.char, data *C.uint8_t, n C.size_t, opts *C.objstore_put_options, eTag, version **C.char, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		return withStore(store, func(h *stores.Handle) error {
			p, err := parsePath(path)
			if err != nil {
				return err
			}
			po, err := putOptions(opts)
			if err != nil {
				return err
			}
			body, err := callerBytes(data, n)
			if err != nil {
				return err
			}
			res, err := h.Store.Put(requestContext(), p, body, po)
			if err != nil {
				return err
			}
			setPutResult(res, eTag, version)
			return nil
		})
	})
}

// upload is the value of an objstore_upload. Parts may be sent
// concurrently (under the handle's shared lock); complete and abort take it
// exclusively, so finished needs no lock of its own.
type upload struct {
	up       core.MultipartUpload
	finished bool // completed or aborted
}

func (u *upload) checkOpen() error {
	if u.finished {
		return core.Errorf(core.InvalidArgument, "upload is already completed or aborted")
	}
	return nil
}

//export objstoreGo_upload_new
func objstoreGo_upload_new(store unsafe.Pointer, path *C.char, opts *C.objstore_put_options, out *unsafe.Pointer, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		if err := needOut("out", out == nil); err != nil {
			return err
		}
		return withStore(store, func(h *stores.Handle) error {
			p, err := parsePath(path)
			if err != nil {
				return err
			}
			po, err := putOptions(opts)
			if err != nil {
				return err
			}
			mu, err := h.Store.PutMultipart(requestContext(), p, core.MultipartOptions{Attributes: po.Attributes, Tags: po.Tags})
			if err != nil {
				return err
			}
			u := &upload{up: mu}
			*out = newHandle(kindUpload, u, func() {
				if !u.finished {
					u.up.Abort(context.Background())
				}
			})
			return nil
		})
	})
}

//export objstoreGo_upload_put_part
func objstoreGo_upload_put_part(up unsafe.Pointer, index C.size_t, data *C.uint8_t, n C.size_t, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		return withHandle(up, kindUpload, false, func(u *upload) error {
			if err := u.checkOpen(); err != nil {
				return err
			}
			if uint64(index) > math.MaxInt32 {
				return core.Errorf(core.InvalidArgument, "part index %d is too large", uint64(index))
			}
			body, err := callerBytes(data, n)
			if err != nil {
				return err
			}
			return u.up.PutPart(requestContext(), int(index), body)
		})
	})
}

//export objstoreGo_upload_complete
func objstoreGo_upload_complete(up unsafe.Pointer, eTag, version **C.char, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		return withHandle(up, kindUpload, true, func(u *upload) error {
			if err := u.checkOpen(); err != nil {
				return err
			}
			res, err := u.up.Complete(requestContext())
			if err != nil {
				return err
			}
			u.finished = true
			setPutResult(res, eTag, version)
			return nil
		})
	})
}

//export objstoreGo_upload_abort
func objstoreGo_upload_abort(up unsafe.Pointer, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		return withHandle(up, kindUpload, true, func(u *upload) error {
			if err := u.checkOpen(); err != nil {
				return err
			}
			u.finished = true
			return u.up.Abort(requestContext())
		})
	})
}

//export objstoreGo_upload_free
func objstoreGo_upload_free(up unsafe.Pointer) C.int {
	return callNoErr(func() error { return freeHandle(up, kindUpload) })
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
			w := core.NewWriter(requestContext(), h.Store, p, wo)
			// Abort after Close is a no-op, so free can always abort.
			*out = newHandle(kindWriter, w, func() { w.Abort() })
			return nil
		})
	})
}

func writerOptions(o *C.objstore_writer_options) (core.WriterOptions, error) {
	var opts core.WriterOptions
	if o == nil {
		return opts, nil
	}
	if o.version != C.OBJSTORE_WRITER_OPTIONS_VERSION {
		return opts, core.Errorf(core.InvalidArgument, "objstore_writer_options.version is %d, expected %d", uint(o.version), C.OBJSTORE_WRITER_OPTIONS_VERSION)
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

//export objstoreGo_writer_write
func objstoreGo_writer_write(wh unsafe.Pointer, data *C.uint8_t, n C.size_t, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		return withHandle(wh, kindWriter, true, func(w *core.Writer) error {
			body, err := callerBytes(data, n)
			if err != nil {
				return err
			}
			_, err = w.Write(body) // copies into the writer's buffer
			return err
		})
	})
}

//export objstoreGo_writer_close
func objstoreGo_writer_close(wh unsafe.Pointer, eTag, version **C.char, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		return withHandle(wh, kindWriter, true, func(w *core.Writer) error {
			res, err := w.Close()
			if err != nil {
				return err
			}
			setPutResult(res, eTag, version)
			return nil
		})
	})
}

//export objstoreGo_writer_abort
func objstoreGo_writer_abort(wh unsafe.Pointer, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		return withHandle(wh, kindWriter, true, func(w *core.Writer) error { return w.Abort() })
	})
}

//export objstoreGo_writer_free
func objstoreGo_writer_free(wh unsafe.Pointer) C.int {
	return callNoErr(func() error { return freeHandle(wh, kindWriter) })
}
