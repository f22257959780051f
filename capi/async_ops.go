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

// The objstore_submit_* functions: each parses its arguments now, like its
// blocking twin, and returns the request body that runs later.

// handBuffer registers b and puts it, and its bytes, in the completion.
func handBuffer(c *C.objstore_completion, b *buffer) {
	var p unsafe.Pointer
	b.hand(&p, &c.data, &c.len)
	c.buffer = (*C.objstore_buffer)(p)
}

func freeBuffer(b *buffer) {
	if b != nil {
		b.mem.free()
		b.info.free()
	}
}

func handMetas(c *C.objstore_completion, metas []core.ObjectMeta) {
	l := &metaList{}
	c.items = l.arena.metas(metas)
	c.n_items = C.size_t(len(metas))
	c.meta_list = (*C.objstore_meta_list)(newMetaList(l))
}

func onStore(store unsafe.Pointer, id C.uint64_t, op C.int, prepare func(*stores.Handle) (runFunc, error)) error {
	return submitOn(store, kindStore, false, id, op, prepare)
}

//export objstoreGo_submit_get
func objstoreGo_submit_get(store unsafe.Pointer, path *C.char, o *C.objstore_get_options, flags C.uint, id C.uint64_t, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		return onStore(store, id, C.OBJSTORE_OP_GET, func(h *stores.Handle) (runFunc, error) {
			if flags&^C.OBJSTORE_SUBMIT_INFO != 0 {
				return nil, core.Errorf(core.InvalidArgument, "unknown submit_get flags %#x", uint(flags&^C.OBJSTORE_SUBMIT_INFO))
			}
			p, err := parsePath(path)
			if err != nil {
				return nil, err
			}
			opts, err := getOptions(o)
			if err != nil {
				return nil, err
			}
			wantInfo := flags&C.OBJSTORE_SUBMIT_INFO != 0
			return func(r *request) (result, error) {
				res, err := h.Store.Get(r.ctx, p, opts)
				if err != nil {
					return result{}, err
				}
				b, info, err := readBody(res, wantInfo)
				if err != nil {
					return result{}, err
				}
				return result{
					fill: func(c *C.objstore_completion) {
						handBuffer(c, b)
						c.info = info
					},
					discard: func() { freeBuffer(b) },
				}, nil
			}, nil
		})
	})
}

//export objstoreGo_submit_get_reader
func objstoreGo_submit_get_reader(store unsafe.Pointer, path *C.char, o *C.objstore_get_options, prefetchMax C.size_t, id C.uint64_t, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		return onStore(store, id, C.OBJSTORE_OP_GET_READER, func(h *stores.Handle) (runFunc, error) {
			p, err := parsePath(path)
			if err != nil {
				return nil, err
			}
			opts, err := getOptions(o)
			if err != nil {
				return nil, err
			}
			return func(r *request) (result, error) {
				res, err := h.Store.Get(r.ctx, p, opts)
				if err != nil {
					return result{}, err
				}
				rd := &reader{res: res}
				rd.infoPtr = getInfo(&rd.info, res)
				var body *buffer
				if res.Len() <= uint64(prefetchMax) {
					if body, err = rd.readAll(); err != nil {
						rd.close()
						return result{}, err
					}
				}
				// The body is read later with this request's context.
				r.keepContext = true
				cancel := r.cancel
				return result{
					fill: func(c *C.objstore_completion) {
						c.reader = (*C.objstore_reader)(newHandle(kindReader, rd, func() { rd.close(); cancel() }))
						c.info = rd.infoPtr
						if body != nil {
							handBuffer(c, body)
						}
					},
					discard: func() { rd.close(); freeBuffer(body) },
				}, nil
			}, nil
		})
	})
}

func onReader(rd unsafe.Pointer, id C.uint64_t, op C.int, read func(r *reader) (*buffer, error)) error {
	return submitOn(rd, kindReader, true, id, op, func(r *reader) (runFunc, error) {
		return func(*request) (result, error) {
			b, err := read(r)
			if err != nil || b == nil {
				return result{}, err
			}
			return result{fill: func(c *C.objstore_completion) { handBuffer(c, b) }, discard: func() { freeBuffer(b) }}, nil
		}, nil
	})
}

