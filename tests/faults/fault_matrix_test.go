package faults_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/libobjstore/objstore/core"
)

// The fault matrix: every operation under every toxic, on every HTTP
// backend's real server (MinIO, fake-gcs-server, Azurite, nginx WebDAV)
// behind a Toxiproxy proxy, once with the toxic in place for the whole call
// ("persistent") and once with it removed shortly after the call starts
// ("transient", which retries must ride out). Every case returns exactly
// the right bytes or a typed error, and after every multipart put the
// service itself holds no upload of it.

const (
	objectSize    = 64 << 10
	multipartSize = 5<<20 + 100<<10 // two parts: S3's 5 MiB minimum and a tail
	listed        = 20
	transientFor  = 300 * time.Millisecond
	clientTimeout = 2 * time.Second
)

// expect says what a case must do; "either" admits success with exact
// bytes or a typed error.
type expect int

const (
	mustSucceed expect = iota
	mustFailTyped
	either
)

type faultOp struct {
	name string
	// setup writes what the operation needs through the fault-free store.
	setup func(t *testing.T, clean core.Store, key string)
	// run performs the operation through the faulty store. It returns an
	// error only for the operation's own failure; a wrong result is a test
	// failure reported through t.
	run func(ctx context.Context, t *testing.T, s core.Store, key string) error
	// after checks what the store holds once run returned err.
	after func(t *testing.T, env *faultEnv, key string, err error)
}

type faultEnv struct {
	space *space
	clean core.Store // straight to the server, no proxy
}

var faultOps = []faultOp{
	{
		name: "get",
		setup: func(t *testing.T, clean core.Store, key string) {
			put(t, clean, key, pattern(objectSize, 1))
		},
		run: func(ctx context.Context, t *testing.T, s core.Store, key string) error {
			res, err := s.Get(ctx, mustPath(t, key), core.GetOptions{})
			if err != nil {
				return err
			}
			got, err := core.ReadAll(res, nil)
			if err != nil {
				return err
			}
			sameBytes(t, "get", got, pattern(objectSize, 1))
			return nil
		},
	},
	{
		name: "ranged-get",
		setup: func(t *testing.T, clean core.Store, key string) {
			put(t, clean, key, pattern(objectSize, 2))
		},
		run: func(ctx context.Context, t *testing.T, s core.Store, key string) error {
			r := core.Bounded(1000, 50000)
			res, err := s.Get(ctx, mustPath(t, key), core.GetOptions{Range: &r})
			if err != nil {
				return err
			}
			got, err := core.ReadAll(res, nil)
			if err != nil {
				return err
			}
			sameBytes(t, "ranged get", got, pattern(objectSize, 2)[1000:50000])
			return nil
		},
	},
	{
		name: "put",
		run: func(ctx context.Context, t *testing.T, s core.Store, key string) error {
			_, err := s.Put(ctx, mustPath(t, key), pattern(objectSize, 3), core.PutOptions{})
			return err
		},
		after: func(t *testing.T, env *faultEnv, key string, err error) {
			storedWholeOrNothing(t, env.clean, key, pattern(objectSize, 3), err)
		},
	},
	{
		name: "multipart-put",
		run: func(ctx context.Context, t *testing.T, s core.Store, key string) error {
			_, err := core.PutMultipartReader(ctx, s, mustPath(t, key), bytes.NewReader(pattern(multipartSize, 4)),
				core.WriterOptions{ChunkSize: 5 << 20, MaxConcurrency: 2})
			return err
		},
		after: func(t *testing.T, env *faultEnv, key string, err error) {
			storedWholeOrNothing(t, env.clean, key, pattern(multipartSize, 4), err)
			// The proof that nothing is left behind comes from the service
			// itself, not from our store.
			if env.space.openUploads != nil {
				if n := env.space.openUploads(t, key); n != 0 {
					t.Errorf("%d upload(s) (parts) left open for %s after %v", n, key, err)
				}
			}
		},
	},
	{
		name: "list",
		setup: func(t *testing.T, clean core.Store, key string) {
			for i := range listed {
				put(t, clean, fmt.Sprintf("%s/item-%03d", key, i), []byte{byte(i)})
			}
		},
		run: func(ctx context.Context, t *testing.T, s core.Store, key string) error {
			var got []string
			for meta, err := range s.List(ctx, mustPath(t, key), core.ListOptions{}) {
				if err != nil {
					return err
				}
				got = append(got, string(meta.Location))
			}
			var want []string
			for i := range listed {
				want = append(want, fmt.Sprintf("%s/item-%03d", key, i))
			}
			sort.Strings(got)
			if !slices.Equal(got, want) {
				t.Errorf("list returned %d entries as success, want exactly %d: %v", len(got), listed, got)
			}
			return nil
		},
	},
}

