package gcs

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"cloud.google.com/go/storage"

	"github.com/libobjstore/objstore/core"
)

// refusing answers the first `times` metadata reads of one object with 503
// itself (the emulator never sees them) and records when each attempt
// came; everything else goes to the emulator.
type refusing struct {
	base  http.RoundTripper
	times int

	mu       sync.Mutex
	attempts []time.Time
}

func (r *refusing) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodGet || !strings.HasSuffix(req.URL.Path, "/o/retried") || req.URL.Query().Get("alt") == "media" {
		return r.base.RoundTrip(req)
	}
	r.mu.Lock()
	r.attempts = append(r.attempts, time.Now())
	refuse := len(r.attempts) <= r.times
	r.mu.Unlock()
	if !refuse {
		return r.base.RoundTrip(req)
	}
	return &http.Response{StatusCode: http.StatusServiceUnavailable, Status: "503 Service Unavailable", Proto: "HTTP/1.1",
		ProtoMajor: 1, ProtoMinor: 1, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(bytes.NewReader([]byte(`{"error":{"code":503,"message":"try again"}}`))), Request: req}, nil
}

// The SDK's calls wait between attempts as the retry policy says (as S3's
// do): every wait at least init_backoff. The SDK's own backoff would draw
// waits anywhere from zero up, so that a few retries could all fall inside
// one short outage.
func TestRetriesWaitThePolicysBackoff(t *testing.T) {
	ctx := context.Background()
	c := emulatorConfig(t, uniqueBucket())
	maxRetries, init, maxBackoff := 4, core.Duration(150*time.Millisecond), core.Duration(time.Second)
	c.RetryConfig = &core.RetryConfig{MaxRetries: &maxRetries, Backoff: &core.BackoffConfig{InitBackoff: &init, MaxBackoff: &maxBackoff}}
	rt := &refusing{times: 3}
	s, err := open(ctx, c, nil, func(base http.RoundTripper) http.RoundTripper { rt.base = base; return rt })
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.bucket.Create(ctx, "objstore-test", &storage.BucketAttrs{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, "retried", []byte("x"), core.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if m, err := s.Head(ctx, "retried"); err != nil || m.Size != 1 {
		t.Fatalf("head after 3 refusals: %+v %v", m, err)
	}
	if len(rt.attempts) != 4 {
		t.Fatalf("%d attempts, want 4 (3 refused, then the answer)", len(rt.attempts))
	}
	for i := 1; i < len(rt.attempts); i++ {
		if gap := rt.attempts[i].Sub(rt.attempts[i-1]); gap < time.Duration(init) {
			t.Errorf("wait before attempt %d: %s, less than init_backoff %s", i+1, gap, time.Duration(init))
		}
	}

	// A wait ends with the call's context.
	rt.mu.Lock()
	rt.attempts, rt.times = nil, 1000
	rt.mu.Unlock()
	long := core.Duration(time.Minute)
	c.RetryConfig.Backoff.InitBackoff, c.RetryConfig.Backoff.MaxBackoff = &long, &long
	slow, err := open(ctx, c, nil, func(base http.RoundTripper) http.RoundTripper { rt.base = base; return rt })
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	cctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := slow.Head(cctx, "retried"); err == nil {
		t.Fatal("head succeeded through a refusing server")
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Fatalf("a cancelled call waited %s for its backoff", took)
	}
}
