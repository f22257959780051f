package main

/*
#include "capi.h"
*/
import "C"

import (
	"context"
	"sort"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/stores"
)

// objstore_get_many and its submit twin: the orchestration is
// core.GetMany; this file converts arguments and hands each item its own
// buffer handle over memory shared (reference-counted) by the items read
// together.

// sharedBlock is C memory that several buffer handles point into; it is
// freed with the last of them.
type sharedBlock struct {
	p    unsafe.Pointer
	n    uintptr
	refs atomic.Int32
}

func (b *sharedBlock) release() {
	if b.refs.Add(-1) == 0 {
		C.free(b.p)
		liveBufferBytes.Add(-int64(b.n))
	}
}

// blockSet is the allocator of one get_many: safe for the concurrent reads.
type blockSet struct {
	mu     sync.Mutex
	blocks []*sharedBlock
}

func (s *blockSet) alloc(n int) []byte {
	size := uintptr(max(n, 1))
	p := C.malloc(C.size_t(size))
	if p == nil {
		panic(outOfMemory(size))
	}
	liveBufferBytes.Add(int64(size))
	s.mu.Lock()
	s.blocks = append(s.blocks, &sharedBlock{p: p, n: size})
	s.mu.Unlock()
	return unsafe.Slice((*byte)(p), n)
}

// find returns the block b lies in (after the reads, blocks sorted).
func (s *blockSet) find(b []byte) *sharedBlock {
	start := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	i := sort.Search(len(s.blocks), func(i int) bool { return uintptr(s.blocks[i].p)+s.blocks[i].n > start })
	if i < len(s.blocks) {
		blk := s.blocks[i]
		if base := uintptr(blk.p); start >= base && start+uintptr(len(b)) <= base+blk.n {
			return blk
		}
	}
	return nil
}

func (s *blockSet) sortBlocks() {
	sort.Slice(s.blocks, func(i, j int) bool { return uintptr(s.blocks[i].p) < uintptr(s.blocks[j].p) })
}

// freeUnreferenced frees the blocks no handed-out buffer points into.
func (s *blockSet) freeUnreferenced() {
	for _, blk := range s.blocks {
		if blk.refs.Load() == 0 {
			blk.refs.Add(1)
			blk.release()
		}
	}
	s.blocks = nil
}

// manyBatch is one get_many: items that failed to parse are failed
// already; the others are read by run.
type manyBatch struct {
	errs    []error // per item
	reqs    []core.GetManyRequest
	reqAt   []int // item index of each of reqs
	opts    core.GetManyOptions
	strict  bool
	results []core.GetManyResult
	mem     blockSet
}

func parseManyBatch(paths **C.char, ranges *C.objstore_range, count C.size_t, maxConcurrency C.size_t, flags C.uint) (*manyBatch, error) {
	if flags&^C.OBJSTORE_GET_MANY_STRICT != 0 {
		return nil, core.Errorf(core.InvalidArgument, "unknown get_many flags %#x", uint(flags&^C.OBJSTORE_GET_MANY_STRICT))
	}
	if count > 0 && paths == nil {
		return nil, core.Errorf(core.InvalidArgument, "paths is NULL with %d items", uint64(count))
	}
	if uint64(maxConcurrency) > 1<<16 {
		return nil, core.Errorf(core.InvalidArgument, "max_concurrency %d is too large", uint64(maxConcurrency))
	}
	n := int(count)
	m := &manyBatch{errs: make([]error, n), strict: flags&C.OBJSTORE_GET_MANY_STRICT != 0}
	m.opts = core.GetManyOptions{Concurrency: int(maxConcurrency), StopOnError: m.strict}
	var rs []C.objstore_range
	if ranges != nil {
		rs = unsafe.Slice(ranges, n)
	}
	for i, s := range unsafe.Slice(paths, n) {
		p, err := parsePath(s)
		if err != nil {
			m.errs[i] = err
			continue
		}
		req := core.GetManyRequest{Path: p}
		if rs != nil {
			if req.Range, err = cRange(rs[i]); err != nil {
				m.errs[i] = core.Wrap(core.InvalidArgument, "", p, err)
				continue
			}
		}
		m.reqs = append(m.reqs, req)
		m.reqAt = append(m.reqAt, i)
	}
	return m, nil
}

func (m *manyBatch) run(ctx context.Context, s core.Store) {
	if m.strict && firstError(m.errs) != nil {
		return // a bad item fails the batch before anything is sent
	}
	m.results = core.GetMany(ctx, s, m.reqs, m.mem.alloc, m.opts)
	for j, res := range m.results {
		if res.Err != nil {
			m.errs[m.reqAt[j]] = res.Err
		}
	}
	m.mem.sortBlocks()
}

