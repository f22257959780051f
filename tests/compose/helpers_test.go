// Package compose_test runs the wrapping stores (cache, limit) against the
// MinIO test server, opened from their config documents as users open
// them: the conformance suite through each, what the cache saves (counted
// at a proxy in front of MinIO), an overwrite by another process, and the
// limits as MinIO sees them.
//
// Run via: buildscripts/with-servers.sh minio -- go test ./tests/compose/
package compose_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/stores"
	"github.com/libobjstore/objstore/tests/testminio"
)

type minio struct{ testminio.Server }

func minioServer(t testing.TB) minio {
	t.Helper()
	return minio{testminio.FromEnv(t, "buildscripts/with-servers.sh minio -- go test ./tests/compose/")}
}

func (m minio) newBucket(t testing.TB) string {
	t.Helper()
	return m.NewBucket(t, "objstore-compose-")
}

// s3Doc is the document of an S3 store on bucket, reached at endpoint
// (MinIO itself or a proxy in front of it).
func (m minio) s3Doc(endpoint, bucket string) core.Config {
	two := 2
	return core.Config{
		Kind:          "s3",
		Bucket:        bucket,
		Config:        core.Options{"endpoint": endpoint, "access_key_id": m.AccessKey, "secret_access_key": m.SecretKey, "region": "us-east-1"},
		ClientOptions: core.Options{"allow_http": "true"},
		RetryConfig:   &core.RetryConfig{MaxRetries: &two},
	}
}

// wrapped is the document of kind over inner.
func wrapped(kind string, config core.Options, inner core.Config) core.Config {
	return core.Config{Kind: kind, Config: config, Inner: &inner}
}

// open opens a document as users do and closes it at the end.
func open(t testing.TB, doc core.Config) *stores.Handle {
	t.Helper()
	h, err := stores.Open(context.Background(), doc, nil)
	if err != nil {
		t.Fatalf("open %s: %v", doc.JSON(), err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

// proxy stands in front of MinIO and counts what reaches it: requests by
// method, when each arrived, and how many were in flight at once. S3
// requests are signed for the proxy's address, which it passes on as the
// Host, so MinIO accepts them.
type proxy struct {
	url                    string
	gets, heads, total     atomic.Int64
	inFlight, peakInFlight atomic.Int64
	mu                     sync.Mutex
	arrivals               []time.Time
}

func (m minio) proxy(t testing.TB) *proxy {
	t.Helper()
	target, err := url.Parse(m.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{}
	forward := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.total.Add(1)
		switch r.Method {
		case http.MethodGet:
			p.gets.Add(1)
		case http.MethodHead:
			p.heads.Add(1)
		}
		p.mu.Lock()
		p.arrivals = append(p.arrivals, time.Now())
		p.mu.Unlock()
		n := p.inFlight.Add(1)
		for peak := p.peakInFlight.Load(); n > peak && !p.peakInFlight.CompareAndSwap(peak, n); peak = p.peakInFlight.Load() {
		}
		defer p.inFlight.Add(-1)
		forward.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	p.url = srv.URL
	return p
}

// reads counts the reading requests (GET and HEAD) so far.
func (p *proxy) reads() int64 { return p.gets.Load() + p.heads.Load() }

func (p *proxy) reset() {
	p.gets.Store(0)
	p.heads.Store(0)
	p.total.Store(0)
	p.peakInFlight.Store(0)
	p.mu.Lock()
	p.arrivals = nil
	p.mu.Unlock()
}

func (p *proxy) arrivalTimes() []time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]time.Time(nil), p.arrivals...)
}
