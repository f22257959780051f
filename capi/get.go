package main

/*
#include "capi.h"
*/
import "C"

import (
	"context"
	"errors"
	"math"
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
	if err := checkStructVersion("objstore_get_options", uint(o.version), C.OBJSTORE_GET_OPTIONS_VERSION); err != nil {
		return opts, err
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
	*p = gi
	a.fillMeta(&p.meta, res.Meta)
	p.range_start = C.uint64_t(res.Start)
	p.range_end = C.uint64_t(res.End)
	p.attributes, p.attributes_len = a.kvs(res.Attributes)
	return p
}

// infoSize is about the room getInfo takes for res in a fresh arena (it
// takes more blocks if not).
func infoSize(res *core.GetResult) uintptr {
	var gi C.objstore_get_info
	var kv C.objstore_kv
	n := unsafe.Sizeof(gi) + uintptr(len(res.Meta.Location)+optLen(res.Meta.ETag)+optLen(res.Meta.Version)) + 1
	if len(res.Attributes) > 0 {
		n += unsafe.Alignof(kv) + uintptr(len(res.Attributes))*unsafe.Sizeof(kv)
		for k, v := range res.Attributes {
			n += uintptr(len(k) + len(v) + 2)
		}
	}
	return n
}

// getCall is a get of one path of a store, its arguments parsed. Blocking
// exports run it inline; submits wrap it in an op.
type getCall struct {
	h    *stores.Handle
	path core.Path
	opts core.GetOptions
}

func prepareGet(h *stores.Handle, path *C.char, o *C.objstore_get_options) (getCall, error) {
	p, err := parsePath(path)
	if err != nil {
		return getCall{}, err
	}
	opts, err := getOptions(o)
	return getCall{h, p, opts}, err
}

// ---- objstore_get / objstore_submit_get_reader: an open body ----

// reader is the value of an objstore_reader: an open body, read all at
// once or in chunks, the response metadata, and a share of the store,
// which stays open while the body is.
type reader struct {
	body    *core.BodyReader
	store   *stores.Handle
	cancel  context.CancelFunc // of the context the body is read with
	info    cArena
	infoPtr *C.objstore_get_info
}

func (r *reader) close() {
	r.body.Close()
	r.cancel()
	r.store.Close()
	r.info.free()
}

// opened is an open reader and, when the body was prefetched, its bytes.
// A bare get of a small body (objstore_get_small) has no reader: the info
// is in the fetched buffer's arena.
type opened struct {
	rd      *reader
	fetched *buffer
	info    *C.objstore_get_info // with rd == nil
}

// noPrefetch: objstore_get reads nothing of the body before it returns.
const noPrefetch = -1

// openReader prepares a get whose body is read later, through a reader (see
// getCall.open).
func openReader(path *C.char, o *C.objstore_get_options, prefetch int64, bare bool) preparer[*stores.Handle, opened] {
	return func(h *stores.Handle) (op[opened], error) {
		g, err := prepareGet(h, path, o)
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context) (opened, error) { return g.open(ctx, prefetch, bare) }, nil
	}
}

// noCancel is the cancel of a body read with a context that is never
// cancelled.
func noCancel() {}

// open starts the get: a body of at most prefetch bytes is read at once;
// with bare, such a body comes without a reader (nothing more to read, one
// handle fewer).
func (g getCall) open(ctx context.Context, prefetch int64, bare bool) (opened, error) {
	if ctx.Done() == nil {
		// A blocking call's context is never cancelled: a body read after
		// the call returns can use it as it is (closing the body is what
		// releases it), and a body read whole now needs nothing more.
		return g.openWith(ctx, noCancel, prefetch, bare)
	}
	// A request's body outlives the request: it is read with a context of
	// its own, cancelled when the reader is freed, and by the request's
	// until the request is done.
	bodyCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer context.AfterFunc(ctx, cancel)()
	res, err := g.openWith(bodyCtx, cancel, prefetch, bare)
	if err != nil || res.rd == nil {
		cancel()
	}
	return res, err
}

