package main

/*
#cgo CFLAGS: -I${SRCDIR}/../include -I${SRCDIR}
#cgo LDFLAGS: -lpthread
#include "capi.h"
*/
import "C"

import (
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"
)

// handleKind says what a handle stands for, so that a handle of one kind
// passed where another is expected is reported instead of misused.
type handleKind uint8

const (
	kindStore handleKind = iota + 1
	kindReader
	kindBuffer
	kindMetaList
	kindList
	kindUpload
	kindWriter
)

var kindNames = [...]string{
	kindStore:    "objstore_store",
	kindReader:   "objstore_reader",
	kindBuffer:   "objstore_buffer",
	kindMetaList: "objstore_meta_list",
	kindList:     "objstore_list",
	kindUpload:   "objstore_upload",
	kindWriter:   "objstore_writer",
}

func (k handleKind) String() string { return kindNames[k] }

// liveHandles counts the handles of each kind not yet freed
// (objstore_debug_stats).
var liveHandles [len(kindNames)]atomic.Int64

// handle is what a C handle address refers to. The address is not Go
// memory (C never holds a Go pointer): the registry maps it back to this
// struct.
//
// mu orders calls against free: calls hold it shared (or exclusive for
// objects with a cursor, which are not safe for concurrent use), free holds
// it exclusively, so free waits for calls in flight and calls after free see
// freed.
type handle struct {
	mu      sync.RWMutex
	kind    handleKind
	key     unsafe.Pointer
	freed   bool
	value   any
	release func() // frees what value owns; run once, by free (nil: value's own, if a releaser)
}

// releaser is a handle value that frees what it owns itself, which spares
// newHandle a closure.
type releaser interface{ release() }

// Handle addresses are bytes of an address range reserved at start and
// never mapped (so no C or Go object can ever have one, and nothing reads
// or writes them): handle i is reservation+i, and its entry is slot i of a
// table found by arithmetic, without a lock. An address comes back for
// reuse only after quarantine (quarantineSize later frees), so a stale
// handle meets its freed entry, a live handle (possibly of another kind),
// or nothing.
const (
	chunkBits  = 12
	chunkSize  = 1 << chunkBits
	maxHandles = 1 << 26 // live and quarantined at once
)

// handleChunk holds the entries of chunkSize consecutive addresses.
type handleChunk [chunkSize]atomic.Pointer[handle]

var registry struct {
	base   unsafe.Pointer // the reserved range [base, base+maxHandles)
	chunks [maxHandles / chunkSize]atomic.Pointer[handleChunk]

	mu    sync.Mutex // guards what follows: handing out addresses
	next  uintptr    // indexes never handed out start here
	spare []uintptr  // indexes back from quarantine
}

func init() {
	// Address space only: PROT_NONE and MAP_NORESERVE take no memory.
	mem, err := syscall.Mmap(-1, 0, maxHandles, syscall.PROT_NONE, syscall.MAP_PRIVATE|syscall.MAP_ANON|syscall.MAP_NORESERVE)
	if err != nil {
		panic(fmt.Sprintf("libobjstore: reserving handle addresses: %v", err))
	}
	registry.base = unsafe.Pointer(unsafe.SliceData(mem))
}

// slot is the entry of address p, or nil when p is not a handle address.
func slot(p unsafe.Pointer) *atomic.Pointer[handle] {
	i := uintptr(p) - uintptr(registry.base) // wraps around below base
	if i >= maxHandles {
		return nil
	}
	c := registry.chunks[i>>chunkBits].Load()
	if c == nil {
		return nil
	}
	return &c[i&(chunkSize-1)]
}

func newHandle(kind handleKind, value any, release func()) unsafe.Pointer {
	h := &handle{kind: kind, value: value, release: release}
	r := &registry
	r.mu.Lock()
	var i uintptr
	if n := len(r.spare); n > 0 {
		i = r.spare[n-1]
		r.spare = r.spare[:n-1]
	} else {
		if r.next == maxHandles {
			r.mu.Unlock()
			panic(fmt.Sprintf("libobjstore: more than %d handles live or recently freed", maxHandles))
		}
		i = r.next
		r.next++
		if r.chunks[i>>chunkBits].Load() == nil {
			r.chunks[i>>chunkBits].Store(new(handleChunk))
		}
	}
	r.mu.Unlock()
	h.key = unsafe.Add(r.base, i)
	r.chunks[i>>chunkBits].Load()[i&(chunkSize-1)].Store(h)
	liveHandles[kind].Add(1)
	return h.key
}

