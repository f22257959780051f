package observe_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/memory"
	"github.com/libobjstore/objstore/core/observe"
)

// N reads are N requests, their bytes are counted exactly as they stream,
// nothing stays in flight, and errors count under their kind.
func TestCountsExactly(t *testing.T) {
	ctx := context.Background()
	s := observe.Store(memory.New(), "memory-counts", "")
	data := []byte(strings.Repeat("x", 1000))
	if _, err := s.Put(ctx, "a", data, core.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	const n = 25
	for range n {
		if _, err := core.ReadAll(must(s.Get(ctx, "a", core.GetOptions{})), nil); err != nil {
			t.Fatal(err)
		}
	}
	r := core.Bounded(10, 110)
	if _, err := core.ReadAll(must(s.Get(ctx, "a", core.GetOptions{Range: &r})), nil); err != nil {
		t.Fatal(err)
	}
	// A body closed half read ends its operation too.
	res := must(s.Get(ctx, "a", core.GetOptions{}))
	buf := make([]byte, 10)
	if _, err := res.Body.Read(buf); err != nil {
		t.Fatal(err)
	}
	if got := s.Metrics().Snapshot().InFlight; got != 1 {
		t.Errorf("in flight with an open body: %d, want 1", got)
	}
	res.Body.Close()
	if _, err := s.Head(ctx, "missing"); !core.IsKind(err, core.NotFound) {
		t.Fatal(err)
	}
	for range core.Store(s).List(ctx, "", core.ListOptions{}) {
	}
	if err := core.Rename(ctx, s, "a", "b", core.CopyOptions{}); err != nil {
		t.Fatal(err)
	}
	got := s.Metrics().Snapshot()
	want := map[string]map[string]int64{
		"put": {"ok": 1}, "get": {"ok": n + 1}, "get_range": {"ok": 1}, "head": {"not_found": 1},
		"list": {"ok": 1}, "rename": {"ok": 1},
	}
	if !equal(got.Requests, want) {
		t.Errorf("requests %v, want %v", got.Requests, want)
	}
	if got.BytesIn != n*1000+100+10 || got.BytesOut != 1000 {
		t.Errorf("bytes in %d out %d, want %d and 1000", got.BytesIn, got.BytesOut, n*1000+110)
	}
	if got.InFlight != 0 {
		t.Errorf("in flight %d, want 0", got.InFlight)
	}
	if h := got.TTFB["get"]; h.Count != n+1 || len(h.Counts) != len(h.Bounds)+1 {
		t.Errorf("ttfb histogram of get: %+v", h)
	}
	if h := got.Duration["head"]; h.Count != 1 {
		t.Errorf("duration histogram of head: %+v", h)
	}
	var prom strings.Builder
	if err := observe.WritePrometheus(&prom, []map[string]string{{"kind": "memory"}}, []observe.Snapshot{got}); err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{
		`objstore_requests_total{kind="memory",operation="get",outcome="ok"} 26`,
		`objstore_read_bytes_total{kind="memory"} 25110`,
		`objstore_ttfb_seconds_bucket{kind="memory",operation="get",le="+Inf"} 26`,
		`objstore_ttfb_seconds_count{kind="memory",operation="get"} 26`,
	} {
		if !strings.Contains(prom.String(), line+"\n") {
			t.Errorf("prometheus text lacks %q:\n%s", line, prom.String())
		}
	}
	// The kind's process totals hold the same.
	if p := observe.Process()["memory-counts"]; !equal(p.Requests, want) {
		t.Errorf("process totals %v, want %v", p.Requests, want)
	}
}

// The store keeps the optional interfaces (a memory store has no native
// rename, but the wrapper's Rename dispatches like core.Rename).
func TestKeepsInterfaces(t *testing.T) {
	var s core.Store = observe.Store(memory.New(), "memory", "")
	if _, ok := s.(core.BulkDeleter); !ok {
		t.Error("not a BulkDeleter")
	}
	if _, err := core.Sign(context.Background(), s, "GET", "a", 0); !core.IsKind(err, core.NotSupported) {
		t.Errorf("sign on memory: %v, want NotSupported", err)
	}
}

// A hook gets one event per operation, with the path's length and no path;
// a store without a hook builds none (nothing to observe but the absence).
func TestHookEvents(t *testing.T) {
	ctx := context.Background()
	s := observe.Store(memory.New(), "memory", "bkt")
	var mu sync.Mutex
	var events []observe.Event
	s.SetHook(func(e observe.Event) {
		mu.Lock()
		events = append(events, e)
		mu.Unlock()
	})
	if _, err := s.Put(ctx, "dir/obj", []byte("hello"), core.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := core.ReadAll(must(s.Get(ctx, "dir/obj", core.GetOptions{})), nil); err != nil {
		t.Fatal(err)
	}
	_, err := s.Get(ctx, "nope", core.GetOptions{})
	s.SetHook(nil)
	if _, err := s.Head(ctx, "dir/obj"); err != nil {
		t.Fatal(err)
	}
	if len(events) != 3 {
		t.Fatalf("%d events, want 3: %+v", len(events), events)
	}
	get := events[1]
	if get.Operation != "get" || get.Bucket != "bkt" || get.Kind != "memory" || get.PathLen != 7 || get.Bytes != 5 || get.Status != "ok" {
		t.Errorf("get event %+v", get)
	}
	if e := events[2]; e.Status != "not_found" || e.Error != err.Error() {
		t.Errorf("failed get event %+v, error %v", e, err)
	}
}

func must(res *core.GetResult, err error) *core.GetResult {
	if err != nil {
		panic(err)
	}
	return res
}

func equal(a, b map[string]map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		w := b[k]
		if len(v) != len(w) {
			return false
		}
		for o, n := range v {
			if w[o] != n {
				return false
			}
		}
	}
	return true
}