// openWith is open with the body's context and its cancel, which the
// reader (if any) owns.
func (g getCall) openWith(ctx context.Context, cancel context.CancelFunc, prefetch int64, bare bool) (opened, error) {
	res, err := g.h.Store.Get(ctx, g.path, g.opts)
	if err != nil {
		return opened{}, err
	}
	small := prefetch >= 0 && res.Len() <= uint64(prefetch)
	if bare && small {
		b, err := wholeBody(res, true)
		return opened{fetched: b.b, info: b.info}, err
	}
	rd := &reader{body: core.NewBodyReader(res), cancel: cancel}
	rd.infoPtr = getInfo(&rd.info, res)
	var fetched *buffer
	if small {
		if fetched, err = readRest(rd.body); err != nil {
			rd.body.Close()
			rd.info.free()
			return opened{}, err
		}
	}
	rd.store = g.h.Share()
	return opened{rd: rd, fetched: fetched}, nil
}

func newReaderHandle(rd *reader) unsafe.Pointer { return newHandle(kindReader, rd, rd.close) }

//export objstoreGo_get
func objstoreGo_get(store unsafe.Pointer, path *C.char, opts *C.objstore_get_options, out *unsafe.Pointer, info **C.objstore_get_info, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		if err := needOut("out", out == nil); err != nil {
			return err
		}
		return storeNow(store, openReader(path, opts, noPrefetch, false), func(g opened) error {
			*out = newReaderHandle(g.rd)
			if info != nil {
				*info = g.rd.infoPtr
			}
			return nil
		})
	})
}

//export objstoreGo_get_small
func objstoreGo_get_small(store unsafe.Pointer, path *C.char, opts *C.objstore_get_options, limit C.size_t, reader *unsafe.Pointer, out *unsafe.Pointer, data **C.uint8_t, n *C.size_t, info **C.objstore_get_info, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		if err := needOut("reader", reader == nil); err != nil {
			return err
		}
		if err := needBufferOuts(out, data, n); err != nil {
			return err
		}
		prefetch := int64(min(uint64(limit), math.MaxInt64))
		return withStore(store, func(h *stores.Handle) error {
			call, err := prepareGet(h, path, opts)
			if err != nil {
				return err
			}
			g, err := call.open(requestContext(), prefetch, true)
			if err != nil {
				return err
			}
			if g.rd != nil {
				*reader, *out, *data, *n = newReaderHandle(g.rd), nil, nil, 0
				if info != nil {
					*info = g.rd.infoPtr
				}
				return nil
			}
			*reader = nil
			g.fetched.hand(out, data, n)
			if info != nil {
				*info = g.info
			}
			return nil
		})
	})
}

//export objstoreGo_submit_get_reader
func objstoreGo_submit_get_reader(store unsafe.Pointer, path *C.char, o *C.objstore_get_options, prefetchMax C.size_t, id C.uint64_t, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		prefetch := int64(min(uint64(prefetchMax), math.MaxInt64))
		return storeSubmit(store, id, C.OBJSTORE_OP_GET_READER, openReader(path, o, prefetch, false), output[opened]{
			fill: func(c *C.objstore_completion, g opened) {
				c.reader = (*C.objstore_reader)(newReaderHandle(g.rd))
				c.info = g.rd.infoPtr
				if g.fetched != nil {
					handBuffer(c, g.fetched)
				}
			},
			discard: func(g opened) { g.rd.close(); freeBuffer(g.fetched) },
		})
	})
}

//export objstoreGo_reader_free
func objstoreGo_reader_free(rd unsafe.Pointer) C.int {
	return freeExport(rd, kindReader)
}

// ---- reading a reader: all of the rest, or the next chunk ----

// readRest reads the rest of a body into one buffer (empty at the end).
func readRest(body *core.BodyReader) (*buffer, error) {
	b := &buffer{}
	data, err := body.Rest(b.mem.alloc)
	if err != nil {
		b.mem.free()
		return nil, err
	}
	b.data = data
	return b, nil
}

func readAllOp(r *reader) (op[*buffer], error) {
	return func(context.Context) (*buffer, error) { return readRest(r.body) }, nil
}

// readChunkOp reads the next chunk of at least minSize bytes (0: the
// default); nil at the end of the body.
func readChunkOp(minSize C.size_t) preparer[*reader, *buffer] {
	size := uint64(minSize)
	if size == 0 {
		size = defaultChunkSize
	}
	return func(r *reader) (op[*buffer], error) {
		return func(context.Context) (*buffer, error) {
			b := &buffer{}
			chunk, err := r.body.Next(size, b.mem.alloc)
			if err != nil || chunk == nil {
				b.mem.free()
				return nil, err
			}
			b.data = chunk
			return b, nil
		}, nil
	}
}

