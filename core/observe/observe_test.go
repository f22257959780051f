package observe_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/memory"
	"github.com/libobjstore/objstore/core/observe"
)

// counters are the two ways a store is counted: as one that sends HTTP
// requests (each operation is its calls' context) and as core/stores
// counts a memory or local store (InProcess: no operation is a context).
var counters = []struct {
	name string
	open func(s core.Store, kind, bucket string) *observe.Observed
}{
	{"requests", observe.Store},
	{"in_process", func(s core.Store, kind, bucket string) *observe.Observed {
		return observe.Store(s, kind, bucket).InProcess()
	}},
}

// N reads are N requests, their bytes are counted exactly as they stream,
// nothing stays in flight, and errors count under their kind.
func TestCountsExactly(t *testing.T) {
	for _, c := range counters {
		t.Run(c.name, func(t *testing.T) { testCountsExactly(t, c.open(memory.New(), "memory-counts-"+c.name, "")) })
	}
}

func testCountsExactly(t *testing.T, s *observe.Observed) {
	ctx := context.Background()
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
	if p := observe.Process()[s.Kind]; !equal(p.Requests, want) {
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
	for _, c := range counters {
		t.Run(c.name, func(t *testing.T) { testHookEvents(t, c.open(memory.New(), "memory", "bkt")) })
	}
}

func testHookEvents(t *testing.T, s *observe.Observed) {
	ctx := context.Background()
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
	// A read's first byte comes before its end; any other operation's
	// first byte is its end.
	if get.TTFB <= 0 || get.Duration < get.TTFB || get.TTFBSeconds != get.TTFB.Seconds() || get.DurationSeconds != get.Duration.Seconds() {
		t.Errorf("get event's ttfb %v, duration %v (%v s, %v s)", get.TTFB, get.Duration, get.TTFBSeconds, get.DurationSeconds)
	}
	if put := events[0]; put.TTFB <= 0 || put.Duration != put.TTFB || put.Bytes != 5 {
		t.Errorf("put event %+v", put)
	}
}

// requester is a store that reports HTTP attempts from the context of its
// calls, as core/driver's transport does: two attempts at each operation,
// the first answered 503 (a retry follows), and one resumed body.
type requester struct {
	*memory.Store
	ctxs []context.Context // the contexts of its calls
}

func (r *requester) request(ctx context.Context) {
	r.ctxs = append(r.ctxs, ctx)
	req := httptest.NewRequestWithContext(ctx, "GET", "http://store.example/bkt/k", nil)
	observe.AttemptStarting(req)
	observe.AttemptAnswered(req, http.StatusServiceUnavailable, nil)
	observe.AttemptStarting(req)
	observe.AttemptAnswered(req, http.StatusOK, nil)
	observe.Resumed(ctx)
}

func (r *requester) Get(ctx context.Context, path core.Path, opts core.GetOptions) (*core.GetResult, error) {
	r.request(ctx)
	return r.Store.Get(ctx, path, opts)
}

func (r *requester) Head(ctx context.Context, path core.Path) (core.ObjectMeta, error) {
	r.request(ctx)
	return r.Store.Head(ctx, path)
}

func (r *requester) Put(ctx context.Context, path core.Path, data []byte, opts core.PutOptions) (core.PutResult, error) {
	r.request(ctx)
	return r.Store.Put(ctx, path, data, opts)
}

// putGetHead puts "k", reads it back and heads it through s, returning
// the events of the three operations.
func putGetHead(t *testing.T, ctx context.Context, s *observe.Observed) []observe.Event {
	t.Helper()
	var events []observe.Event
	s.SetHook(func(e observe.Event) { events = append(events, e) })
	if _, err := s.Put(ctx, "k", []byte("hello"), core.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := core.ReadAll(must(s.Get(ctx, "k", core.GetOptions{})), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Head(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	return events
}

// A store that sends requests gets each operation as its calls' context:
// the attempts, retries, throttling answers and resumes reported from
// there are the operation's (its event's) and the store's.
func TestAttemptsReachTheOperation(t *testing.T) {
	ctx := context.Background()
	r := &requester{Store: memory.New()}
	s := observe.Store(r, "requester", "bkt")
	events := putGetHead(t, ctx, s)
	if len(events) != 3 {
		t.Fatalf("%d events, want 3", len(events))
	}
	for _, e := range events {
		if e.Attempts != 2 || e.Retries != 1 {
			t.Errorf("%s event: %d attempts, %d retries, want 2 and 1", e.Operation, e.Attempts, e.Retries)
		}
	}
	got := s.Metrics().Snapshot()
	if got.Attempts != 6 || got.Retries != 3 || got.Throttled != 3 || got.Resumes != 3 {
		t.Errorf("attempts %d, retries %d, throttled %d, resumes %d; want 6, 3, 3, 3", got.Attempts, got.Retries, got.Throttled, got.Resumes)
	}
	for _, c := range r.ctxs {
		if c == ctx {
			t.Error("a call of a store that sends requests got the caller's context, not its operation")
		}
	}
}

// An in-process store's calls get the caller's context as it is: its
// operations are no contexts, and nothing reported from below counts in
// them (such a store sends no request), while everything else counts as
// before.
func TestInProcessPassesTheContext(t *testing.T) {
	type key struct{}
	ctx := context.WithValue(context.Background(), key{}, "caller's")
	r := &requester{Store: memory.New()}
	s := observe.Store(r, "requester-in-process", "").InProcess()
	events := putGetHead(t, ctx, s)
	for _, c := range r.ctxs {
		if c != ctx {
			t.Errorf("a call got context %v, want the caller's", c)
		}
	}
	got := s.Metrics().Snapshot()
	want := map[string]map[string]int64{"put": {"ok": 1}, "get": {"ok": 1}, "head": {"ok": 1}}
	if !equal(got.Requests, want) || got.BytesIn != 5 || got.BytesOut != 5 || got.InFlight != 0 || got.Attempts != 0 {
		t.Errorf("requests %v, bytes in %d out %d, in flight %d, attempts %d", got.Requests, got.BytesIn, got.BytesOut, got.InFlight, got.Attempts)
	}
	if len(events) != 3 || events[0].Bytes != 5 || events[1].Bytes != 5 || events[2].Attempts != 0 {
		t.Errorf("events %+v", events)
	}
}

// tracer records the context each operation of a traced store runs in and
// the events its spans end with.
type tracer struct {
	ctxs   []context.Context
	events []observe.Event
}

func (tr *tracer) Begin(ctx context.Context, op string, path core.Path, start time.Time) (context.Context, func(observe.Event)) {
	if time.Since(start) < 0 || start.IsZero() {
		panic("span start not on the clock")
	}
	tr.ctxs = append(tr.ctxs, ctx)
	return ctx, func(e observe.Event) { tr.events = append(tr.events, e) }
}

// A traced in-process store's operations are contexts all the same: the
// span holds its operation, which what runs below reports into.
func TestTracedInProcessHoldsTheOperation(t *testing.T) {
	ctx := context.Background()
	tr := &tracer{}
	r := &requester{Store: memory.New()}
	s := observe.Store(r, "requester-traced", "").InProcess().Traced(tr)
	if _, err := s.Put(ctx, "k", []byte("hello"), core.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := core.ReadAll(must(s.Get(ctx, "k", core.GetOptions{})), nil); err != nil {
		t.Fatal(err)
	}
	if len(tr.events) != 2 || len(tr.ctxs) != 2 {
		t.Fatalf("%d spans begun, %d ended, want 2", len(tr.ctxs), len(tr.events))
	}
	for i, e := range tr.events {
		if tr.ctxs[i] == ctx || r.ctxs[i] != tr.ctxs[i] {
			t.Errorf("%s ran in %v, its span began with %v", e.Operation, r.ctxs[i], tr.ctxs[i])
		}
		if e.Attempts != 2 || e.Retries != 1 || e.Bytes != 5 || e.Duration <= 0 || e.TTFB <= 0 {
			t.Errorf("%s span's event %+v", e.Operation, e)
		}
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
