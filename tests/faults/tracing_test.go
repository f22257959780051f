package faults_test

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/otel/codes"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/stores"
	"github.com/libobjstore/objstore/core/tracing/tracingtest"
)

// openTraced opens an S3 store on MinIO (or a proxy before it) from its
// document, traced, the way every binding opens one.
func openTraced(t *testing.T, m minio, endpoint, bucket string, retry *core.RetryConfig) *stores.Handle {
	t.Helper()
	c := m.s3Config(endpoint, bucket, retry, 5*time.Second)
	c.ClientOptions["tracing"] = "true"
	h, err := stores.Open(context.Background(), c, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

// Against MinIO: N gets are N spans with the store's kind and bucket, one
// attempt each and the object's bytes; a missing object is an error span;
// an answer that fails once (503) and is retried is one span with two
// attempts and one retry, as the server saw them.
func TestTracingSpansAgainstMinIO(t *testing.T) {
	m := minioServer(t)
	bucket := m.newBucket(t)
	exp := tracingtest.Collect(t)

	h := openTraced(t, m, m.endpoint, bucket, nil)
	put(t, h.Store, "dir/obj", []byte("exact bytes"))
	const n = 12
	for range n {
		if got := read(t, h.Store, "dir/obj"); got != "exact bytes" {
			t.Fatalf("read %q", got)
		}
	}
	if _, err := h.Store.Head(context.Background(), "dir/missing"); !core.IsKind(err, core.NotFound) {
		t.Fatal(err)
	}
	gets, heads := 0, 0
	for _, s := range exp.GetSpans() {
		a := tracingtest.Attrs(s)
		if a["objstore.store.kind"].AsString() != "s3" || a["objstore.bucket"].AsString() != bucket || a["objstore.attempts"].AsInt64() != 1 || a["objstore.retries"].AsInt64() != 0 {
			t.Errorf("%s: %v", s.Name, s.Attributes)
		}
		switch s.Name {
		case "objstore.get":
			gets++
			if a["objstore.bytes"].AsInt64() != 11 || a["objstore.status"].AsString() != "ok" || a["objstore.path.length"].AsInt64() != 7 {
				t.Errorf("get: %v", s.Attributes)
			}
		case "objstore.head":
			heads++
			if s.Status.Code != codes.Error || s.Status.Description != "not_found" {
				t.Errorf("head of a missing object: %v %v", s.Status, s.Attributes)
			}
		}
	}
	if gets != n || heads != 1 {
		t.Fatalf("%d gets and a missing head made %d get and %d head spans", n, gets, heads)
	}

	exp.Reset()
	in, endpoint := newInjector(t, m, 503, 1)
	retried := openTraced(t, m, endpoint, bucket, retryPolicy(3, 10*time.Millisecond, 20*time.Millisecond, 30*time.Second))
	if got := read(t, retried.Store, "dir/obj"); got != "exact bytes" {
		t.Fatalf("read %q", got)
	}
	spans := exp.GetSpans()
	if len(spans) != 1 {
		t.Fatalf("one retried read made %d spans", len(spans))
	}
	a := tracingtest.Attrs(spans[0])
	if a["objstore.attempts"].AsInt64() != in.seen.Load() || a["objstore.attempts"].AsInt64() != 2 || a["objstore.retries"].AsInt64() != 1 || a["objstore.status"].AsString() != "ok" {
		t.Errorf("retried read (the server saw %d requests): %v", in.seen.Load(), spans[0].Attributes)
	}
}
