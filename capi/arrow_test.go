package main

import (
	"errors"
	"fmt"
	"iter"
	"math"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/libobjstore/objstore/core"
)

// arrowStrings reads a utf8 array (buffers validity, offsets, data) back.
func arrowStrings(t *testing.T, length int64, nulls int64, bufs unsafe.Pointer) []any {
	t.Helper()
	b := unsafe.Slice((*unsafe.Pointer)(bufs), 3)
	offs := unsafe.Slice((*int32)(b[1]), length+1)
	data := unsafe.Slice((*byte)(b[2]), offs[length])
	if (nulls > 0) != (b[0] != nil) {
		t.Fatalf("null count %d with validity %v", nulls, b[0])
	}
	out := make([]any, length)
	for i := range length {
		if b[0] != nil && (*(*byte)(unsafe.Add(b[0], i/8)))>>(i%8)&1 == 0 {
			out[i] = nil
			continue
		}
		out[i] = string(data[offs[i]:offs[i+1]])
	}
	return out
}

func metasNamed(names ...string) []core.ObjectMeta {
	ms := make([]core.ObjectMeta, len(names))
	for i, n := range names {
		ms[i] = core.ObjectMeta{Location: core.Path(n), Size: uint64(i), ETag: strings.Repeat("e", i%2), LastModified: time.UnixMicro(int64(1000 + i))}
	}
	return ms
}

// A batch built in two pages holds every entry, columns in order, an empty
// etag as null; releasing it frees all it holds.
func TestBatchBuilderPages(t *testing.T) {
	arrays, bytes := arrowLive()
	b := newBatchBuilder()
	for _, page := range [][]core.ObjectMeta{metasNamed("a", "b/c"), metasNamed("é", "d")} {
		if n, err := b.add(page); err != nil || n != len(page) {
			t.Fatalf("add: %d %v", n, err)
		}
	}
	var p arrowPage
	if err := b.finish(&p.array); err != nil {
		t.Fatal(err)
	}
	a := &p.array
	if a.length != 4 || a.n_children != 5 || a.n_buffers != 1 || a.release == nil {
		t.Fatalf("batch %+v", *a)
	}
	kids := unsafe.Slice(a.children, 5)
	paths := arrowStrings(t, int64(kids[0].length), int64(kids[0].null_count), unsafe.Pointer(kids[0].buffers))
	if fmt.Sprint(paths) != "[a b/c é d]" {
		t.Fatalf("paths %v", paths)
	}
	etags := arrowStrings(t, int64(kids[3].length), int64(kids[3].null_count), unsafe.Pointer(kids[3].buffers))
	if fmt.Sprint(etags) != "[<nil> e <nil> e]" || kids[3].null_count != 2 {
		t.Fatalf("etags %v (%d nulls)", etags, kids[3].null_count)
	}
	times := unsafe.Slice((*int64)(unsafe.Slice(kids[1].buffers, 2)[1]), 4)
	sizes := unsafe.Slice((*uint64)(unsafe.Slice(kids[2].buffers, 2)[1]), 4)
	if fmt.Sprint(times, sizes) != "[1000 1001 1000 1001] [0 1 0 1]" {
		t.Fatalf("times %v sizes %v", times, sizes)
	}
	if live, _ := arrowLive(); live != arrays+1 {
		t.Fatalf("%d arrays live, want %d", live, arrays+1)
	}
	releaseArrow(a)
	if a.release != nil {
		t.Fatal("release left its callback set")
	}
	if live, liveBytes := arrowLive(); live != arrays || liveBytes != bytes {
		t.Fatalf("after release: %d arrays, %d bytes live; want %d, %d", live, liveBytes, arrays, bytes)
	}
}

// A utf8 column stops before it passes maxUtf8Bytes: the rest of the page
// is held back for the next batch of the listing.
func TestBatchStopsAtUtf8Bound(t *testing.T) {
	defer func(old int) { maxUtf8Bytes = old }(maxUtf8Bytes)
	maxUtf8Bytes = 10
	names := []string{"aaaa", "bbbb", "cccc", "dddd", "eeeeeeeeeee"}
	l := &listing{pages: core.NewPager(seqOf(metasNamed(names...), nil))}
	defer l.pages.Close()
	var got []int
	for {
		b := newBatchBuilder()
		err := l.fill(b, 0)
		rows := b.rows
		b.free()
		if err != nil {
			if !strings.Contains(err.Error(), "exceed 10 bytes") || fmt.Sprint(got) != "[2 2]" {
				t.Fatalf("rows %v then %v", got, err)
			}
			return
		}
		if rows == 0 {
			t.Fatalf("the listing ended after %v without refusing the 11-byte path", got)
		}
		got = append(got, rows)
	}
}

// An error after some entries ends the batch with them; the next call
// returns the error.
func TestBatchHoldsAnErrorForTheNextCall(t *testing.T) {
	boom := core.Errorf(core.PermissionDenied, "page 2 refused")
	l := &listing{pages: core.NewPager(seqOf(metasNamed("a", "b", "c"), boom))}
	defer l.pages.Close()
	b := newBatchBuilder()
	defer b.free()
	if err := l.fill(b, math.MaxUint64); err != nil || b.rows != 3 {
		t.Fatalf("first batch: %d rows, %v", b.rows, err)
	}
	if err := l.fill(newBatchBuilder(), 10); !errors.Is(err, boom) {
		t.Fatalf("second call: %v, want the held error", err)
	}
}

func seqOf(metas []core.ObjectMeta, end error) iter.Seq2[core.ObjectMeta, error] {
	return func(yield func(core.ObjectMeta, error) bool) {
		for _, m := range metas {
			if !yield(m, nil) {
				return
			}
		}
		if end != nil {
			yield(core.ObjectMeta{}, end)
		}
	}
}
