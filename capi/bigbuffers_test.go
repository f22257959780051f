package main

import (
	"testing"
	"time"
	"unsafe"
)

func idleBuffers() (int, uintptr) {
	bigBuffers.mu.Lock()
	defer bigBuffers.mu.Unlock()
	return len(bigBuffers.idle), bigBuffers.bytes
}

// unmapIdle unmaps every kept buffer now.
func unmapIdle() {
	bigBuffers.mu.Lock()
	idle := bigBuffers.idle
	bigBuffers.idle, bigBuffers.bytes = nil, 0
	bigBuffers.mu.Unlock()
	unmapAll(idle)
}

// A new large buffer can be written whole at once while its pages are
// being populated, and freeing it stops the populating first.
func TestNewBigBufferPopulatedBehindTheReader(t *testing.T) {
	unmapIdle()
	var m cMemory
	b := m.alloc(64 << 20)
	for i := range b {
		b[i] = byte(i)
	}
	for i := range b {
		if b[i] != byte(i) {
			t.Fatalf("byte %d changed while the buffer was populated", i)
		}
	}
	f := m.first.filling
	if f == nil && !populateUnsupported.Load() {
		t.Fatal("a new 64 MiB buffer has no populator")
	}
	m.free()
	if f != nil {
		select {
		case <-f.done:
		default:
			t.Fatal("the buffer was freed while its populator ran")
		}
	}
	unmapIdle()
}

// A freed large buffer serves the next large allocation it can hold (cut
// to size), the cache stays within its bounds, and what nobody takes is
// unmapped once idle.
func TestBigBuffersReusedBoundedAndReleased(t *testing.T) {
	unmapIdle()
	var first cMemory
	b := first.alloc(int(bigBuffer) + 1<<20)
	b[len(b)-1] = 1 // mapped and writable to its last byte
	p := unsafe.Pointer(&b[0])
	first.free()
	if n, bytes := idleBuffers(); n != 1 || bytes != bigSize(bigBuffer+1<<20) {
		t.Fatalf("after a free: %d idle buffers of %d bytes", n, bytes)
	}

	var second cMemory
	c := second.alloc(int(bigBuffer) + 1)
	if unsafe.Pointer(&c[0]) != p {
		t.Fatal("the freed buffer was not reused")
	}
	if second.first.n != bigSize(bigBuffer+1) {
		t.Fatalf("reused buffer is %d bytes, want %d", second.first.n, bigSize(bigBuffer+1))
	}
	c[len(c)-1] = 2
	if n, _ := idleBuffers(); n != 0 {
		t.Fatalf("%d idle buffers while the only one is in use", n)
	}
	second.free()

	var many [bigCacheBuffers + 2]cMemory
	for i := range many {
		many[i].alloc(int(bigBuffer))
	}
	for i := range many {
		many[i].free()
	}
	if n, bytes := idleBuffers(); n > bigCacheBuffers || bytes > bigCacheBytes {
		t.Fatalf("%d idle buffers of %d bytes kept, bounds are %d and %d", n, bytes, bigCacheBuffers, bigCacheBytes)
	}

	deadline := time.Now().Add(bigCacheIdle + 10*time.Second) // generous: does not hang
	for {
		if n, bytes := idleBuffers(); n == 0 && bytes == 0 {
			break
		}
		if time.Now().After(deadline) {
			n, bytes := idleBuffers()
			t.Fatalf("%d idle buffers (%d bytes) still mapped after %v", n, bytes, bigCacheIdle)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