//export objstoreGo_submit_reader_read_all
func objstoreGo_submit_reader_read_all(rd unsafe.Pointer, id C.uint64_t, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		return onReader(rd, id, C.OBJSTORE_OP_READ_ALL, func(r *reader) (*buffer, error) { return r.readAll() })
	})
}

//export objstoreGo_submit_reader_read_chunk
func objstoreGo_submit_reader_read_chunk(rd unsafe.Pointer, minSize C.size_t, id C.uint64_t, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		return onReader(rd, id, C.OBJSTORE_OP_READ_CHUNK, func(r *reader) (*buffer, error) { return r.readChunk(uint64(minSize)) })
	})
}

//export objstoreGo_submit_get_ranges
func objstoreGo_submit_get_ranges(store unsafe.Pointer, path *C.char, starts, ends *C.uint64_t, count C.size_t, gap C.uint64_t, data **C.uint8_t, lens *C.size_t, id C.uint64_t, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		return onStore(store, id, C.OBJSTORE_OP_GET_RANGES, func(h *stores.Handle) (runFunc, error) {
			if count > 0 && (starts == nil || ends == nil || data == nil || lens == nil) {
				return nil, core.Errorf(core.InvalidArgument, "starts, ends, data or lens is NULL with %d ranges", uint64(count))
			}
			p, err := parsePath(path)
			if err != nil {
				return nil, err
			}
			ranges := boundedRanges(starts, ends, count)
			for _, rg := range ranges {
				if err := rg.Validate(); err != nil {
					return nil, err
				}
			}
			return func(r *request) (result, error) {
				b, views, err := getRanges(r.ctx, h.Store, p, ranges, coalesceGap(gap))
				if err != nil {
					return result{}, err
				}
				return result{
					fill: func(c *C.objstore_completion) {
						var out unsafe.Pointer
						b.hand(&out, nil, nil)
						c.buffer = (*C.objstore_buffer)(out)
						b.setViews(views, data, lens)
					},
					discard: func() { freeBuffer(b) },
				}, nil
			}, nil
		})
	})
}

//export objstoreGo_submit_head
func objstoreGo_submit_head(store unsafe.Pointer, path *C.char, id C.uint64_t, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		return onStore(store, id, C.OBJSTORE_OP_HEAD, func(h *stores.Handle) (runFunc, error) {
			p, err := parsePath(path)
			if err != nil {
				return nil, err
			}
			return func(r *request) (result, error) {
				meta, err := h.Store.Head(r.ctx, p)
				if err != nil {
					return result{}, err
				}
				return result{fill: func(c *C.objstore_completion) { handMetas(c, []core.ObjectMeta{meta}) }}, nil
			}, nil
		})
	})
}

func putResultFill(res core.PutResult) result {
	return result{fill: func(c *C.objstore_completion) { setPutResult(res, &c.e_tag, &c.version) }}
}

//export objstoreGo_submit_put
func objstoreGo_submit_put(store unsafe.Pointer, path *C.char, data *C.uint8_t, n C.size_t, o *C.objstore_put_options, id C.uint64_t, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		return onStore(store, id, C.OBJSTORE_OP_PUT, func(h *stores.Handle) (runFunc, error) {
			p, err := parsePath(path)
			if err != nil {
				return nil, err
			}
			opts, err := putOptions(o)
			if err != nil {
				return nil, err
			}
			body, err := callerBytes(data, n)
			if err != nil {
				return nil, err
			}
			return func(r *request) (result, error) {
				res, err := h.Store.Put(r.ctx, p, body, opts)
				if err != nil {
					return result{}, err
				}
				return putResultFill(res), nil
			}, nil
		})
	})
}

//export objstoreGo_submit_delete
func objstoreGo_submit_delete(store unsafe.Pointer, path *C.char, id C.uint64_t, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		return onStore(store, id, C.OBJSTORE_OP_DELETE, func(h *stores.Handle) (runFunc, error) {
			p, err := parsePath(path)
			if err != nil {
				return nil, err
			}
			return func(r *request) (result, error) { return result{}, h.Store.Delete(r.ctx, p) }, nil
		})
	})
}