type faultCase struct {
	label     string // tells cases with the same toxic apart
	toxic     toxic
	transient bool
	expect    map[string]expect // by op name; missing = mustSucceed
	// per backend: what differs from expect, and why (see backendExpect)
	backends map[string]map[string]expect
}

// expected is what op must do under c on backend b.
func (c faultCase) expected(b, op string) expect {
	if e, ok := c.backends[b][op]; ok {
		return e
	}
	return c.expect[op]
}

func allOps(e expect) map[string]expect {
	m := map[string]expect{}
	for _, op := range faultOps {
		m[op.name] = e
	}
	return m
}

var faultCases = []faultCase{
	{toxic: toxic{Type: "latency", Stream: "downstream", Attributes: map[string]int{"latency": 100, "jitter": 50}}},
	{toxic: toxic{Type: "bandwidth", Stream: "downstream", Attributes: map[string]int{"rate": 128}}}, // KB/s
	{toxic: toxic{Type: "slicer", Stream: "downstream", Attributes: map[string]int{"average_size": 64, "size_variation": 32, "delay": 10}}},
	{toxic: toxic{Type: "reset_peer", Stream: "upstream", Attributes: map[string]int{"timeout": 0}}, expect: allOps(mustFailTyped)},
	{toxic: toxic{Type: "timeout", Stream: "upstream", Attributes: map[string]int{"timeout": 0}}, expect: allOps(mustFailTyped)},
	// Every connection is cut after 20,000 bytes of response: a body
	// resumes on a new connection from where it broke, until the retries
	// run out (64 KiB needs three resumes). fake-gcs-server answers a
	// listing with whole object resources (it ignores the fields asked
	// for): 20 of them do not fit in 20,000 bytes.
	{toxic: toxic{Type: "limit_data", Stream: "downstream", Attributes: map[string]int{"bytes": 20000}},
		expect:   map[string]expect{"get": either, "ranged-get": either},
		backends: map[string]map[string]expect{"gcs": {"list": either}}},
	// At 2,000 bytes a connection, a body needs more resumes than allowed.
	// The GCS SDK's reader and Azure's retry reader resume without a
	// limit of their own and get the exact bytes through.
	{label: "2000", toxic: toxic{Type: "limit_data", Stream: "downstream", Attributes: map[string]int{"bytes": 2000}},
		expect:   map[string]expect{"get": mustFailTyped, "ranged-get": mustFailTyped, "list": mustFailTyped, "put": either, "multipart-put": either},
		backends: map[string]map[string]expect{"gcs": {"get": either, "ranged-get": either}, "azure": {"get": either, "ranged-get": either}}},
	// Requests cut after 32,000 bytes: uploads never arrive whole.
	{toxic: toxic{Type: "limit_data", Stream: "upstream", Attributes: map[string]int{"bytes": 32000}},
		expect: map[string]expect{"put": mustFailTyped, "multipart-put": mustFailTyped}},
	// 5 MiB at 256 KB/s outlasts the client timeout: parts time out. An
	// HTTP multipart upload is one PUT streaming every part, which no
	// attempt timeout may cut (it lasts as long as the writer does).
	{toxic: toxic{Type: "bandwidth", Stream: "upstream", Attributes: map[string]int{"rate": 256}},
		expect:   map[string]expect{"multipart-put": mustFailTyped},
		backends: map[string]map[string]expect{"http": {"multipart-put": either}}},

	// The streamed PUT of an HTTP multipart upload cannot be sent again:
	// cut while the toxic is in place, it fails (typed).
	{toxic: toxic{Type: "reset_peer", Stream: "upstream", Attributes: map[string]int{"timeout": 0}}, transient: true,
		backends: map[string]map[string]expect{"http": {"multipart-put": either}}},
	{toxic: toxic{Type: "timeout", Stream: "upstream", Attributes: map[string]int{"timeout": 0}}, transient: true,
		backends: map[string]map[string]expect{"http": {"multipart-put": either}}},
	{toxic: toxic{Type: "limit_data", Stream: "upstream", Attributes: map[string]int{"bytes": 32000}}, transient: true,
		backends: map[string]map[string]expect{"http": {"multipart-put": either}}},
	// A body cut after the response headers arrived resumes where it broke
	// (HTTP reads resume with the stalls work on core's resumable bodies;
	// until then a broken HTTP body is a typed error).
	{toxic: toxic{Type: "limit_data", Stream: "downstream", Attributes: map[string]int{"bytes": 20000}}, transient: true,
		backends: map[string]map[string]expect{"http": {"get": either, "ranged-get": either}}},
}

