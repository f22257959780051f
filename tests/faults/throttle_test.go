package faults_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/libobjstore/objstore/core"
	s3store "github.com/libobjstore/objstore/core/s3"
	"github.com/libobjstore/objstore/core/stores"
)

// The throttling server is buildscripts/bench/s3bench-server in its
// throttle mode: an in-memory S3 that refuses requests beyond a rate with
// 503 SlowDown (or 429 with Retry-After), as an overloaded S3 partition
// does. No real test server throttles on purpose.

type throttlingServer struct {
	endpoint, bucket string
}

// startThrottlingServer builds the server from this repository and starts
// it on a free loopback port with args; it is stopped when the test ends.
func startThrottlingServer(t *testing.T, args ...string) throttlingServer {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "s3bench-server")
	build := exec.Command("go", "build", "-o", bin, "github.com/libobjstore/objstore/buildscripts/bench/s3bench-server")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build s3bench-server: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, append([]string{"-addr", addr}, args...)...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	srv := throttlingServer{endpoint: "http://" + addr, bucket: "throttled"}
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(srv.endpoint + "/")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("s3bench-server did not answer: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	req, _ := http.NewRequest(http.MethodPut, srv.endpoint+"/"+srv.bucket, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("create bucket: %v %v", resp, err)
	}
	resp.Body.Close()
	return srv
}

// stats are the server's counts of served and refused requests.
func (s throttlingServer) stats(t *testing.T) (served, refused int64) {
	t.Helper()
	resp, err := http.Get(s.endpoint + "/?stats")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st struct{ Served, Refused int64 }
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	return st.Served, st.Refused
}

// open opens an S3 store on the server with unsigned requests, extra
// config keys and the retry policy (nil: the default).
func (s throttlingServer) open(t *testing.T, config core.Options, retry *core.RetryConfig) *s3store.Store {
	t.Helper()
	cfg := core.Options{"endpoint": s.endpoint, "skip_signature": "true", "region": "us-east-1"}
	for k, v := range config {
		cfg[k] = v
	}
	c, err := s3store.Backend.Normalize(core.Config{Kind: "s3", Bucket: s.bucket, Config: cfg,
		ClientOptions: core.Options{"allow_http": "true"}, RetryConfig: retry})
	if err != nil {
		t.Fatal(err)
	}
	st, err := s3store.Backend.Open(context.Background(), c, nil) // the backend's own store, for its Throttle
	if err != nil {
		t.Fatal(err)
	}
	return st.(*s3store.Store)
}

func throttledKey(i int) string { return fmt.Sprintf("obj/%05d", i) }

func throttledData(i int) []byte { return pattern(512+i%1500, byte(i)) }

