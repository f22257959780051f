package faults_test

import (
	"context"
	"testing"
	"time"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/observe"
)

// The attempts under an operation are counted where core/driver sends
// them, whatever sent them (here the AWS SDK's retryer): two 503s then an
// answer are three attempts, two retries, two throttling answers and one
// successful operation.
func TestMetricsCountRetriesAndThrottling(t *testing.T) {
	m := minioServer(t)
	bucket := m.newBucket(t)
	clean := m.openS3(t, m.endpoint, bucket, retryPolicy(0, time.Millisecond, time.Millisecond, time.Second), 10*time.Second)
	put(t, clean, "obj", []byte("exact bytes"))

	in, endpoint := newInjector(t, m, 503, 2)
	s := observe.Store(m.openS3(t, endpoint, bucket, retryPolicy(3, 10*time.Millisecond, 20*time.Millisecond, 30*time.Second), 5*time.Second), "s3", bucket)
	if _, err := s.Head(context.Background(), "obj"); err != nil {
		t.Fatal(err)
	}
	got := s.Metrics().Snapshot()
	if got.Attempts != in.seen.Load() || got.Attempts != 3 || got.Retries != 2 || got.Throttled != 2 || got.Requests["head"]["ok"] != 1 {
		t.Errorf("attempts %d (server saw %d), retries %d, throttled %d, requests %v; want 3, 2, 2, head ok 1",
			got.Attempts, in.seen.Load(), got.Retries, got.Throttled, got.Requests)
	}

	// N reads on a healthy path: N operations, N attempts, no retry, and
	// exactly the objects' bytes.
	in, endpoint = newInjector(t, m, 503, 0)
	s = observe.Store(m.openS3(t, endpoint, bucket, nil, 5*time.Second), "s3", bucket)
	const n = 20
	for range n {
		if got := read(t, s, "obj"); got != "exact bytes" {
			t.Fatalf("read %q", got)
		}
	}
	got = s.Metrics().Snapshot()
	if got.Requests["get"]["ok"] != n || got.Attempts != n || in.seen.Load() != n || got.Retries != 0 || got.BytesIn != n*11 || got.InFlight != 0 {
		t.Errorf("%d gets: requests %v, attempts %d (server saw %d), retries %d, bytes in %d, in flight %d",
			n, got.Requests, got.Attempts, in.seen.Load(), got.Retries, got.BytesIn, got.InFlight)
	}
}

// Through Toxiproxy: a connection reset while the toxic lasts is retried,
// and every attempt after the first is a retry; a body cut mid-way is
// resumed and its bytes are counted once.
func TestMetricsThroughToxiproxy(t *testing.T) {
	m := minioServer(t)
	bucket := m.newBucket(t)
	clean := m.openS3(t, m.endpoint, bucket, nil, 10*time.Second)
	data := pattern(200_000, 7)
	put(t, clean, "big", data)

	p := newProxy(t, m.hostPort(t))
	s := observe.Store(m.openS3(t, "http://"+p.listen, bucket, retryPolicy(20, 50*time.Millisecond, 100*time.Millisecond, 20*time.Second), 10*time.Second), "s3", bucket)
	p.add(toxic{Name: "reset", Type: "reset_peer", Stream: "upstream", Attributes: map[string]int{"timeout": 0}})
	time.AfterFunc(300*time.Millisecond, func() { p.remove("reset") })
	if _, err := s.Head(context.Background(), "big"); err != nil {
		t.Fatal(err)
	}
	got := s.Metrics().Snapshot()
	if got.Retries < 1 || got.Retries != got.Attempts-1 || got.Requests["head"]["ok"] != 1 {
		t.Errorf("head through resets: attempts %d, retries %d, requests %v; want retries = attempts-1 >= 1, head ok 1",
			got.Attempts, got.Retries, got.Requests)
	}

	p2 := newProxy(t, m.hostPort(t))
	s = observe.Store(m.openS3(t, "http://"+p2.listen, bucket, retryPolicy(20, 50*time.Millisecond, 100*time.Millisecond, 20*time.Second), 10*time.Second), "s3", bucket)
	p2.add(toxic{Name: "cut", Type: "limit_data", Stream: "downstream", Attributes: map[string]int{"bytes": 20000}})
	time.AfterFunc(300*time.Millisecond, func() { p2.remove("cut") })
	res, err := s.Get(context.Background(), "big", core.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	body, err := core.ReadAll(res, nil)
	if err != nil {
		t.Fatal(err)
	}
	sameBytes(t, "resumed read", body, data)
	got = s.Metrics().Snapshot()
	if got.Resumes < 1 || got.BytesIn != int64(len(data)) || got.Requests["get"]["ok"] != 1 || got.InFlight != 0 {
		t.Errorf("read cut mid-body: resumes %d, bytes in %d (want %d), requests %v, in flight %d",
			got.Resumes, got.BytesIn, len(data), got.Requests, got.InFlight)
	}
}
