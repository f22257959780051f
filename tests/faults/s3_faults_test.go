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

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/libobjstore/objstore/core"
)

// The fault matrix: every operation under every toxic, once with the toxic
// in place for the whole call ("persistent") and once with it removed
// shortly after the call starts ("transient", which retries must ride out).

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
	m      minio
	bucket string
	clean  core.Store
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
			ups, lerr := env.m.admin().ListMultipartUploads(context.Background(), &s3.ListMultipartUploadsInput{Bucket: &env.bucket, Prefix: &key})
			if lerr != nil {
				t.Fatalf("list multipart uploads: %v", lerr)
			}
			if len(ups.Uploads) != 0 {
				t.Errorf("%d multipart upload(s) left open for %s after %v", len(ups.Uploads), key, err)
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
	// run out (64 KiB needs three resumes).
	{toxic: toxic{Type: "limit_data", Stream: "downstream", Attributes: map[string]int{"bytes": 20000}},
		expect: map[string]expect{"get": either, "ranged-get": either}},
	// At 2,000 bytes a connection, a body needs more resumes than allowed.
	{label: "2000", toxic: toxic{Type: "limit_data", Stream: "downstream", Attributes: map[string]int{"bytes": 2000}},
		expect: map[string]expect{"get": mustFailTyped, "ranged-get": mustFailTyped, "list": mustFailTyped, "put": either, "multipart-put": either}},
	// Requests cut after 32,000 bytes: uploads never arrive whole.
	{toxic: toxic{Type: "limit_data", Stream: "upstream", Attributes: map[string]int{"bytes": 32000}},
		expect: map[string]expect{"put": mustFailTyped, "multipart-put": mustFailTyped}},
	// 5 MiB at 256 KB/s outlasts the client timeout: parts time out.
	{toxic: toxic{Type: "bandwidth", Stream: "upstream", Attributes: map[string]int{"rate": 256}},
		expect: map[string]expect{"multipart-put": mustFailTyped}},

	{toxic: toxic{Type: "reset_peer", Stream: "upstream", Attributes: map[string]int{"timeout": 0}}, transient: true},
	{toxic: toxic{Type: "timeout", Stream: "upstream", Attributes: map[string]int{"timeout": 0}}, transient: true},
	{toxic: toxic{Type: "limit_data", Stream: "upstream", Attributes: map[string]int{"bytes": 32000}}, transient: true},
	// A body cut after the response headers arrived resumes where it broke.
	{toxic: toxic{Type: "limit_data", Stream: "downstream", Attributes: map[string]int{"bytes": 20000}}, transient: true},
}

func (c faultCase) name() string {
	mode := "persistent"
	if c.transient {
		mode = "transient"
	}
	return fmt.Sprintf("%s%s-%s-%s", c.toxic.Type, c.label, c.toxic.Stream, mode)
}

func TestS3FaultMatrix(t *testing.T) {
	m := minioServer(t)
	env := &faultEnv{m: m, bucket: m.newBucket(t)}
	env.clean = m.openS3(t, m.endpoint, env.bucket, retryPolicy(2, 50*time.Millisecond, time.Second, 10*time.Second), 10*time.Second)

	var mu sync.Mutex
	outcomes := map[string]map[string]string{}
	t.Cleanup(func() {
		var b strings.Builder
		fmt.Fprintf(&b, "\n%-38s", "toxic \\ op")
		for _, op := range faultOps {
			fmt.Fprintf(&b, " %-22s", op.name)
		}
		for _, c := range faultCases {
			fmt.Fprintf(&b, "\n%-38s", c.name())
			for _, op := range faultOps {
				fmt.Fprintf(&b, " %-22s", outcomes[c.name()][op.name])
			}
		}
		t.Log(b.String())
	})

	for _, c := range faultCases {
		for _, op := range faultOps {
			t.Run(c.name()+"/"+op.name, func(t *testing.T) {
				t.Parallel()
				key := fmt.Sprintf("%s/%s", c.name(), op.name)
				if op.setup != nil {
					op.setup(t, env.clean, key)
				}
				p := newProxy(t, m.hostPort(t))
				s := m.openS3(t, "http://"+p.listen, env.bucket,
					retryPolicy(4, 100*time.Millisecond, time.Second, 8*time.Second), clientTimeout)
				tx := c.toxic
				tx.Name = "fault"
				p.add(tx)
				if c.transient {
					timer := time.AfterFunc(transientFor, func() { p.remove("fault") })
					defer timer.Stop()
				}
				ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
				defer cancel()
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
					outcome = "typed " + e.Kind.String()
				}
				mu.Lock()
				if outcomes[c.name()] == nil {
					outcomes[c.name()] = map[string]string{}
				}
				outcomes[c.name()][op.name] = outcome
				mu.Unlock()
				if op.after != nil {
					op.after(t, env, key, err)
				}
				switch c.expect[op.name] {
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