//export objstoreGo_submit_delete_many
func objstoreGo_submit_delete_many(store unsafe.Pointer, paths **C.char, count C.size_t, codes *C.int, id C.uint64_t, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		return onStore(store, id, C.OBJSTORE_OP_DELETE_MANY, func(h *stores.Handle) (runFunc, error) {
			if count > 0 && paths == nil {
				return nil, core.Errorf(core.InvalidArgument, "paths is NULL with %d paths", uint64(count))
			}
			batch := parseDeleteBatch(paths, count)
			return func(r *request) (result, error) {
				batch.run(r.ctx, h.Store)
				return result{}, batch.report(codes)
			}, nil
		})
	})
}

func submitCopyOrRename(store unsafe.Pointer, from, to *C.char, flags C.uint, id C.uint64_t, op C.int) error {
	return onStore(store, id, op, func(h *stores.Handle) (runFunc, error) {
		src, err := parsePath(from)
		if err != nil {
			return nil, err
		}
		dst, err := parsePath(to)
		if err != nil {
			return nil, err
		}
		opts, err := copyOptions(flags)
		if err != nil {
			return nil, err
		}
		return func(r *request) (result, error) {
			if op == C.OBJSTORE_OP_RENAME {
				return result{}, core.Rename(r.ctx, h.Store, src, dst, opts)
			}
			return result{}, h.Store.Copy(r.ctx, src, dst, opts)
		}, nil
	})
}

//export objstoreGo_submit_copy
func objstoreGo_submit_copy(store unsafe.Pointer, from, to *C.char, flags C.uint, id C.uint64_t, errp **C.objstore_error) C.int {
	return call(errp, func() error { return submitCopyOrRename(store, from, to, flags, id, C.OBJSTORE_OP_COPY) })
}

//export objstoreGo_submit_rename
func objstoreGo_submit_rename(store unsafe.Pointer, from, to *C.char, flags C.uint, id C.uint64_t, errp **C.objstore_error) C.int {
	return call(errp, func() error { return submitCopyOrRename(store, from, to, flags, id, C.OBJSTORE_OP_RENAME) })
}

//export objstoreGo_submit_sign
func objstoreGo_submit_sign(store unsafe.Pointer, method, path *C.char, expiresSecs C.uint64_t, id C.uint64_t, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		return onStore(store, id, C.OBJSTORE_OP_SIGN, func(h *stores.Handle) (runFunc, error) {
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
			return func(r *request) (result, error) {
				url, err := core.Sign(r.ctx, h.Store, m, p, time.Duration(expiresSecs)*time.Second)
				if err != nil {
					return result{}, err
				}
				return result{fill: func(c *C.objstore_completion) { c.url = C.CString(url) }}, nil
			}, nil
		})
	})
}

//export objstoreGo_submit_list_next
func objstoreGo_submit_list_next(lh unsafe.Pointer, maxItems C.size_t, id C.uint64_t, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		return submitOn(lh, kindList, true, id, C.OBJSTORE_OP_LIST_NEXT, func(l *listing) (runFunc, error) {
			return func(*request) (result, error) {
				metas, err := l.nextPage(uint64(maxItems))
				if err != nil || len(metas) == 0 {
					return result{}, err
				}
				return result{fill: func(c *C.objstore_completion) { handMetas(c, metas) }}, nil
			}, nil
		})
	})
}

//export objstoreGo_submit_list_with_delimiter
func objstoreGo_submit_list_with_delimiter(store unsafe.Pointer, prefix *C.char, id C.uint64_t, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		return onStore(store, id, C.OBJSTORE_OP_LIST_WITH_DELIMITER, func(h *stores.Handle) (runFunc, error) {
			pre, err := parseOptionalPath(prefix)
			if err != nil {
				return nil, err
			}
			return func(r *request) (result, error) {
				res, err := h.Store.ListWithDelimiter(r.ctx, pre)
				if err != nil {
					return result{}, err
				}
				return result{fill: func(c *C.objstore_completion) {
					ml := &metaList{}
					var prefixes **C.char
					c.items, c.n_items, prefixes, c.n_prefixes = ml.fillListResult(res)
					c.common_prefixes = prefixes
					c.meta_list = (*C.objstore_meta_list)(newMetaList(ml))
				}}, nil
			}, nil
		})
	})
}