// putAll writes n objects with 32 writers; every put must succeed.
func putAll(t *testing.T, s core.Store, n int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	sem := make(chan struct{}, 32)
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if _, err := s.Put(context.Background(), mustPath(t, throttledKey(i)), throttledData(i), core.PutOptions{}); err != nil {
				errs <- fmt.Errorf("put %d: %w", i, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// get_many of 2,000 objects against a server that serves 400 requests a
// second and refuses the rest with 503 SlowDown, with a tight retry policy
// (3 retries): every object comes back with exactly its bytes, and a bulk
// delete (single deletes, then DeleteObjects batches) removes every object.
// The window is what makes it finish: requests wait for room instead of
// spending retries. (Measured: with the window never cut, the puts of the
// setup already fail with SlowDown after their 3 retries.)
func TestThrottledGetManyAndBulkDelete(t *testing.T) {
	const objects = 2000
	srv := startThrottlingServer(t, "-throttle-rate", "400", "-throttle-burst", "40")
	retries := 3
	s := srv.open(t, nil, &core.RetryConfig{MaxRetries: &retries})
	ctx := context.Background()

	start := time.Now()
	putAll(t, s, objects)
	t.Logf("%d puts in %s; window %+v", objects, time.Since(start), s.Throttle().Stats())

	reqs := make([]core.GetManyRequest, objects)
	for i := range reqs {
		reqs[i] = core.GetManyRequest{Path: mustPath(t, throttledKey(i))}
	}
	_, refusedBefore := srv.stats(t)
	start = time.Now()
	results := core.GetMany(ctx, s, reqs, nil, core.GetManyOptions{})
	elapsed := time.Since(start)
	served, refused := srv.stats(t)
	for i, r := range results {
		if r.Err != nil {
			t.Fatalf("get_many item %d: %v", i, r.Err)
		}
		if !bytes.Equal(r.Data, throttledData(i)) {
			t.Fatalf("get_many item %d: wrong bytes", i)
		}
	}
	if refused == refusedBefore {
		t.Fatal("the server never refused a request: nothing was throttled")
	}
	t.Logf("get_many of %d objects: %s, %d refusals (server total: %d served, %d refused); window %+v",
		objects, elapsed, refused-refusedBefore, served, refused, s.Throttle().Stats())

	// Half by single deletes (disable_bulk_delete, 4 in flight), half by
	// DeleteObjects batches; both stores share the server's rate.
	single := srv.open(t, core.Options{"disable_bulk_delete": "true"}, &core.RetryConfig{MaxRetries: &retries})
	for half, store := range []*s3store.Store{single, s} {
		paths := make([]core.Path, 0, objects/2)
		for i := half * objects / 2; i < (half+1)*objects/2; i++ {
			paths = append(paths, mustPath(t, throttledKey(i)))
		}
		_, refusedBefore := srv.stats(t)
		start := time.Now()
		for i, err := range core.DeleteMany(ctx, store, paths) {
			if err != nil {
				t.Fatalf("delete %s: %v", paths[i], err)
			}
		}
		_, refused := srv.stats(t)
		t.Logf("bulk delete of %d objects: %s, %d refusals", len(paths), time.Since(start), refused-refusedBefore)
	}
	for meta, err := range s.List(ctx, "obj", core.ListOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
		t.Fatalf("%s is still listed after the bulk deletes", meta.Location)
	}
}

// 429 with Retry-After: the store waits as asked (capped by max_backoff)
// and every read completes.
func TestThrottledRetryAfter(t *testing.T) {
	const objects = 150
	srv := startThrottlingServer(t, "-throttle-rate", "300", "-throttle-burst", "30", "-throttle-status", "429", "-retry-after")
	s := srv.open(t, nil, nil)
	putAll(t, s, objects)
	reqs := make([]core.GetManyRequest, objects)
	for i := range reqs {
		reqs[i] = core.GetManyRequest{Path: mustPath(t, throttledKey(i))}
	}
	start := time.Now()
	results := core.GetMany(context.Background(), s, reqs, nil, core.GetManyOptions{})
	for i, r := range results {
		if r.Err != nil {
			t.Fatalf("item %d: %v", i, r.Err)
		}
		if !bytes.Equal(r.Data, throttledData(i)) {
			t.Fatalf("item %d: wrong bytes", i)
		}
	}
	served, refused := srv.stats(t)
	t.Logf("get_many of %d objects with 429 + Retry-After: %s; server %d served, %d refused; window %+v",
		objects, time.Since(start), served, refused, s.Throttle().Stats())
	if refused == 0 {
		t.Fatal("nothing was throttled")
	}
}

// Handles of equal config documents share one store, so one window: what
// one handle's throttled requests taught it holds for the other's.
func TestThrottleWindowSharedByHandlesOfOneConfig(t *testing.T) {
	srv := startThrottlingServer(t, "-throttle-rate", "200", "-throttle-burst", "5")
	doc := core.Config{Kind: "s3", Bucket: srv.bucket,
		Config:        core.Options{"endpoint": srv.endpoint, "skip_signature": "true", "region": "us-east-1"},
		ClientOptions: core.Options{"allow_http": "true"}}
	ctx := context.Background()
	h1, err := stores.Open(ctx, doc, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer h1.Close()
	h2, err := stores.Open(ctx, doc, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer h2.Close()
	putAll(t, h1.Store, 100) // enough to be throttled at 200 requests a second
	w1, w2 := h1.Backend.(*s3store.Store).Throttle(), h2.Backend.(*s3store.Store).Throttle()
	if w1 != w2 {
		t.Fatal("two handles of one config have two windows")
	}
	if st := w2.Stats(); st.Throttled == 0 || math.IsInf(st.Limit, 1) {
		t.Fatalf("after throttled puts through the first handle, the second sees %+v", st)
	}
}
