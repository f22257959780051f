package main

/*
#include "capi.h"
#include "bigalloc.h"
*/
import "C"

import (
	"math/bits"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/libobjstore/objstore/core"
)

// liveBufferBytes is the C memory held for read data (objstore_debug_stats).
var liveBufferBytes atomic.Int64

// cMemory hands out C memory for bodies to be read into directly (a
// core.Allocator) and remembers it so the buffer handle can free it. Most
// buffers have one block: it is kept inline.
type cMemory struct {
	first cBlock
	more  []cBlock
}

type cBlock struct {
	p       unsafe.Pointer
	n       uintptr
	filling *populator // a new large buffer's pages being populated
}

func (m *cMemory) alloc(n int) []byte {
	blk := allocBlock(uintptr(max(n, 1))) // malloc(0) may return NULL; data is never NULL
	if m.first.p == nil {
		m.first = blk
	} else {
		m.more = append(m.more, blk)
	}
	return unsafe.Slice((*byte)(blk.p), n)
}

// owns reports whether b lies in memory m handed out.
func (m *cMemory) owns(b []byte) bool {
	start := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	in := func(blk cBlock) bool {
		base := uintptr(blk.p)
		return blk.p != nil && start >= base && start+uintptr(len(b)) <= base+blk.n
	}
	if in(m.first) {
		return true
	}
	for _, blk := range m.more {
		if in(blk) {
			return true
		}
	}
	return false
}

func (m *cMemory) free() {
	if m.first.p != nil {
		freeBlock(m.first)
	}
	for _, blk := range m.more {
		freeBlock(blk)
	}
	m.first, m.more = cBlock{}, nil
}

// Small blocks come and go with every small read (a 1 KiB get is one
// block for its body and info): freed ones are kept for reuse, by size
// class (powers of two up to keptMax), which spares a cgo call to malloc
// and one to free per read. A class keeps at most keptPerClass blocks.
const (
	keptMinShift = 6 // 64 bytes
	keptMaxShift = 12
	keptMax      = 1 << keptMaxShift
	keptPerClass = 64
)

var keptBlocks [keptMaxShift - keptMinShift + 1]struct {
	sync.Mutex
	n      int
	blocks [keptPerClass]unsafe.Pointer
}

// sizeClass is the index in keptBlocks of blocks of size (at most keptMax)
// and the size they have.
func sizeClass(size uintptr) (int, uintptr) {
	shift := max(bits.Len(uint(size-1)), keptMinShift)
	return shift - keptMinShift, 1 << shift
}

func allocBlock(size uintptr) cBlock {
	if size >= bigBuffer {
		blk := newBigBuffer(bigSize(size))
		if blk.p == nil {
			panic(outOfMemory(size))
		}
		liveBufferBytes.Add(int64(blk.n))
		return blk
	}
	if size <= keptMax {
		class, classSize := sizeClass(size)
		k := &keptBlocks[class]
		k.Lock()
		if k.n > 0 {
			k.n--
			p := k.blocks[k.n]
			k.Unlock()
			liveBufferBytes.Add(int64(classSize))
			return cBlock{p: p, n: classSize}
		}
		k.Unlock()
		size = classSize
	}
	p := C.objstoreInternal_alloc(C.size_t(size))
	if p == nil {
		panic(outOfMemory(size))
	}
	liveBufferBytes.Add(int64(size))
	return cBlock{p: p, n: size}
}

func freeBlock(blk cBlock) {
	liveBufferBytes.Add(-int64(blk.n))
	if blk.n >= bigBuffer {
		blk.filling.halt()
		blk.filling = nil
		bigBuffers.put(blk)
		return
	}
	if blk.n <= keptMax {
		class, _ := sizeClass(blk.n)
		k := &keptBlocks[class]
		k.Lock()
		if k.n < keptPerClass {
			k.blocks[k.n] = blk.p
			k.n++
			k.Unlock()
			return
		}
		k.Unlock()
	}
	C.objstoreInternal_free(blk.p, C.size_t(blk.n))
}

