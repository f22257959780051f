package main

/*
#include "capi.h"
*/
import "C"

import (
	"context"
	"errors"
	"fmt"
	"io"
	"unsafe"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/stores"
)

// defaultChunkSize is objstore_reader_read_chunk's size when min_size is 0.
const defaultChunkSize = 1 << 20

func getOptions(o *C.objstore_get_options) (core.GetOptions, error) {
	var opts core.GetOptions
	if o == nil {
		return opts, nil
	}
	if o.version != C.OBJSTORE_GET_OPTIONS_VERSION {
		return opts, core.Errorf(core.InvalidArgument, "objstore_get_options.version is %d, expected %d", uint(o.version), C.OBJSTORE_GET_OPTIONS_VERSION)
	}
	const known = C.OBJSTORE_GET_HEAD | C.OBJSTORE_GET_IF_MODIFIED_SINCE | C.OBJSTORE_GET_IF_UNMODIFIED_SINCE
	flags := uint(o.flags)
	if flags&^known != 0 {
		return opts, core.Errorf(core.InvalidArgument, "unknown get option flags %#x", flags&^known)
	}
	opts.Head = flags&C.OBJSTORE_GET_HEAD != 0
	opts.IfMatch = goStringOr(o.if_match, "")
	opts.IfNoneMatch = goStringOr(o.if_none_match, "")
	if flags&C.OBJSTORE_GET_IF_MODIFIED_SINCE != 0 {
		opts.IfModifiedSince = timeFromNs(o.if_modified_since_ns)
	}
	if flags&C.OBJSTORE_GET_IF_UNMODIFIED_SINCE != 0 {
		opts.IfUnmodifiedSince = timeFromNs(o.if_unmodified_since_ns)
	}
	opts.Version = goStringOr(o.object_version, "")
	rng, err := cRange(o._range)
	if err != nil {
		return opts, err
	}
	opts.Range = rng
	return opts, nil
}

// cRange converts an objstore_range; NONE is nil (the whole object).
func cRange(r C.objstore_range) (*core.Range, error) {
	var rng core.Range
	switch r.kind {
	case C.OBJSTORE_RANGE_NONE:
		return nil, nil
	case C.OBJSTORE_RANGE_BOUNDED:
		rng = core.Bounded(uint64(r.start), uint64(r.end))
	case C.OBJSTORE_RANGE_OFFSET:
		rng = core.Offset(uint64(r.start))
	case C.OBJSTORE_RANGE_SUFFIX:
		rng = core.Suffix(uint64(r.length))
	default:
		return nil, core.Errorf(core.InvalidArgument, "unknown range kind %d", int(r.kind))
	}
	if err := rng.Validate(); err != nil {
		return nil, err
	}
	return &rng, nil
}

// getInfo copies what a response told about the object into the arena.
func getInfo(a *cArena, res *core.GetResult) *C.objstore_get_info {
	var gi C.objstore_get_info
	p := (*C.objstore_get_info)(a.alloc(unsafe.Sizeof(gi), unsafe.Alignof(gi)))
	a.fillMeta(&p.meta, res.Meta)
	p.range_start = C.uint64_t(res.Start)
	p.range_end = C.uint64_t(res.End)
	p.attributes, p.attributes_len = a.kvs(res.Attributes)
	return p
}

// startGet parses the arguments of a get and sends it.
func startGet(h *stores.Handle, path *C.char, o *C.objstore_get_options) (*core.GetResult, error) {
	p, err := parsePath(path)
	if err != nil {
		return nil, err
	}
	opts, err := getOptions(o)
	if err != nil {
		return nil, err
	}
	return h.Store.Get(requestContext(), p, opts)
}

// reader is the value of an objstore_reader: an open body, read either all
// at once or in chunks, and the response metadata it owns.
type reader struct {
	res      *core.GetResult
	consumed uint64 // body bytes handed out so far
	done     bool   // body read to its end (and closed)
	info     cArena
	infoPtr  *C.objstore_get_info
}

func (r *reader) close() {
	if !r.done {
		r.res.Body.Close()
		r.done = true
	}
	r.info.free()
}