// restore is the handle registered at p (freed or not), or nil.
func restore(p unsafe.Pointer) *handle {
	if s := slot(p); s != nil {
		return s.Load()
	}
	return nil
}

// unregister forgets the handle at index i (out of quarantine) and keeps
// the address for reuse.
func unregister(i uintptr) {
	slot(unsafe.Add(registry.base, i)).Store(nil)
	r := &registry
	r.mu.Lock()
	r.spare = append(r.spare, i)
	r.mu.Unlock()
}

// freedHandles stand, one per kind, for every freed handle in quarantine:
// a use or free of it is still a precise error, and the freed handle's own
// struct is garbage at once (tens of thousands of them would otherwise stay
// for the collector to mark at every cycle).
var freedHandles [len(kindNames)]handle

func init() {
	for k := range freedHandles {
		freedHandles[k].kind, freedHandles[k].freed = handleKind(k), true
	}
}

// lookup finds a live handle of the given kind and locks it; the caller
// unlocks it with h.unlock(exclusive). Any other address is a badHandle
// error.
func lookup(p unsafe.Pointer, kind handleKind, exclusive bool) (*handle, error) {
	h := restore(p)
	if h == nil {
		if p == nil {
			return nil, badHandlef("%s is NULL", kind)
		}
		return nil, badHandlef("not a live %s handle (unknown, freed or never created)", kind)
	}
	if h.kind != kind {
		return nil, badHandlef("%s handle passed where %s was expected", h.kind, kind)
	}
	if exclusive {
		h.mu.Lock()
	} else {
		h.mu.RLock()
	}
	if h.freed {
		h.unlock(exclusive)
		return nil, badHandlef("%s handle was already freed", kind)
	}
	return h, nil
}

func (h *handle) unlock(exclusive bool) {
	if exclusive {
		h.mu.Unlock()
	} else {
		h.mu.RUnlock()
	}
}

// freeHandle releases a handle once; later uses and frees are badHandle.
// Its address stays reserved in quarantine so it is not handed out again
// for a long while.
func freeHandle(p unsafe.Pointer, kind handleKind) error {
	h, err := lookup(p, kind, true)
	if err != nil {
		return err
	}
	h.freed = true
	liveHandles[h.kind].Add(-1)
	release, value := h.release, h.value
	h.value, h.release = nil, nil
	h.mu.Unlock()
	if release != nil {
		release()
	} else if r, ok := value.(releaser); ok {
		r.release()
	}
	slot(h.key).Store(&freedHandles[h.kind])
	quarantine(quarantined{handle: uintptr(h.key) - uintptr(registry.base) + 1})
	return nil
}

// freeExport is the body of every objstore_*_free: NULL is a harmless
// no-op returning OBJSTORE_OK (as sqlite3_close(NULL) is); anything else
// must be a live handle of the kind.
func freeExport(p unsafe.Pointer, kind handleKind) C.int {
	return callNoErr(func() error {
		if p == nil {
			return nil
		}
		return freeHandle(p, kind)
	})
}

// quarantineSize is how many freed handle and error addresses are held
// back before their memory is really released (and could be reused by
// malloc for a newer object, which a stale pointer would then alias). Each
// entry costs a few dozen bytes.
const quarantineSize = 1 << 16

// quarantined is one freed address: a handle's, whose release is
// unregistering it, or another's with its release function.
type quarantined struct {
	handle  uintptr // 1 + the handle's index; 0: not a handle
	release func()
}

var quarantineRing struct {
	sync.Mutex
	ring [quarantineSize]quarantined
	next int
}

func quarantine(q quarantined) {
	r := &quarantineRing
	r.Lock()
	old := r.ring[r.next]
	r.ring[r.next] = q
	r.next = (r.next + 1) % quarantineSize
	r.Unlock()
	switch {
	case old.handle != 0:
		unregister(old.handle - 1)
	case old.release != nil:
		old.release()
	}
}

// value helpers: look a handle up, run fn on its value with the handle
// locked.

func withHandle[T any](p unsafe.Pointer, kind handleKind, exclusive bool, fn func(T) error) error {
	h, err := lookup(p, kind, exclusive)
	if err != nil {
		return err
	}
	defer h.unlock(exclusive)
	v, ok := h.value.(T)
	if !ok {
		panic(fmt.Sprintf("%s handle holds %T", kind, h.value))
	}
	return fn(v)
}