// readIntoOp reads the next bytes of the body straight into the caller's
// memory, as many as it holds (fewer only at the end of the body; 0 there).
func readIntoOp(dst *C.uint8_t, size C.size_t) preparer[*reader, int] {
	return func(r *reader) (op[int], error) {
		into, err := callerBytes(dst, size)
		if err != nil {
			return nil, err
		}
		return func(context.Context) (int, error) {
			if len(into) == 0 {
				return 0, nil
			}
			got, err := r.body.Next(uint64(len(into)), func(n int) []byte { return into[:n] })
			return len(got), err
		}, nil
	}
}

//export objstoreGo_reader_read_into
func objstoreGo_reader_read_into(rd unsafe.Pointer, dst *C.uint8_t, size C.size_t, n *C.size_t, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		if err := needOut("n", n == nil); err != nil {
			return err
		}
		return runNow(rd, kindReader, true, readIntoOp(dst, size), func(got int) error {
			*n = C.size_t(got)
			return nil
		})
	})
}

// handRead hands a buffer read from a reader to out-parameters; nil (the
// end of the body) as NULL and 0.
func handRead(out *unsafe.Pointer, data **C.uint8_t, n *C.size_t) func(b *buffer) error {
	return func(b *buffer) error {
		if b == nil {
			*out, *data, *n = nil, nil, 0
			return nil
		}
		b.hand(out, data, n)
		return nil
	}
}

// bufferOut hands a buffer read by a request to its completion (none at
// the end of a body).
var bufferOut = output[*buffer]{
	fill: func(c *C.objstore_completion, b *buffer) {
		if b != nil {
			handBuffer(c, b)
		}
	},
	discard: freeBuffer,
}

//export objstoreGo_reader_read_all
func objstoreGo_reader_read_all(rd unsafe.Pointer, out *unsafe.Pointer, data **C.uint8_t, n *C.size_t, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		if err := needBufferOuts(out, data, n); err != nil {
			return err
		}
		return runNow(rd, kindReader, true, readAllOp, handRead(out, data, n))
	})
}

//export objstoreGo_submit_reader_read_all
func objstoreGo_submit_reader_read_all(rd unsafe.Pointer, id C.uint64_t, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		return submitOp(rd, kindReader, true, id, C.OBJSTORE_OP_READ_ALL, readAllOp, bufferOut)
	})
}

//export objstoreGo_reader_read_chunk
func objstoreGo_reader_read_chunk(rd unsafe.Pointer, minSize C.size_t, out *unsafe.Pointer, data **C.uint8_t, n *C.size_t, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		if err := needBufferOuts(out, data, n); err != nil {
			return err
		}
		return runNow(rd, kindReader, true, readChunkOp(minSize), handRead(out, data, n))
	})
}

//export objstoreGo_submit_reader_read_chunk
func objstoreGo_submit_reader_read_chunk(rd unsafe.Pointer, minSize C.size_t, id C.uint64_t, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		return submitOp(rd, kindReader, true, id, C.OBJSTORE_OP_READ_CHUNK, readChunkOp(minSize), bufferOut)
	})
}

func needBufferOuts(out *unsafe.Pointer, data **C.uint8_t, n *C.size_t) error {
	return errors.Join(needOut("out", out == nil), needOut("data", data == nil), needOut("len", n == nil))
}

// ---- objstore_get_bytes / objstore_submit_get: a whole body ----

// gotBytes is a body read whole, with the response's metadata (owned by
// the buffer) when it was asked for.
type gotBytes struct {
	b    *buffer
	info *C.objstore_get_info
}

func getBytes(path *C.char, o *C.objstore_get_options, wantInfo bool) preparer[*stores.Handle, gotBytes] {
	return func(h *stores.Handle) (op[gotBytes], error) {
		g, err := prepareGet(h, path, o)
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context) (gotBytes, error) { return g.bytes(ctx, wantInfo) }, nil
	}
}

// bytes runs the get and reads the whole body.
func (g getCall) bytes(ctx context.Context, wantInfo bool) (gotBytes, error) {
	res, err := g.h.Store.Get(ctx, g.path, g.opts)
	if err != nil {
		return gotBytes{}, err
	}
	return wholeBody(res, wantInfo)
}