//export objstoreGo_get
func objstoreGo_get(store unsafe.Pointer, path *C.char, opts *C.objstore_get_options, out *unsafe.Pointer, info **C.objstore_get_info, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		if err := needOut("out", out == nil); err != nil {
			return err
		}
		return withStore(store, func(h *stores.Handle) error {
			res, err := startGet(h, path, opts)
			if err != nil {
				return err
			}
			r := &reader{res: res}
			r.infoPtr = getInfo(&r.info, res)
			*out = newHandle(kindReader, r, r.close)
			if info != nil {
				*info = r.infoPtr
			}
			return nil
		})
	})
}

//export objstoreGo_reader_read_all
func objstoreGo_reader_read_all(rd unsafe.Pointer, out *unsafe.Pointer, data **C.uint8_t, n *C.size_t, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		if err := needBufferOuts(out, data, n); err != nil {
			return err
		}
		return withHandle(rd, kindReader, true, func(r *reader) error {
			b, err := r.readAll()
			if err != nil {
				return err
			}
			b.hand(out, data, n)
			return nil
		})
	})
}

// readAll reads the rest of the body into one buffer (empty at the end).
func (r *reader) readAll() (*buffer, error) {
	b := &buffer{}
	if !r.done {
		rest := *r.res // the part of the body not yet handed out
		rest.Start += r.consumed
		r.done, r.consumed = true, r.res.Len() // ReadAll closes the body
		body, err := core.ReadAll(&rest, b.mem.alloc)
		if err != nil {
			b.mem.free()
			return nil, err
		}
		b.data = body
	}
	return b, nil
}

//export objstoreGo_reader_read_chunk
func objstoreGo_reader_read_chunk(rd unsafe.Pointer, minSize C.size_t, out *unsafe.Pointer, data **C.uint8_t, n *C.size_t, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		if err := needBufferOuts(out, data, n); err != nil {
			return err
		}
		return withHandle(rd, kindReader, true, func(r *reader) error {
			b, err := r.readChunk(uint64(minSize))
			if err != nil {
				return err
			}
			if b == nil {
				*out, *data, *n = nil, nil, 0
				return nil
			}
			b.hand(out, data, n)
			return nil
		})
	})
}

// readChunk reads the next chunk of at least minSize bytes (0: the
// default); nil at the end of the body.
func (r *reader) readChunk(minSize uint64) (*buffer, error) {
	remaining := r.res.Len() - r.consumed
	if r.done || remaining == 0 {
		if !r.done {
			r.res.Body.Close()
			r.done = true
		}
		return nil, nil
	}
	size := minSize
	if size == 0 {
		size = defaultChunkSize
	}
	size = min(size, remaining)
	b := &buffer{}
	chunk := b.mem.alloc(int(size))
	if got, err := io.ReadFull(r.res.Body, chunk); err != nil {
		b.mem.free()
		r.res.Body.Close()
		r.done = true
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, &core.Error{Kind: core.Generic, Path: string(r.res.Meta.Location),
				Msg: fmt.Sprintf("body ended after %d of %d bytes", r.consumed+uint64(got), r.res.Len())}
		}
		return nil, core.Wrap(core.Generic, "", r.res.Meta.Location, err)
	}
	r.consumed += size
	b.data = chunk
	return b, nil
}

func needBufferOuts(out *unsafe.Pointer, data **C.uint8_t, n *C.size_t) error {
	return errors.Join(needOut("out", out == nil), needOut("data", data == nil), needOut("len", n == nil))
}

//export objstoreGo_reader_free
func objstoreGo_reader_free(rd unsafe.Pointer) C.int {
	return callNoErr(func() error { return freeHandle(rd, kindReader) })
}

//export objstoreGo_get_bytes
func objstoreGo_get_bytes(store unsafe.Pointer, path *C.char, opts *C.objstore_get_options, out *unsafe.Pointer, data **C.uint8_t, n *C.size_t, info **C.objstore_get_info, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		if err := needBufferOuts(out, data, n); err != nil {
			return err
		}
		return withStore(store, func(h *stores.Handle) error {
			res, err := startGet(h, path, opts)
			if err != nil {
				return err
			}
			b, infoPtr, err := readBody(res, info != nil)
			if err != nil {
				return err
			}
			b.hand(out, data, n)
			if info != nil {
				*info = infoPtr
			}
			return nil
		})
	})
}