// rootCause is the first failure that is not a cancellation (which the
// failure that stopped a strict batch causes in the other items).
func rootCause(errs []error) error {
	for _, err := range errs {
		if err != nil && !core.IsKind(err, core.Cancelled) {
			return err
		}
	}
	return firstError(errs)
}

func firstError(errs []error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// hand fills the caller's arrays: a buffer handle per successful item
// (none in strict mode after a failure), codes and errors per item. It
// returns the batch's status.
func (m *manyBatch) hand(buffers *unsafe.Pointer, data **C.uint8_t, lens *C.size_t, codes *C.int, errs **C.objstore_error) error {
	n := len(m.errs)
	first := firstError(m.errs)
	if m.strict {
		first = rootCause(m.errs)
	}
	giveBuffers := !(m.strict && first != nil)
	okData := make([][]byte, n)
	ok := make([]bool, n)
	for j, res := range m.results {
		if res.Err == nil {
			okData[m.reqAt[j]], ok[m.reqAt[j]] = res.Data, true
		}
	}
	for i := range n {
		var handle unsafe.Pointer
		var ptr *C.uint8_t
		var size C.size_t
		if ok[i] && giveBuffers {
			d := okData[i]
			blk := m.mem.find(d)
			if blk == nil { // an empty result outside any block: give it its own
				d = m.mem.alloc(0)
				blk = m.mem.blocks[len(m.mem.blocks)-1]
			}
			blk.refs.Add(1)
			handle = newHandle(kindBuffer, &buffer{data: d}, blk.release)
			ptr, size = (*C.uint8_t)(unsafe.Pointer(unsafe.SliceData(d))), C.size_t(len(d))
		}
		unsafe.Slice(buffers, n)[i] = handle
		unsafe.Slice(data, n)[i] = ptr
		unsafe.Slice(lens, n)[i] = size
		if codes != nil {
			code := codeOK
			if m.errs[i] != nil {
				code = codeOf(m.errs[i])
			}
			unsafe.Slice(codes, n)[i] = C.int(code)
		}
		if errs != nil {
			var e *C.objstore_error
			if m.errs[i] != nil {
				e = newCError(codeOf(m.errs[i]), m.errs[i].Error())
			}
			unsafe.Slice(errs, n)[i] = e
		}
	}
	m.mem.freeUnreferenced()
	if m.strict {
		return first
	}
	return nil
}

func (m *manyBatch) discard() { m.mem.freeUnreferenced() }

func checkManyOuts(count C.size_t, buffers *unsafe.Pointer, data **C.uint8_t, lens *C.size_t) error {
	if count > 0 && (buffers == nil || data == nil || lens == nil) {
		return badHandlef("out-parameter buffers, data or lens is NULL with %d items", uint64(count))
	}
	return nil
}

func getManyOp(paths **C.char, ranges *C.objstore_range, count C.size_t, maxConcurrency C.size_t, flags C.uint) preparer[*stores.Handle, *manyBatch] {
	return func(h *stores.Handle) (op[*manyBatch], error) {
		m, err := parseManyBatch(paths, ranges, count, maxConcurrency, flags)
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context) (*manyBatch, error) {
			m.run(ctx, h.Store)
			return m, nil
		}, nil
	}
}

//export objstoreGo_get_many
func objstoreGo_get_many(store unsafe.Pointer, paths **C.char, ranges *C.objstore_range, count C.size_t, maxConcurrency C.size_t, flags C.uint, buffers *unsafe.Pointer, data **C.uint8_t, lens *C.size_t, codes *C.int, errs **C.objstore_error, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		if err := checkManyOuts(count, buffers, data, lens); err != nil {
			return err
		}
		return storeNow(store, getManyOp(paths, ranges, count, maxConcurrency, flags), func(m *manyBatch) error {
			return m.hand(buffers, data, lens, codes, errs)
		})
	})
}

//export objstoreGo_submit_get_many
func objstoreGo_submit_get_many(store unsafe.Pointer, paths **C.char, ranges *C.objstore_range, count C.size_t, maxConcurrency C.size_t, flags C.uint, buffers *unsafe.Pointer, data **C.uint8_t, lens *C.size_t, codes *C.int, errs **C.objstore_error, id C.uint64_t, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		if err := checkManyOuts(count, buffers, data, lens); err != nil {
			return err
		}
		return storeSubmit(store, id, C.OBJSTORE_OP_GET_MANY, getManyOp(paths, ranges, count, maxConcurrency, flags), output[*manyBatch]{
			fill: func(c *C.objstore_completion, m *manyBatch) {
				if status := m.hand(buffers, data, lens, codes, errs); status != nil {
					code := codeOf(status)
					c.code = C.int(code)
					c.error = newCError(code, status.Error())
				}
			},
			discard: func(m *manyBatch) { m.discard() },
		})
	})
}