// wholeBody reads (and closes) res's body into a new buffer, with the info
// in its arena when wanted: for a body under smallBody, in the same C
// allocation, after the body (one malloc and one free instead of two).
func wholeBody(res *core.GetResult, wantInfo bool) (gotBytes, error) {
	b := &buffer{}
	alloc := b.mem.alloc
	if wantInfo && res.Len() < smallBody {
		alloc = func(n int) []byte {
			room := (uintptr(n) + 7) &^ 7 // the info is 8-byte aligned
			whole := b.mem.alloc(int(room + infoSize(res)))
			b.info.lend(unsafe.Add(unsafe.Pointer(unsafe.SliceData(whole)), room), uintptr(len(whole))-room)
			return whole[:n:n]
		}
	}
	body, err := core.ReadAll(res, alloc)
	if err != nil {
		freeBuffer(b)
		return gotBytes{}, err
	}
	b.data = body
	var info *C.objstore_get_info
	if wantInfo {
		info = getInfo(&b.info, res)
	}
	return gotBytes{b, info}, nil
}

// smallBody is the size under which a body and its info share one
// allocation.
const smallBody = 64 << 10

//export objstoreGo_get_bytes
func objstoreGo_get_bytes(store unsafe.Pointer, path *C.char, opts *C.objstore_get_options, out *unsafe.Pointer, data **C.uint8_t, n *C.size_t, info **C.objstore_get_info, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		if err := needBufferOuts(out, data, n); err != nil {
			return err
		}
		return withStore(store, func(h *stores.Handle) error {
			call, err := prepareGet(h, path, opts)
			if err != nil {
				return err
			}
			g, err := call.bytes(requestContext(), info != nil)
			if err != nil {
				return err
			}
			g.b.hand(out, data, n)
			if info != nil {
				*info = g.info
			}
			return nil
		})
	})
}

//export objstoreGo_submit_get
func objstoreGo_submit_get(store unsafe.Pointer, path *C.char, o *C.objstore_get_options, flags C.uint, id C.uint64_t, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		get := getBytes(path, o, flags&C.OBJSTORE_SUBMIT_INFO != 0)
		return storeSubmit(store, id, C.OBJSTORE_OP_GET, func(h *stores.Handle) (op[gotBytes], error) {
			if unknown := flags &^ C.OBJSTORE_SUBMIT_INFO; unknown != 0 {
				return nil, core.Errorf(core.InvalidArgument, "unknown submit_get flags %#x", uint(unknown))
			}
			return get(h)
		}, output[gotBytes]{
			fill:    func(c *C.objstore_completion, g gotBytes) { handBuffer(c, g.b); c.info = g.info },
			discard: func(g gotBytes) { freeBuffer(g.b) },
		})
	})
}

// ---- objstore_get_ranges / objstore_submit_get_ranges ----

// rangesRead is the bytes of several ranges of one object in one buffer,
// and a view into it per range.
type rangesRead struct {
	b     *buffer
	views [][]byte
}

// getRanges prepares a read of count bounded ranges [starts[i], ends[i])
// of path, coalesced with the C ABI's gap; the caller's data and lens
// arrays receive the views.
func getRanges(path *C.char, starts, ends *C.uint64_t, count C.size_t, gap C.uint64_t, data **C.uint8_t, lens *C.size_t) preparer[*stores.Handle, rangesRead] {
	return func(h *stores.Handle) (op[rangesRead], error) {
		if count > 0 && (starts == nil || ends == nil || data == nil || lens == nil) {
			return nil, core.Errorf(core.InvalidArgument, "starts, ends, data or lens is NULL with %d ranges", uint64(count))
		}
		p, err := parsePath(path)
		if err != nil {
			return nil, err
		}
		ranges := make([]core.Range, int(count))
		for i := range ranges {
			ranges[i] = core.Bounded(uint64(unsafe.Slice(starts, count)[i]), uint64(unsafe.Slice(ends, count)[i]))
			if err := ranges[i].Validate(); err != nil {
				return nil, err
			}
		}
		return func(ctx context.Context) (rangesRead, error) {
			b := &buffer{}
			alloc := func(size int) []byte { // called once, for all ranges
				b.data = b.mem.alloc(size)
				return b.data
			}
			views, err := core.GetRangesWith(ctx, h.Store, p, ranges, alloc, core.RangeOptions{Coalesce: coalesceGap(gap)})
			if err != nil {
				b.mem.free()
				return rangesRead{}, err
			}
			return rangesRead{b, views}, nil
		}, nil
	}
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

// setViews writes where each view lies in b (handed out already) to the
// caller's data and lens arrays.
func (r rangesRead) setViews(data **C.uint8_t, lens *C.size_t) {
	count := len(r.views)
	for i, v := range r.views {
		ptr := unsafe.SliceData(r.b.data)
		if len(v) > 0 {
			ptr = unsafe.SliceData(v)
		}
		unsafe.Slice(data, count)[i] = (*C.uint8_t)(ptr)
		unsafe.Slice(lens, count)[i] = C.size_t(len(v))
	}
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
		}
		return storeNow(store, getRanges(path, starts, ends, count, gap, data, lens), func(r rangesRead) error {
			r.b.hand(out, nil, nil)
			r.setViews(data, lens)
			return nil
		})
	})
}

