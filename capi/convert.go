package main

/*
#include "capi.h"
*/
import "C"

import (
	"maps"
	"slices"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/libobjstore/objstore/core"
)

// Conversions between C arguments and core types, written once.

// parsePath validates a C path argument. NULL is an invalid path; so is a
// string that is not UTF-8 (object paths are text on every store).
func parsePath(s *C.char) (core.Path, error) {
	if s == nil {
		return "", &core.Error{Kind: core.InvalidPath, Msg: "path is NULL"}
	}
	return parsePathString(C.GoString(s))
}

// parseOptionalPath is parsePath where NULL means the root (prefixes,
// offsets).
func parseOptionalPath(s *C.char) (core.Path, error) {
	if s == nil {
		return "", nil
	}
	return parsePathString(C.GoString(s))
}

func parsePathString(s string) (core.Path, error) {
	if !utf8.ValidString(s) {
		return "", &core.Error{Kind: core.InvalidPath, Path: s, Msg: "path is not valid UTF-8"}
	}
	return core.ParsePath(s)
}

// checkStructVersion accepts an options struct of any version this
// library knows, 1 to current: a caller built against an older header
// sets the older version, and the library reads only the fields that
// version has. 0 (not set) and versions newer than the library are
// refused.
func checkStructVersion(name string, version, current uint) error {
	if version == 0 || version > current {
		return core.Errorf(core.InvalidArgument, "%s.version is %d, expected 1 to %d (the header's version macro)", name, version, current)
	}
	return nil
}

// goStringOr returns the C string, or def when it is NULL.
func goStringOr(s *C.char, def string) string {
	if s == nil {
		return def
	}
	return C.GoString(s)
}

// callerBytes views caller memory as a Go slice, without copying. The slice
// must not outlive the call.
func callerBytes(data *C.uint8_t, n C.size_t) ([]byte, error) {
	if n == 0 {
		return nil, nil
	}
	if data == nil {
		return nil, core.Errorf(core.InvalidArgument, "data is NULL but length is %d", uint64(n))
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(data)), int(n)), nil
}

// kvMap reads a caller's objstore_kv array.
func kvMap(kvs *C.objstore_kv, n C.size_t, what string) (map[string]string, error) {
	if n == 0 {
		return nil, nil
	}
	if kvs == nil {
		return nil, core.Errorf(core.InvalidArgument, "%s is NULL but its length is %d", what, uint64(n))
	}
	m := make(map[string]string, int(n))
	for _, kv := range unsafe.Slice(kvs, int(n)) {
		if kv.key == nil || kv.value == nil {
			return nil, core.Errorf(core.InvalidArgument, "%s has a NULL key or value", what)
		}
		m[C.GoString(kv.key)] = C.GoString(kv.value)
	}
	return m, nil
}

func timeFromNs(ns C.int64_t) *time.Time {
	t := time.Unix(0, int64(ns))
	return &t
}

func nsFromTime(t time.Time) C.int64_t {
	if t.IsZero() {
		return C.int64_t(-1 << 63) // OBJSTORE_TIME_UNSET
	}
	return C.int64_t(t.UnixNano())
}

// setString stores a caller-frees copy of s in an optional out-parameter;
// an empty s is NULL ("none").
func setString(dst **C.char, s string) {
	if dst == nil {
		return
	}
	if s == "" {
		*dst = nil
		return
	}
	*dst = C.CString(s)
}

func outOfMemory(n uintptr) error {
	return core.Errorf(core.Generic, "out of memory (allocating %d bytes)", uint64(n))
}

// cArena is C memory for the metadata a handle owns (structs and the
// strings they point at): bump-allocated from a few blocks, all freed with
// the handle.
type cArena struct {
	blocks     []unsafe.Pointer
	cur        unsafe.Pointer
	used, size uintptr
}

const arenaBlockSize = 4096

func (a *cArena) alloc(n, align uintptr) unsafe.Pointer {
	off := (a.used + align - 1) &^ (align - 1)
	if a.cur == nil || off+n > a.size {
		size := max(n, arenaBlockSize<<min(len(a.blocks), 8))
		p := C.calloc(1, C.size_t(size))
		if p == nil {
			panic(outOfMemory(size))
		}
		a.blocks = append(a.blocks, p)
		a.cur, a.size, off = p, size, 0
	}
	a.used = off + n
	return unsafe.Add(a.cur, off)
}

// str copies s as a NUL-terminated string.
func (a *cArena) str(s string) *C.char {
	p := a.alloc(uintptr(len(s))+1, 1)
	copy(unsafe.Slice((*byte)(p), len(s)), s)
	return (*C.char)(p)
}

// optStr is str, with NULL for "".
func (a *cArena) optStr(s string) *C.char {
	if s == "" {
		return nil
	}
	return a.str(s)
}

// lend has the arena use p[0:size), memory it does not own (and free),
// before any block of its own. It is zeroed, as the arena's own blocks are.
func (a *cArena) lend(p unsafe.Pointer, size uintptr) {
	clear(unsafe.Slice((*byte)(p), size))
	a.cur, a.size, a.used = p, size, 0
}

func (a *cArena) free() {
	for _, p := range a.blocks {
		C.free(p)
	}
	a.blocks, a.cur = nil, nil
}

// metas copies object metadata into a C array owned by the arena.
func (a *cArena) metas(ms []core.ObjectMeta) *C.objstore_object_meta {
	var m C.objstore_object_meta
	p := (*C.objstore_object_meta)(a.alloc(uintptr(len(ms))*unsafe.Sizeof(m), unsafe.Alignof(m)))
	for i, meta := range ms {
		a.fillMeta(&unsafe.Slice(p, len(ms))[i], meta)
	}
	return p
}

func (a *cArena) fillMeta(dst *C.objstore_object_meta, m core.ObjectMeta) {
	dst.location = a.str(string(m.Location))
	dst.e_tag = a.optStr(m.ETag)
	dst.version = a.optStr(m.Version)
	dst.size = C.uint64_t(m.Size)
	dst.last_modified_ns = nsFromTime(m.LastModified)
}

// strings copies a list of strings into a C array of char* owned by the arena.
func (a *cArena) strings(ss []string) **C.char {
	var p *C.char
	arr := (**C.char)(a.alloc(uintptr(len(ss))*unsafe.Sizeof(p), unsafe.Alignof(p)))
	for i, s := range ss {
		unsafe.Slice(arr, len(ss))[i] = a.str(s)
	}
	return arr
}

// kvs copies a map into a C objstore_kv array, sorted by key.
func (a *cArena) kvs(m map[string]string) (*C.objstore_kv, C.size_t) {
	if len(m) == 0 {
		return nil, 0
	}
	keys := slices.Sorted(maps.Keys(m))
	var kv C.objstore_kv
	p := (*C.objstore_kv)(a.alloc(uintptr(len(keys))*unsafe.Sizeof(kv), unsafe.Alignof(kv)))
	for i, k := range keys {
		e := &unsafe.Slice(p, len(keys))[i]
		e.key = a.str(k)
		e.value = a.str(m[k])
	}
	return p, C.size_t(len(keys))
}