func (c faultCase) name() string {
	mode := "persistent"
	if c.transient {
		mode = "transient"
	}
	return fmt.Sprintf("%s%s-%s-%s", c.toxic.Type, c.label, c.toxic.Stream, mode)
}

func TestFaultMatrix(t *testing.T) {
	var mu sync.Mutex
	outcomes := map[string]string{} // backend/case/op → outcome
	t.Cleanup(func() {
		var b strings.Builder
		for _, be := range backends {
			fmt.Fprintf(&b, "\n%-44s", be.name+": toxic \\ op")
			for _, op := range faultOps {
				fmt.Fprintf(&b, " %-20s", op.name)
			}
			for _, c := range faultCases {
				fmt.Fprintf(&b, "\n%-44s", c.name())
				for _, op := range faultOps {
					fmt.Fprintf(&b, " %-20s", outcomes[be.name+"/"+c.name()+"/"+op.name])
				}
			}
		}
		t.Log(b.String())
	})

	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			env := &faultEnv{space: be.newSpace(t)}
			upstream := be.upstream(t)
			env.clean = env.space.open(t, upstream, retryPolicy(2, 50*time.Millisecond, time.Second, 10*time.Second), 10*time.Second)
			for _, c := range faultCases {
				for _, op := range faultOps {
					t.Run(c.name()+"/"+op.name, func(t *testing.T) {
						t.Parallel()
						key := fmt.Sprintf("%s/%s", c.name(), op.name)
						if op.setup != nil {
							op.setup(t, env.clean, key)
						}
						p := newProxy(t, upstream)
						s := env.space.open(t, p.listen, retryPolicy(4, 100*time.Millisecond, time.Second, 8*time.Second), clientTimeout)
						tx := c.toxic
						tx.Name = "fault"
						p.add(tx)
						if c.transient {
							// The toxic's removal may still be in flight when a quick
							// operation ends: wait for it, or the proxy's clean-up
							// races it and the removal finds no proxy.
							removed := make(chan struct{})
							timer := time.AfterFunc(transientFor, func() { defer close(removed); p.remove("fault") })
							defer func() {
								if !timer.Stop() {
									<-removed
								}
							}()
						}
						ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
						defer cancel()
						start := time.Now()
						err := op.run(ctx, t, s, key)
						if ctx.Err() != nil {
							t.Fatalf("the operation hung past its guard deadline: %v", err)
						}
						outcome := "ok"
						if err != nil {
							e, ok := typed(err)
							if !ok {
								t.Fatalf("untyped error %T: %v", err, err)
							}
							outcome = e.Kind.String()
						}
						outcome += fmt.Sprintf(" %.1fs", time.Since(start).Seconds())
						mu.Lock()
						outcomes[be.name+"/"+c.name()+"/"+op.name] = outcome
						mu.Unlock()
						if op.after != nil {
							op.after(t, env, key, err)
						}
						switch c.expected(be.name, op.name) {
						case mustSucceed:
							if err != nil {
								t.Errorf("want success (retries should ride this out), got %v", err)
							}
						case mustFailTyped:
							if err == nil {
								t.Errorf("want a typed failure, got success")
							}
						}
					})
				}
			}
		})
	}
}

func put(t *testing.T, s core.Store, key string, data []byte) {
	t.Helper()
	if _, err := s.Put(context.Background(), mustPath(t, key), data, core.PutOptions{}); err != nil {
		t.Fatalf("setup put %s: %v", key, err)
	}
}

func sameBytes(t *testing.T, what string, got, want []byte) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s returned %d bytes as success, want %d", what, len(got), len(want))
		return
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s returned wrong bytes as success (first difference at %d)", what, firstDiff(got, want))
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// storedWholeOrNothing: after a successful write the object is exactly
// data; after a failed one it is absent or exactly data (the request may
// have landed before its answer was lost) — never a part of it.
func storedWholeOrNothing(t *testing.T, clean core.Store, key string, data []byte, writeErr error) {
	t.Helper()
	res, err := clean.Get(context.Background(), mustPath(t, key), core.GetOptions{})
	if core.IsKind(err, core.NotFound) && writeErr != nil {
		return
	}
	if err != nil {
		t.Fatalf("read back %s (write returned %v): %v", key, writeErr, err)
	}
	got, err := core.ReadAll(res, nil)
	if err != nil {
		t.Fatalf("read back %s: %v", key, err)
	}
	sameBytes(t, "the stored object", got, data)
}
