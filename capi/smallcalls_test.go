package main

import (
	"testing"
	"unsafe"
)

// Small synchronous calls on a MemoryStore, through the exports the C
// functions call: what a call costs besides the store's own work.

func cstr(s string) *cChar { return (*cChar)(unsafe.Pointer(unsafe.StringData(s + "\x00"))) }

// memoryStore opens a MemoryStore holding a 1 KiB object at "k".
func memoryStore(tb testing.TB) unsafe.Pointer {
	tb.Helper()
	var store unsafe.Pointer
	var errp *cError
	if rc := objstoreGo_store_new(cstr(`{"kind":"memory"}`), cstr(`{}`), &store, &errp); rc != codeOK {
		tb.Fatalf("store_new: %d", rc)
	}
	tb.Cleanup(func() { objstoreGo_store_free(store) })
	data := make([]byte, 1024)
	if rc := objstoreGo_put(store, cstr("k"), (*cUint8)(unsafe.Pointer(&data[0])), 1024, nil, nil, nil, &errp); rc != codeOK {
		tb.Fatalf("put: %d", rc)
	}
	return store
}

// smallCalls are the four calls of issue 17 as the Python binding makes
// them: get(...).bytes() (get_small), get_range (get_bytes with a range),
// head (head_into) and put.
func smallCalls(tb testing.TB, store unsafe.Pointer) map[string]func() {
	path := cstr("k")
	data := make([]byte, 1024)
	var errp *cError
	check := func(name string, rc cInt) {
		if rc != codeOK {
			tb.Fatalf("%s: code %d", name, rc)
		}
	}
	var rng cGetOptions
	rng.version = 1
	rng._range.kind = cRangeBounded
	rng._range.start, rng._range.end = 0, 8
	var meta cObjectMeta
	strs := make([]byte, 256)
	return map[string]func(){
		"get_small": func() {
			var reader, out unsafe.Pointer
			var p *cUint8
			var n cSize
			var info *cGetInfo
			check("get_small", objstoreGo_get_small(store, path, nil, 1<<20, &reader, &out, &p, &n, &info, &errp))
			if reader != nil || n != 1024 || info == nil || info.meta.size != 1024 {
				tb.Fatalf("get_small: reader %v, %d bytes", reader, n)
			}
			objstoreGo_buffer_free(out)
		},
		"get_range": func() {
			var out unsafe.Pointer
			var p *cUint8
			var n cSize
			check("get_range", objstoreGo_get_bytes(store, path, &rng, &out, &p, &n, nil, &errp))
			if n != 8 {
				tb.Fatalf("get_range: %d bytes", n)
			}
			objstoreGo_buffer_free(out)
		},
		"head": func() {
			var needed cSize
			check("head", objstoreGo_head_into(store, path, &meta, (*cChar)(unsafe.Pointer(&strs[0])), cSize(len(strs)), &needed, &errp))
			if meta.size != 1024 {
				tb.Fatalf("head: size %d", meta.size)
			}
		},
		"put": func() {
			check("put", objstoreGo_put(store, path, (*cUint8)(unsafe.Pointer(&data[0])), 1024, nil, nil, nil, &errp))
		},
	}
}

func BenchmarkSmallCalls(b *testing.B) {
	store := memoryStore(b)
	calls := smallCalls(b, store)
	for _, name := range []string{"get_small", "get_range", "head", "put"} {
		b.Run(name, func(b *testing.B) {
			f := calls[name]
			b.ReportAllocs()
			for b.Loop() {
				f()
			}
		})
	}
}

// smallCallAllocs is the most Go allocations each small call may make on a
// MemoryStore (issue 17): the handle, the buffer, the store's result, the
// metrics' operation record (its body holds it) and the path string for a
// get; a range adds its options; head the path alone (a memory store's
// operation that ends with its call is not allocated, see core/observe);
// put also the stored copy and its object. A change that adds a closure, a
// context or a registry entry per call fails here.
var smallCallAllocs = map[string]float64{
	"get_small": 6,
	"get_range": 7,
	"head":      1,
	"put":       3,
}

func TestSmallCallAllocs(t *testing.T) {
	store := memoryStore(t)
	calls := smallCalls(t, store)
	for name, limit := range smallCallAllocs {
		f := calls[name]
		f() // warm: the first call may grow tables
		if got := testing.AllocsPerRun(200, f); got > limit {
			t.Errorf("%s: %.1f allocations per call, want at most %.0f", name, got, limit)
		}
	}
}