//export objstoreGo_submit_writer_write
func objstoreGo_submit_writer_write(wh unsafe.Pointer, data *C.uint8_t, n C.size_t, id C.uint64_t, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		return submitOn(wh, kindWriter, true, id, C.OBJSTORE_OP_WRITER_WRITE, func(w *core.Writer) (runFunc, error) {
			body, err := callerBytes(data, n)
			if err != nil {
				return nil, err
			}
			return func(*request) (result, error) {
				_, err := w.Write(body)
				return result{}, err
			}, nil
		})
	})
}

//export objstoreGo_submit_writer_close
func objstoreGo_submit_writer_close(wh unsafe.Pointer, id C.uint64_t, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		return submitOn(wh, kindWriter, true, id, C.OBJSTORE_OP_WRITER_CLOSE, func(w *core.Writer) (runFunc, error) {
			return func(*request) (result, error) {
				res, err := w.Close()
				if err != nil {
					return result{}, err
				}
				return putResultFill(res), nil
			}, nil
		})
	})
}

//export objstoreGo_submit_upload_new
func objstoreGo_submit_upload_new(store unsafe.Pointer, path *C.char, o *C.objstore_put_options, id C.uint64_t, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		return onStore(store, id, C.OBJSTORE_OP_UPLOAD_NEW, func(h *stores.Handle) (runFunc, error) {
			p, err := parsePath(path)
			if err != nil {
				return nil, err
			}
			po, err := putOptions(o)
			if err != nil {
				return nil, err
			}
			return func(r *request) (result, error) {
				mu, err := h.Store.PutMultipart(r.ctx, p, core.MultipartOptions{Attributes: po.Attributes, Tags: po.Tags})
				if err != nil {
					return result{}, err
				}
				u := &upload{up: mu}
				return result{
					fill: func(c *C.objstore_completion) {
						c.upload = (*C.objstore_upload)(newHandle(kindUpload, u, func() {
							if !u.finished {
								u.up.Abort(context.Background())
							}
						}))
					},
					discard: func() { mu.Abort(context.Background()) },
				}, nil
			}, nil
		})
	})
}

//export objstoreGo_submit_upload_put_part
func objstoreGo_submit_upload_put_part(up unsafe.Pointer, index C.size_t, data *C.uint8_t, n C.size_t, id C.uint64_t, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		return submitOn(up, kindUpload, false, id, C.OBJSTORE_OP_UPLOAD_PUT_PART, func(u *upload) (runFunc, error) {
			if err := u.checkOpen(); err != nil {
				return nil, err
			}
			if uint64(index) > math.MaxInt32 {
				return nil, core.Errorf(core.InvalidArgument, "part index %d is too large", uint64(index))
			}
			body, err := callerBytes(data, n)
			if err != nil {
				return nil, err
			}
			return func(r *request) (result, error) { return result{}, u.up.PutPart(r.ctx, int(index), body) }, nil
		})
	})
}

//export objstoreGo_submit_upload_complete
func objstoreGo_submit_upload_complete(up unsafe.Pointer, id C.uint64_t, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		return submitOn(up, kindUpload, true, id, C.OBJSTORE_OP_UPLOAD_COMPLETE, func(u *upload) (runFunc, error) {
			if err := u.checkOpen(); err != nil {
				return nil, err
			}
			return func(r *request) (result, error) {
				res, err := u.up.Complete(r.ctx)
				if err != nil {
					return result{}, err
				}
				u.finished = true
				return putResultFill(res), nil
			}, nil
		})
	})
}

//export objstoreGo_submit_upload_abort
func objstoreGo_submit_upload_abort(up unsafe.Pointer, id C.uint64_t, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		return submitOn(up, kindUpload, true, id, C.OBJSTORE_OP_UPLOAD_ABORT, func(u *upload) (runFunc, error) {
			if err := u.checkOpen(); err != nil {
				return nil, err
			}
			return func(r *request) (result, error) {
				u.finished = true
				return result{}, u.up.Abort(r.ctx)
			}, nil
		})
	})
}
