package main

/*
#include "bigalloc.h"
*/
import "C"

import (
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// Large read buffers are kept mapped for a short while after they are
// freed: a fresh mapping costs the kernel about as much as the read that
// fills it (bigalloc.c), so a program reading large objects one after
// another (or a file per step) gets its next buffer with its pages present.
// The bytes left in a reused buffer are overwritten before anyone sees
// them: every reader fills the whole allocation (core.GetRangesWith zeroes
// what a clamped range leaves) or frees it.
const (
	bigBuffer       = uintptr(C.OBJSTORE_BIG_BUFFER)
	bigCacheBytes   = uintptr(1 << 30) // the most kept mapped at once
	bigCacheBuffers = 4                // and in how many buffers
	bigCacheIdle    = 2 * time.Second  // a buffer unused this long is unmapped
	bigCacheTick    = bigCacheIdle / 4 // how late an unused buffer may go
)

// populateStep is how much of a new large buffer one call populates.
const populateStep = uintptr(8 << 20)

var pageSize = uintptr(os.Getpagesize())

// populateUnsupported: the kernel has no MADV_POPULATE_WRITE (before 5.14);
// new large buffers are then populated by mmap itself.
var populateUnsupported atomic.Bool

// newBigBuffer returns a large buffer of size bytes (a page multiple): one
// kept mapped, or a new mapping whose first step is populated now and the
// rest on another thread, ahead of the read that fills it (which faults in
// whatever it reaches first). A zero cBlock if there is no memory.
func newBigBuffer(size uintptr) cBlock {
	if p := bigBuffers.take(size); p != nil {
		return cBlock{p: p, n: size}
	}
	if !populateUnsupported.Load() {
		p := C.objstoreInternal_map(C.size_t(size))
		if p == nil {
			return cBlock{}
		}
		first := min(size, populateStep)
		switch C.objstoreInternal_populate(p, C.size_t(first)) {
		case 0:
			b := cBlock{p: p, n: size}
			if first < size {
				b.filling = populate(p, first, size)
			}
			return b
		case C.int(syscall.EINVAL):
			populateUnsupported.Store(true)
		}
		C.objstoreInternal_free(p, C.size_t(size))
	}
	return cBlock{p: C.objstoreInternal_alloc(C.size_t(size)), n: size}
}

// populator populates the pages of a new large buffer in the background.
type populator struct {
	stop atomic.Bool
	done chan struct{}
}

// populate populates bytes [from, size) of the mapping at p, a step at a
// time, until done or halted; a failure (no memory) leaves the rest to
// the read's own page faults.
func populate(p unsafe.Pointer, from, size uintptr) *populator {
	f := &populator{done: make(chan struct{})}
	go func() {
		defer close(f.done)
		for off := from; off < size && !f.stop.Load(); off += populateStep {
			if C.objstoreInternal_populate(unsafe.Add(p, off), C.size_t(min(populateStep, size-off))) != 0 {
				return
			}
		}
	}()
	return f
}

// halt stops the populating and waits for its last step, so the mapping
// can be unmapped or reused (nil: nothing to stop).
func (f *populator) halt() {
	if f != nil {
		f.stop.Store(true)
		<-f.done
	}
}

// bigSize is the mapped size of a large buffer of n bytes: whole pages.
func bigSize(n uintptr) uintptr { return (n + pageSize - 1) &^ (pageSize - 1) }

type idleBuffer struct {
	cBlock
	freed time.Time
}

type bigCache struct {
	mu     sync.Mutex
	idle   []idleBuffer // oldest first
	bytes  uintptr
	expiry *time.Timer // armed while idle is not empty
}

var bigBuffers bigCache

// take returns a kept buffer of exactly size bytes (a page multiple of at
// least bigBuffer), cut from the smallest one large enough; nil if none is.
func (c *bigCache) take(size uintptr) unsafe.Pointer {
	c.mu.Lock()
	best := -1
	for i, b := range c.idle {
		if b.n >= size && (best < 0 || b.n < c.idle[best].n) {
			best = i
		}
	}
	if best < 0 {
		c.mu.Unlock()
		return nil
	}
	b := c.idle[best]
	c.idle = append(c.idle[:best], c.idle[best+1:]...)
	c.bytes -= b.n
	c.mu.Unlock()
	C.objstoreInternal_shrink(b.p, C.size_t(b.n), C.size_t(size))
	return b.p
}

// put keeps a freed large buffer, unmapping the oldest ones beyond the
// cache's bounds.
func (c *bigCache) put(b cBlock) {
	if b.n > bigCacheBytes {
		C.objstoreInternal_free(b.p, C.size_t(b.n))
		return
	}
	c.mu.Lock()
	c.idle = append(c.idle, idleBuffer{b, time.Now()})
	c.bytes += b.n
	var evicted []idleBuffer
	for c.bytes > bigCacheBytes || len(c.idle) > bigCacheBuffers {
		evicted = append(evicted, c.idle[0])
		c.bytes -= c.idle[0].n
		c.idle = c.idle[1:]
	}
	if c.expiry == nil {
		c.expiry = time.AfterFunc(bigCacheIdle, c.expire)
	}
	c.mu.Unlock()
	unmapAll(evicted)
}

// expire unmaps the buffers unused for bigCacheIdle (give or take a tick).
func (c *bigCache) expire() {
	c.mu.Lock()
	cut := time.Now().Add(-bigCacheIdle + bigCacheTick)
	n := 0
	for n < len(c.idle) && c.idle[n].freed.Before(cut) {
		c.bytes -= c.idle[n].n
		n++
	}
	evicted := append([]idleBuffer(nil), c.idle[:n]...)
	c.idle = append(c.idle[:0], c.idle[n:]...)
	if len(c.idle) == 0 {
		c.expiry = nil
	} else {
		c.expiry.Reset(time.Until(c.idle[0].freed.Add(bigCacheIdle)))
	}
	c.mu.Unlock()
	unmapAll(evicted)
}

func unmapAll(bs []idleBuffer) {
	for _, b := range bs {
		C.objstoreInternal_free(b.p, C.size_t(b.n))
	}
}
