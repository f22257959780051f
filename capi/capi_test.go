package main

import (
	"errors"
	"testing"

	"github.com/libobjstore/objstore/core"
)

// A panic in an export's body must come back as OBJSTORE_E_INTERNAL, never
// unwind into C.
func TestPanicBecomesInternal(t *testing.T) {
	if rc := callNoErr(func() error { panic("boom") }); rc != codeInternal {
		t.Fatalf("panic: got code %d, want %d", rc, codeInternal)
	}
	if rc := callNoErr(func() error { var m map[string]int; m["x"]++; return nil }); rc != codeInternal {
		t.Fatalf("runtime error: got code %d, want %d", rc, codeInternal)
	}
}

func TestErrorCodes(t *testing.T) {
	for kind, want := range map[core.Kind]int{core.Generic: 1, core.NotFound: 2, core.InvalidPath: 10, core.Cancelled: 14} {
		if got := codeOf(&core.Error{Kind: kind}); got != want {
			t.Errorf("%v: code %d, want %d", kind, got, want)
		}
	}
	if got := codeOf(errors.Join(badHandlef("x"), errors.New("y"))); got != codeBadHandle {
		t.Errorf("joined bad handle: code %d", got)
	}
}

func TestRegistry(t *testing.T) {
	released := 0
	p := newHandle(kindBuffer, &buffer{}, func() { released++ })
	if err := withHandle(p, kindBuffer, false, func(*buffer) error { return nil }); err != nil {
		t.Fatalf("live handle: %v", err)
	}
	if err := withHandle(p, kindStore, false, func(any) error { return nil }); codeOf(err) != codeBadHandle {
		t.Fatalf("wrong kind: %v", err)
	}
	if err := freeHandle(p, kindStore); codeOf(err) != codeBadHandle {
		t.Fatalf("free as wrong kind: %v", err)
	}
	if err := freeHandle(p, kindBuffer); err != nil {
		t.Fatalf("free: %v", err)
	}
	if err := freeHandle(p, kindBuffer); codeOf(err) != codeBadHandle {
		t.Fatalf("double free: %v", err)
	}
	if err := withHandle(p, kindBuffer, true, func(*buffer) error { return nil }); codeOf(err) != codeBadHandle {
		t.Fatalf("use after free: %v", err)
	}
	if released != 1 {
		t.Fatalf("released %d times, want 1", released)
	}
	if err := freeHandle(nil, kindBuffer); codeOf(err) != codeBadHandle {
		t.Fatalf("NULL: %v", err)
	}
}

// Freed addresses leave quarantine (and are really released) only after
// quarantineSize later frees; a stale handle stays an error throughout.
func TestQuarantineRing(t *testing.T) {
	first := newHandle(kindReader, &reader{}, nil)
	if err := freeHandle(first, kindReader); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < quarantineSize+10; i++ {
		p := newHandle(kindMetaList, &metaList{}, nil)
		if p == first && i < quarantineSize-1 {
			t.Fatalf("a quarantined address was reused after %d frees", i)
		}
		if err := freeHandle(p, kindMetaList); err != nil {
			t.Fatal(err)
		}
	}
	if err := freeHandle(first, kindReader); codeOf(err) != codeBadHandle {
		t.Fatalf("stale handle after eviction: %v", err)
	}
}