//export objstoreGo_submit_get_ranges
func objstoreGo_submit_get_ranges(store unsafe.Pointer, path *C.char, starts, ends *C.uint64_t, count C.size_t, gap C.uint64_t, data **C.uint8_t, lens *C.size_t, id C.uint64_t, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		return storeSubmit(store, id, C.OBJSTORE_OP_GET_RANGES, getRanges(path, starts, ends, count, gap, data, lens), output[rangesRead]{
			fill: func(c *C.objstore_completion, r rangesRead) {
				var out unsafe.Pointer
				r.b.hand(&out, nil, nil)
				c.buffer = (*C.objstore_buffer)(out)
				r.setViews(data, lens)
			},
			discard: func(r rangesRead) { freeBuffer(r.b) },
		})
	})
}

// ---- objstore_head / objstore_submit_head ----

func headOp(path *C.char) preparer[*stores.Handle, core.ObjectMeta] {
	return onPath(path, func(ctx context.Context, s core.Store, p core.Path) (core.ObjectMeta, error) { return s.Head(ctx, p) })
}

//export objstoreGo_head
func objstoreGo_head(store unsafe.Pointer, path *C.char, out *unsafe.Pointer, items **C.objstore_object_meta, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		if err := errors.Join(needOut("out", out == nil), needOut("items", items == nil)); err != nil {
			return err
		}
		return storeNow(store, headOp(path), func(meta core.ObjectMeta) error {
			l := &metaList{}
			*items = l.arena.metas([]core.ObjectMeta{meta})
			*out = newMetaList(l)
			return nil
		})
	})
}

// callerStrings hands out NUL-terminated copies of strings from a
// caller's buffer (objstore_head_into), which is large enough for them.
type callerStrings struct {
	buf  []byte
	used int
}

func (c *callerStrings) str(s string) *C.char {
	p := &c.buf[c.used]
	copy(c.buf[c.used:], s)
	c.buf[c.used+len(s)] = 0
	c.used += len(s) + 1
	return (*C.char)(unsafe.Pointer(p))
}

func (c *callerStrings) optStr(s string) *C.char {
	if s == "" {
		return nil
	}
	return c.str(s)
}

// optLen is the room optStr takes for s.
func optLen(s string) int {
	if s == "" {
		return 0
	}
	return len(s) + 1
}

//export objstoreGo_head_into
func objstoreGo_head_into(store unsafe.Pointer, path *C.char, meta *C.objstore_object_meta, strs *C.char, capacity C.size_t, needed *C.size_t, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		if err := errors.Join(needOut("meta", meta == nil), needOut("needed", needed == nil), needOut("strings", strs == nil && capacity > 0)); err != nil {
			return err
		}
		return withStore(store, func(h *stores.Handle) error {
			p, err := parsePath(path)
			if err != nil {
				return err
			}
			m, err := h.Store.Head(requestContext(), p)
			if err != nil {
				return err
			}
			n := len(m.Location) + 1 + optLen(m.ETag) + optLen(m.Version)
			*needed = C.size_t(n)
			if uint64(n) > uint64(capacity) {
				return nil // the caller asks again with room enough
			}
			c := callerStrings{buf: unsafe.Slice((*byte)(unsafe.Pointer(strs)), n)}
			meta.location = c.str(string(m.Location))
			meta.e_tag = c.optStr(m.ETag)
			meta.version = c.optStr(m.Version)
			meta.size = C.uint64_t(m.Size)
			meta.last_modified_ns = nsFromTime(m.LastModified)
			return nil
		})
	})
}

//export objstoreGo_submit_head
func objstoreGo_submit_head(store unsafe.Pointer, path *C.char, id C.uint64_t, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		return storeSubmit(store, id, C.OBJSTORE_OP_HEAD, headOp(path), output[core.ObjectMeta]{
			fill: func(c *C.objstore_completion, meta core.ObjectMeta) { handMetas(c, []core.ObjectMeta{meta}) },
		})
	})
}
