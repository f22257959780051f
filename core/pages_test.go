package core_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"iter"
	"testing"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/memory"
)

// A listing that fails after some entries: the page ends before the error,
// and the next page is the error alone; then the listing is over.
func TestPagerDefersAnErrorAfterEntries(t *testing.T) {
	boom := core.Errorf(core.PermissionDenied, "page 2 refused")
	seq := iter.Seq2[core.ObjectMeta, error](func(yield func(core.ObjectMeta, error) bool) {
		for _, name := range []string{"a", "b", "c"} {
			if !yield(core.ObjectMeta{Location: core.Path(name)}, nil) {
				return
			}
		}
		yield(core.ObjectMeta{}, boom)
	})
	p := core.NewPager(seq)
	defer p.Close()
	page, err := p.Next(2)
	if err != nil || len(page) != 2 || page[1].Location != "b" {
		t.Fatalf("first page: %v %v", page, err)
	}
	page, err = p.Next(10)
	if err != nil || len(page) != 1 || page[0].Location != "c" {
		t.Fatalf("second page: %v %v, want c alone (the error held back)", page, err)
	}
	if page, err = p.Next(10); !errors.Is(err, boom) || len(page) != 0 {
		t.Fatalf("third page: %v %v, want the error alone", page, err)
	}
	if page, err = p.Next(10); err != nil || len(page) != 0 {
		t.Fatalf("after the error: %v %v, want the end", page, err)
	}
}

func TestPagerPagesAStore(t *testing.T) {
	ctx := context.Background()
	s := memory.New()
	for _, name := range []string{"d/1", "d/2", "d/3", "e"} {
		if _, err := s.Put(ctx, core.MustPath(name), nil, core.PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	p := core.NewPager(s.List(ctx, "d", core.ListOptions{}))
	var got []string
	for {
		page, err := p.Next(2)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		for _, m := range page {
			got = append(got, string(m.Location))
		}
	}
	if len(got) != 3 || got[0] != "d/1" || got[2] != "d/3" {
		t.Fatalf("paged %v", got)
	}
	// Closing early stops the listing.
	q := core.NewPager(s.List(ctx, "", core.ListOptions{}))
	if page, err := q.Next(1); err != nil || len(page) != 1 {
		t.Fatalf("first page: %v %v", page, err)
	}
	q.Close()
	if page, err := q.Next(1); err != nil || len(page) != 0 {
		t.Fatalf("after Close: %v %v", page, err)
	}
}

// A body shorter than announced fails the chunk it ends in, naming how far
// it got, and the reader is then closed.
func TestBodyReaderShortBody(t *testing.T) {
	body := &closeCounter{Reader: bytes.NewReader([]byte("0123456"))}
	res := &core.GetResult{Meta: core.ObjectMeta{Location: "x", Size: 10}, Start: 0, End: 10, Body: body}
	r := core.NewBodyReader(res)
	chunk, err := r.Next(4, nil)
	if err != nil || string(chunk) != "0123" || r.Remaining() != 6 {
		t.Fatalf("first chunk %q %v (remaining %d)", chunk, err, r.Remaining())
	}
	if chunk, err = r.Next(4, nil); !core.IsKind(err, core.Generic) || err.Error() != `Generic "x": body ended after 7 of 10 bytes` {
		t.Fatalf("short chunk %q %v", chunk, err)
	}
	if body.closes != 1 || r.Remaining() != 0 {
		t.Fatalf("closed %d times, remaining %d", body.closes, r.Remaining())
	}
	if chunk, err = r.Next(4, nil); chunk != nil || err != nil {
		t.Fatalf("after the failure: %q %v", chunk, err)
	}
}

func TestBodyReaderChunksThenRest(t *testing.T) {
	body := &closeCounter{Reader: bytes.NewReader([]byte("abcdefghij"))}
	r := core.NewBodyReader(&core.GetResult{Meta: core.ObjectMeta{Location: "x", Size: 10}, End: 10, Body: body})
	if chunk, err := r.Next(3, nil); err != nil || string(chunk) != "abc" {
		t.Fatalf("chunk %q %v", chunk, err)
	}
	rest, err := r.Rest(nil)
	if err != nil || string(rest) != "defghij" || body.closes != 1 {
		t.Fatalf("rest %q %v, closed %d times", rest, err, body.closes)
	}
	if rest, err = r.Rest(nil); err != nil || len(rest) != 0 {
		t.Fatalf("rest after the end: %q %v", rest, err)
	}
	if chunk, err := r.Next(3, nil); chunk != nil || err != nil {
		t.Fatalf("chunk after the end: %q %v", chunk, err)
	}
	if body.closes != 1 {
		t.Fatalf("closed %d times", body.closes)
	}
}

type closeCounter struct {
	io.Reader
	closes int
}

func (c *closeCounter) Close() error { c.closes++; return nil }