// buffer is the value of an objstore_buffer: bytes in C memory, plus the
// metadata that came with them (objstore_get_bytes' info), freed together.
type buffer struct {
	mem  cMemory
	data []byte
	info cArena
}

// hand registers b and writes its handle and bytes to the out-parameters.
// data must be C memory from b.mem; anything else (an empty result the core
// did not allocate for) is copied in, since C may not hold Go memory.
func (b *buffer) hand(out *unsafe.Pointer, data **C.uint8_t, n *C.size_t) {
	if len(b.data) == 0 || !b.mem.owns(b.data) {
		own := b.mem.alloc(len(b.data))
		copy(own, b.data)
		b.data = own
	}
	*out = newHandle(kindBuffer, b, nil)
	if data != nil {
		*data = (*C.uint8_t)(unsafe.SliceData(b.data))
	}
	if n != nil {
		*n = C.size_t(len(b.data))
	}
}

// handBuffer registers b and puts it, and its bytes, in a completion.
func handBuffer(c *C.objstore_completion, b *buffer) {
	var p unsafe.Pointer
	b.hand(&p, &c.data, &c.len)
	c.buffer = (*C.objstore_buffer)(p)
}

// freeBuffer frees a buffer never handed out (nil: nothing).
func freeBuffer(b *buffer) {
	if b != nil {
		b.release()
	}
}

// release frees what the buffer holds (as its handle's releaser).
func (b *buffer) release() {
	b.mem.free()
	b.info.free()
}

//export objstoreGo_buffer_data
func objstoreGo_buffer_data(buf unsafe.Pointer, data **C.uint8_t, n *C.size_t) C.int {
	return callNoErr(func() error {
		if err := needOut("data", data == nil); err != nil {
			return err
		}
		if err := needOut("len", n == nil); err != nil {
			return err
		}
		return withHandle(buf, kindBuffer, false, func(b *buffer) error {
			*data = (*C.uint8_t)(unsafe.SliceData(b.data))
			*n = C.size_t(len(b.data))
			return nil
		})
	})
}

//export objstoreGo_buffer_free
func objstoreGo_buffer_free(buf unsafe.Pointer) C.int {
	return freeExport(buf, kindBuffer)
}

// objstoreGo_buffers_free frees n buffers in one crossing: a binding that
// drops many small bodies (a Python program doing small gets) pays one call
// for a batch instead of one each. Every entry is tried; the first error's
// code is returned.
//
//export objstoreGo_buffers_free
func objstoreGo_buffers_free(bufs *unsafe.Pointer, n C.size_t) C.int {
	if bufs == nil || n == 0 {
		return C.OBJSTORE_OK
	}
	first := C.int(C.OBJSTORE_OK)
	for _, p := range unsafe.Slice(bufs, int(n)) {
		if rc := freeExport(p, kindBuffer); rc != C.OBJSTORE_OK && first == C.OBJSTORE_OK {
			first = rc
		}
	}
	return first
}

// metaList is the value of an objstore_meta_list: C arrays of metadata and
// their strings, all in one arena.
type metaList struct {
	arena cArena
}

func newMetaList(l *metaList) unsafe.Pointer {
	return newHandle(kindMetaList, l, l.arena.free)
}

// handMetas puts metadata, in a new metadata list, in a completion.
func handMetas(c *C.objstore_completion, metas []core.ObjectMeta) {
	l := &metaList{}
	c.items = l.arena.metas(metas)
	c.n_items = C.size_t(len(metas))
	c.meta_list = (*C.objstore_meta_list)(newMetaList(l))
}

//export objstoreGo_meta_list_free
func objstoreGo_meta_list_free(l unsafe.Pointer) C.int {
	return freeExport(l, kindMetaList)
}
