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

	pointer "github.com/mattn/go-pointer"
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

// handle is what a C handle address refers to. The address itself comes
// from go-pointer (a 1-byte C allocation, so C never holds a Go pointer) and
// go-pointer's table maps it back to this struct.
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

func newHandle(kind handleKind, value any, release func()) unsafe.Pointer {
	h := &handle{kind: kind, value: value, release: release}
	h.key = pointer.Save(h)
	liveHandles[kind].Add(1)
	return h.key
}

// lookup finds a live handle of the given kind and locks it; the caller
// runs the returned unlock. Any other address is a badHandle error.
func lookup(p unsafe.Pointer, kind handleKind, exclusive bool) (*handle, func(), error) {
	h, _ := pointer.Restore(p).(*handle)
	if h == nil {
		if p == nil {
			return nil, nil, badHandlef("%s is NULL", kind)
		}
		return nil, nil, badHandlef("not a live %s handle (unknown, freed or never created)", kind)
	}
	if h.kind != kind {
		return nil, nil, badHandlef("%s handle passed where %s was expected", h.kind, kind)
	}
	unlock := h.mu.RUnlock
	if exclusive {
		h.mu.Lock()
		unlock = h.mu.Unlock
	} else {
		h.mu.RLock()
	}
	if h.freed {
		unlock()
		return nil, nil, badHandlef("%s handle was already freed", kind)
	}
	return h, unlock, nil
}

// freeHandle releases a handle once; later uses and frees are badHandle.
// Its address stays reserved in quarantine so it is not handed out again
// for a long while.
func freeHandle(p unsafe.Pointer, kind handleKind) error {
	h, unlock, err := lookup(p, kind, true)
	if err != nil {
		return err
	}
	h.freed = true
	liveHandles[h.kind].Add(-1)
	release := h.release
	h.value, h.release = nil, nil
	unlock()
	if release != nil {
		release()
	}
	quarantine(func() { pointer.Unref(h.key) })
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

var quarantined struct {
	sync.Mutex
	ring [quarantineSize]func()
	next int
}

func quarantine(release func()) {
	quarantined.Lock()
	old := quarantined.ring[quarantined.next]
	quarantined.ring[quarantined.next] = release
	quarantined.next = (quarantined.next + 1) % quarantineSize
	quarantined.Unlock()
	if old != nil {
		old()
	}
}

// value helpers: look a handle up, run fn on its value with the handle
// locked.

func withHandle[T any](p unsafe.Pointer, kind handleKind, exclusive bool, fn func(T) error) error {
	h, unlock, err := lookup(p, kind, exclusive)
	if err != nil {
		return err
	}
	defer unlock()
	v, ok := h.value.(T)
	if !ok {
		panic(fmt.Sprintf("%s handle holds %T", kind, h.value))
	}
	return fn(v)
}
