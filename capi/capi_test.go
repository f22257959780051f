package main

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
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

// Every core kind has its own objstore_code, the one the header names
// after it (NotFound: OBJSTORE_E_NOT_FOUND), and no kind falls back to
// OBJSTORE_E_GENERIC but Generic itself.
func TestErrorCodes(t *testing.T) {
	header, err := os.ReadFile("../include/objstore.h")
	if err != nil {
		t.Fatal(err)
	}
	declared := map[string]int{}
	for _, m := range regexp.MustCompile(`(OBJSTORE_E_\w+) = (\d+)`).FindAllStringSubmatch(string(header), -1) {
		declared[m[1]], _ = strconv.Atoi(m[2])
	}
	kinds := 0
	seen := map[int]core.Kind{}
	for k := core.Kind(0); k.String() != fmt.Sprintf("Kind(%d)", int(k)); k++ {
		kinds++
		name := "OBJSTORE_E_" + strings.ToUpper(regexp.MustCompile(`([a-z])([A-Z])`).ReplaceAllString(k.String(), "${1}_${2}"))
		want, ok := declared[name]
		if !ok {
			t.Errorf("kind %v: the header declares no %s", k, name)
			continue
		}
		got := codeOf(&core.Error{Kind: k})
		if got != want {
			t.Errorf("kind %v: code %d, want %s (%d)", k, got, name, want)
		}
		if other, dup := seen[got]; dup {
			t.Errorf("kinds %v and %v share code %d", other, k, got)
		}
		seen[got] = k
		if _, listed := kindCodes[k]; !listed {
			t.Errorf("kind %v is missing from kindCodes", k)
		}
	}
	// Every header code below the C boundary's own (100 and up) is a kind's.
	for name, code := range declared {
		if _, ok := seen[code]; code < codeBadHandle && !ok {
			t.Errorf("%s (%d) belongs to no kind", name, code)
		}
	}
	if kinds != 15 || len(kindCodes) != kinds {
		t.Errorf("%d kinds, %d codes in kindCodes; want 15 each (append to both, and to the header)", kinds, len(kindCodes))
	}
	if got := codeOf(errors.Join(badHandlef("x"), errors.New("y"))); got != codeBadHandle {
		t.Errorf("joined bad handle: code %d", got)
	}
	if got := codeOf(errors.New("plain")); got != declared["OBJSTORE_E_GENERIC"] {
		t.Errorf("a plain error: code %d", got)
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
