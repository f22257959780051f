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

// handle is what a C handle address refers to. The address is a byte of C
// memory (so C never holds a Go pointer) that the registry maps back to
// this struct.
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
	release func() // frees what value owns; run once, by free
}

// registry maps handle addresses to their handles. Addresses are bytes of
// C slabs that are never freed: an address comes back for reuse only
// after quarantine (quarantineSize later frees), so a stale handle meets
// its freed entry, or a live handle of another kind, or nothing, never
// memory that C reused. Lookups (every call) share the lock; only handle
// creation and release take it exclusively.
var registry struct {
	sync.RWMutex
	live     map[unsafe.Pointer]*handle
	spare    []unsafe.Pointer // addresses back from quarantine
	slab     unsafe.Pointer   // the current slab's next address
	slabLeft int
}

// slabSize is how many handle addresses one C allocation provides.
const slabSize = 4096

func newHandle(kind handleKind, value any, release func()) unsafe.Pointer {
	h := &handle{kind: kind, value: value, release: release}
	registry.Lock()
	if n := len(registry.spare); n > 0 {
		h.key = registry.spare[n-1]
		registry.spare = registry.spare[:n-1]
	} else {
		if registry.slabLeft == 0 {
			registry.slab = C.malloc(slabSize)
			if registry.slab == nil {
				registry.Unlock()
				panic(outOfMemory(slabSize))
			}
			registry.slabLeft = slabSize
		}
		h.key = registry.slab
		registry.slab = unsafe.Add(registry.slab, 1)
		registry.slabLeft--
	}
	if registry.live == nil {
		registry.live = map[unsafe.Pointer]*handle{}
	}
	registry.live[h.key] = h
	registry.Unlock()
	liveHandles[kind].Add(1)
	return h.key
}

// restore is the handle registered at p (freed or not), or nil.
func restore(p unsafe.Pointer) *handle {
	registry.RLock()
	h := registry.live[p]
	registry.RUnlock()
	return h
}

// unregister forgets the handle at key (out of quarantine) and keeps the
// address for reuse.
func unregister(key unsafe.Pointer) {
	registry.Lock()
	delete(registry.live, key)
	registry.spare = append(registry.spare, key)
	registry.Unlock()
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
	release := h.release
	h.value, h.release = nil, nil
	h.mu.Unlock()
	if release != nil {
		release()
	}
	quarantine(quarantined{handleKey: h.key})
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
	handleKey unsafe.Pointer
	release   func()
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
	case old.handleKey != nil:
		unregister(old.handleKey)
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