// readBody reads a whole response body into a buffer, with the response's
// metadata (owned by the buffer) when wantInfo.
func readBody(res *core.GetResult, wantInfo bool) (*buffer, *C.objstore_get_info, error) {
	b := &buffer{}
	var infoPtr *C.objstore_get_info
	if wantInfo {
		infoPtr = getInfo(&b.info, res)
	}
	body, err := core.ReadAll(res, b.mem.alloc)
	if err != nil {
		b.mem.free()
		b.info.free()
		return nil, nil, err
	}
	b.data = body
	return b, infoPtr, nil
}

//export objstoreGo_get_ranges
func objstoreGo_get_ranges(store unsafe.Pointer, path *C.char, starts, ends *C.uint64_t, count C.size_t, gap C.uint64_t, out *unsafe.Pointer, data **C.uint8_t, lens *C.size_t, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		if err := needOut("out", out == nil); err != nil {
			return err
		}
		if count > 0 {
			if err := errors.Join(needOut("data", data == nil), needOut("lens", lens == nil)); err != nil {
				return err
			}
			if starts == nil || ends == nil {
				return core.Errorf(core.InvalidArgument, "starts or ends is NULL with %d ranges", uint64(count))
			}
		}
		return withStore(store, func(h *stores.Handle) error {
			p, err := parsePath(path)
			if err != nil {
				return err
			}
			ranges := boundedRanges(starts, ends, count)
			b, views, err := getRanges(requestContext(), h.Store, p, ranges, coalesceGap(gap))
			if err != nil {
				return err
			}
			b.hand(out, nil, nil)
			b.setViews(views, data, lens)
			return nil
		})
	})
}

func boundedRanges(starts, ends *C.uint64_t, count C.size_t) []core.Range {
	ranges := make([]core.Range, int(count))
	for i := range ranges {
		ranges[i] = core.Bounded(uint64(unsafe.Slice(starts, count)[i]), uint64(unsafe.Slice(ends, count)[i]))
	}
	return ranges
}

// coalesceDefault, as the gap of the glue functions, is what
// objstore_get_ranges (no gap argument) passes: object_store's 1 MiB.
const coalesceDefault = C.uint64_t(^uint64(0))

// coalesceGap is the core option for a gap of the C ABI (whose 0 means no
// gap, while core's zero value means the default).
func coalesceGap(gap C.uint64_t) uint64 {
	switch gap {
	case coalesceDefault:
		return 0
	case 0:
		return core.NoCoalesceGap
	}
	return uint64(gap)
}

// getRanges reads ranges of one object into one buffer; the views point
// into it.
func getRanges(ctx context.Context, s core.Store, p core.Path, ranges []core.Range, gap uint64) (*buffer, [][]byte, error) {
	b := &buffer{}
	alloc := func(size int) []byte { // called once, for all ranges
		b.data = b.mem.alloc(size)
		return b.data
	}
	views, err := core.GetRangesWith(ctx, s, p, ranges, alloc, core.RangeOptions{Coalesce: gap})
	if err != nil {
		b.mem.free()
		return nil, nil, err
	}
	return b, views, nil
}

// setViews writes where each view lies in b (handed out already) to the
// caller's data and lens arrays.
func (b *buffer) setViews(views [][]byte, data **C.uint8_t, lens *C.size_t) {
	count := len(views)
	for i, v := range views {
		ptr := unsafe.SliceData(b.data)
		if len(v) > 0 {
			ptr = unsafe.SliceData(v)
		}
		unsafe.Slice(data, count)[i] = (*C.uint8_t)(ptr)
		unsafe.Slice(lens, count)[i] = C.size_t(len(v))
	}
}

//export objstoreGo_head
func objstoreGo_head(store unsafe.Pointer, path *C.char, out *unsafe.Pointer, items **C.objstore_object_meta, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		if err := errors.Join(needOut("out", out == nil), needOut("items", items == nil)); err != nil {
			return err
		}
		return withStore(store, func(h *stores.Handle) error {
			p, err := parsePath(path)
			if err != nil {
				return err
			}
			meta, err := h.Store.Head(requestContext(), p)
			if err != nil {
				return err
			}
			l := &metaList{}
			*items = l.arena.metas([]core.ObjectMeta{meta})
			*out = newMetaList(l)
			return nil
		})
	})
}
