package core_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/memory"
)

// countingStore counts the Gets that reach the store.
type countingStore struct {
	core.Store
	gets atomic.Int64
}

func (c *countingStore) Get(ctx context.Context, p core.Path, o core.GetOptions) (*core.GetResult, error) {
	c.gets.Add(1)
	return c.Store.Get(ctx, p, o)
}

func rangePtr(r core.Range) *core.Range { return &r }

func TestGetManyOrderErrorsAndCoalescing(t *testing.T) {
	ctx := context.Background()
	s := &countingStore{Store: memory.New()}
	for i := range 20 {
		body := []byte(fmt.Sprintf("object-%02d-0123456789", i))
		if _, err := s.Put(ctx, core.Path(fmt.Sprintf("o/%02d", i)), body, core.PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	var reqs []core.GetManyRequest
	var want []string
	for i := range 20 {
		p := core.Path(fmt.Sprintf("o/%02d", i))
		body := fmt.Sprintf("object-%02d-0123456789", i)
		reqs = append(reqs,
			core.GetManyRequest{Path: p},
			core.GetManyRequest{Path: p, Range: rangePtr(core.Bounded(0, 6))},
			core.GetManyRequest{Path: p, Range: rangePtr(core.Bounded(10, 14))},
			core.GetManyRequest{Path: p, Range: rangePtr(core.Suffix(3))},
		)
		want = append(want, body, body[0:6], body[10:14], body[len(body)-3:])
	}
	reqs = append(reqs, core.GetManyRequest{Path: "missing"}, core.GetManyRequest{Path: "o/00", Range: rangePtr(core.Bounded(5, 5))})
	var mu sync.Mutex
	allocs := 0
	alloc := func(n int) []byte { mu.Lock(); allocs++; mu.Unlock(); return make([]byte, n) }

	res := core.GetMany(ctx, s, reqs, alloc, core.GetManyOptions{Concurrency: 4})
	if len(res) != len(reqs) {
		t.Fatalf("%d results for %d requests", len(res), len(reqs))
	}
	for i, w := range want {
		if res[i].Err != nil || string(res[i].Data) != w {
			t.Fatalf("request %d: got %q, %v; want %q", i, res[i].Data, res[i].Err, w)
		}
	}
	if !core.IsKind(res[len(want)].Err, core.NotFound) {
		t.Errorf("missing object: %v", res[len(want)].Err)
	}
	if !core.IsKind(res[len(want)+1].Err, core.InvalidArgument) {
		t.Errorf("empty range: %v", res[len(want)+1].Err)
	}
	// Per object: whole, suffix, and one coalesced request for both bounded
	// ranges (4 bytes apart); plus the missing object.
	if got := s.gets.Load(); got != 20*3+1 {
		t.Errorf("%d gets reached the store, want %d", got, 20*3+1)
	}
	if allocs != 20*3 {
		t.Errorf("%d allocations, want %d", allocs, 20*3)
	}
}

func TestGetManyStopOnError(t *testing.T) {
	ctx := context.Background()
	s := memory.New()
	var reqs []core.GetManyRequest
	for i := range 200 {
		reqs = append(reqs, core.GetManyRequest{Path: core.Path(fmt.Sprintf("missing/%d", i))})
	}
	res := core.GetMany(ctx, s, reqs, nil, core.GetManyOptions{Concurrency: 1, StopOnError: true})
	if !core.IsKind(res[0].Err, core.NotFound) {
		t.Fatalf("first: %v", res[0].Err)
	}
	cancelled := 0
	for _, r := range res {
		if r.Err == nil {
			t.Fatal("a missing object read succeeded")
		}
		if core.IsKind(r.Err, core.Cancelled) {
			cancelled++
		}
	}
	if cancelled == 0 {
		t.Error("StopOnError cancelled nothing")
	}
}

func TestGetManyCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res := core.GetMany(ctx, memory.New(), []core.GetManyRequest{{Path: "a"}, {Path: "b", Range: rangePtr(core.Bounded(0, 1))}}, nil, core.GetManyOptions{})
	for i, r := range res {
		if !core.IsKind(r.Err, core.Cancelled) {
			t.Errorf("request %d: %v, want Cancelled", i, r.Err)
		}
	}
}
