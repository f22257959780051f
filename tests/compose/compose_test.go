package compose_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/cache"
	"github.com/libobjstore/objstore/core/limit"
	"github.com/libobjstore/objstore/core/stores"
	"github.com/libobjstore/objstore/core/storetest"
)

// Another process, for what only another process can show: this test
// binary run again with OBJSTORE_COMPOSE_CHILD set does one thing on the
// document in OBJSTORE_COMPOSE_DOC and exits.
func TestMain(m *testing.M) {
	action := os.Getenv("OBJSTORE_COMPOSE_CHILD")
	if action == "" {
		os.Exit(m.Run())
	}
	if err := child(action, os.Getenv("OBJSTORE_COMPOSE_DOC"), os.Getenv("OBJSTORE_COMPOSE_PATH")); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0)
}

// childResult is what a reading child reports.
type childResult struct {
	SHA256 string
	Stats  cache.Stats
}

func child(action, docText, path string) error {
	ctx := context.Background()
	doc, err := core.ParseConfig([]byte(docText))
	if err != nil {
		return err
	}
	h, err := stores.Open(ctx, doc, nil)
	if err != nil {
		return err
	}
	defer h.Close()
	switch action {
	case "overwrite":
		_, err = h.Store.Put(ctx, core.Path(path), []byte("written by another process"), core.PutOptions{})
		return err
	case "read":
		res, err := h.Store.Get(ctx, core.Path(path), core.GetOptions{})
		if err != nil {
			return err
		}
		data, err := core.ReadAll(res, nil)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		return json.NewEncoder(os.Stdout).Encode(childResult{hex.EncodeToString(sum[:]), h.Backend.(*cache.Store).Stats()})
	}
	return fmt.Errorf("no child action %q", action)
}

// runChild runs this test binary as another process doing action on doc.
func runChild(t *testing.T, action string, doc core.Config, path string) []byte {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "OBJSTORE_COMPOSE_CHILD="+action, "OBJSTORE_COMPOSE_DOC="+string(doc.JSON()), "OBJSTORE_COMPOSE_PATH="+path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child %s: %v: %s", action, err, stderr.String())
	}
	return out
}

var minioCaps = storetest.Capabilities{NoVersions: true, ObjectAndPrefixConflict: true}

// The whole conformance suite through a cache (memory and disk tiers,
// small blocks so that the suite's objects span many) and through a
// limit, each over a fresh MinIO bucket.
func TestConformanceThroughCache(t *testing.T) {
	m := minioServer(t)
	storetest.Run(t, func(t *testing.T) core.Store {
		doc := wrapped("cache", core.Options{"memory_bytes": "64MiB", "disk_dir": t.TempDir(), "block_bytes": "256KiB"}, m.s3Doc(m.Endpoint, m.newBucket(t)))
		return open(t, doc).Store
	}, minioCaps)
}

func TestConformanceThroughLimit(t *testing.T) {
	m := minioServer(t)
	storetest.Run(t, func(t *testing.T) core.Store {
		doc := wrapped("limit", core.Options{"max_in_flight": "8", "requests_per_second": "1000", "bytes_per_second": "512MiB"}, m.s3Doc(m.Endpoint, m.newBucket(t)))
		return open(t, doc).Store
	}, minioCaps)
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

func readAll(t *testing.T, s core.Store, path string) []byte {
	t.Helper()
	res, err := s.Get(context.Background(), core.Path(path), core.GetOptions{})
	if err != nil {
		t.Fatalf("get %s: %v", path, err)
	}
	data, err := core.ReadAll(res, nil)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return data
}

// A second read of a 64 MiB object, and any range of it, makes no request
// to MinIO (counted at a proxy in front of it); another process sharing
// the disk tier reads it without one too.
func TestSecondReadOf64MiBMakesNoRequest(t *testing.T) {
	m := minioServer(t)
	p := m.proxy(t)
	doc := wrapped("cache", core.Options{"memory_bytes": "128MiB", "disk_dir": t.TempDir(), "disk_bytes": "1GiB", "ttl": "10m"},
		m.s3Doc(p.url, m.newBucket(t)))
	h := open(t, doc)
	data := randomBytes(64 << 20)
	if _, err := h.Store.Put(context.Background(), "big", data, core.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	p.reset()
	start := time.Now()
	if got := readAll(t, h.Store, "big"); !bytes.Equal(got, data) {
		t.Fatal("first read: wrong bytes")
	}
	t.Logf("64 MiB from MinIO through the cache: %s", time.Since(start))
	if p.total.Load() != 1 || p.gets.Load() != 1 {
		t.Fatalf("the first read made %d requests (%d GET), want one GET", p.total.Load(), p.gets.Load())
	}
	start = time.Now()
	if got := readAll(t, h.Store, "big"); !bytes.Equal(got, data) {
		t.Fatal("second read: wrong bytes")
	}
	t.Logf("64 MiB again, from the memory tier: %s", time.Since(start))
	parts, err := core.GetRanges(context.Background(), h.Store, "big", []core.Range{core.Bounded(5, 1<<20), core.Bounded(40<<20, 41<<20+3)}, nil)
	if err != nil || !bytes.Equal(parts[0], data[5:1<<20]) || !bytes.Equal(parts[1], data[40<<20:41<<20+3]) {
		t.Fatalf("ranges from the cache: %v", err)
	}
	suffix := core.Suffix(100)
	res, err := h.Store.Get(context.Background(), "big", core.GetOptions{Range: &suffix})
	if err != nil {
		t.Fatal(err)
	}
	if tail, err := core.ReadAll(res, nil); err != nil || !bytes.Equal(tail, data[len(data)-100:]) {
		t.Fatalf("suffix from the cache: %v", err)
	}
	if n := p.total.Load(); n != 1 {
		t.Fatalf("reading again made %d more requests to MinIO", n-1)
	}

	start = time.Now()
	out := runChild(t, "read", doc, "big")
	t.Logf("64 MiB from the disk tier in another process (its start included): %s", time.Since(start))
	var child childResult
	if err := json.Unmarshal(out, &child); err != nil {
		t.Fatalf("child said %q: %v", out, err)
	}
	want := sha256.Sum256(data)
	if child.SHA256 != hex.EncodeToString(want[:]) {
		t.Fatal("the other process read wrong bytes")
	}
	if n := p.total.Load(); n != 1 || child.Stats.DiskHits != 16 || child.Stats.Fetched != 0 {
		t.Fatalf("the other process made %d requests; its cache: %+v", n-1, child.Stats)
	}
}

// An overwrite by another process is seen once the ttl has passed since
// the cache last checked the object (an If-None-Match request on its
// etag), never later; until then the cache serves what it has, asking
// MinIO nothing.
func TestOverwriteByAnotherProcessIsSeenAfterTTL(t *testing.T) {
	const ttl = 3 * time.Second
	m := minioServer(t)
	p := m.proxy(t)
	bucket := m.newBucket(t)
	plain := m.s3Doc(m.Endpoint, bucket)
	if _, err := open(t, plain).Store.Put(context.Background(), "obj", []byte("the first version"), core.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	cached := open(t, wrapped("cache", core.Options{"ttl": ttl.String()}, m.s3Doc(p.url, bucket))).Store
	before := time.Now() // the cache's check of the object is sent after this
	if got := readAll(t, cached, "obj"); string(got) != "the first version" {
		t.Fatalf("first read: %q", got)
	}
	runChild(t, "overwrite", plain, "obj")
	written := time.Now()
	asked := p.reads()
	for seenNew := 0; seenNew < 3; {
		start := time.Now()
		got := string(readAll(t, cached, "obj"))
		switch {
		case start.Before(before.Add(ttl)):
			if got != "the first version" || p.reads() != asked {
				t.Fatalf("within the ttl: %q, %d requests to MinIO (want the cached version, none)", got, p.reads()-asked)
			}
		case start.After(written.Add(ttl)):
			if got != "written by another process" {
				t.Fatalf("read %s after the overwrite (ttl %s): %q, stale", start.Sub(written), ttl, got)
			}
			seenNew++
		}
		time.Sleep(100 * time.Millisecond)
	}
	if p.heads.Load() == 0 {
		t.Fatal("the cache never checked the object with a conditional request")
	}
}

// requests_per_second as MinIO sees it: never above the limit by more than
// 10 %, over the requests after the first burst, and not far below it (a
// loaded machine may not answer 40 HEADs a second through 8 callers, so
// below is held to 80 %: what it catches is a limiter that over-throttles).
func TestLimitHoldsRequestsPerSecond(t *testing.T) {
	const rate = 40.0
	m := minioServer(t)
	p := m.proxy(t)
	doc := wrapped("limit", core.Options{"requests_per_second": fmt.Sprint(rate)}, m.s3Doc(p.url, m.newBucket(t)))
	s := open(t, doc).Store
	if _, err := s.Put(context.Background(), "x", []byte("x"), core.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second) // the bucket full again
	p.reset()
	deadline := time.Now().Add(3 * time.Second)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				if _, err := s.Head(context.Background(), "x"); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	arrivals := p.arrivalTimes()
	burst := int(rate / 10)
	if len(arrivals) < burst+10 {
		t.Fatalf("only %d requests reached MinIO", len(arrivals))
	}
	steady := arrivals[burst:]
	got := float64(len(steady)-1) / steady[len(steady)-1].Sub(steady[0]).Seconds()
	t.Logf("%d requests, %.1f a second after the first %d (limit %.0f)", len(arrivals), got, burst, rate)
	if got < rate*0.8 || got > rate*1.1 {
		t.Fatalf("MinIO saw %.1f requests a second under a limit of %.0f", got, rate)
	}
}

// max_in_flight as MinIO sees it: never more requests at once, and the
// limit used.
func TestLimitHoldsMaxInFlight(t *testing.T) {
	m := minioServer(t)
	p := m.proxy(t)
	h := open(t, wrapped("limit", core.Options{"max_in_flight": "3"}, m.s3Doc(p.url, m.newBucket(t))))
	data := randomBytes(1 << 20)
	if _, err := h.Store.Put(context.Background(), "obj", data, core.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	p.reset()
	var wg sync.WaitGroup
	for range 12 {
		wg.Go(func() {
			for range 5 {
				if got := readAll(t, h.Store, "obj"); !bytes.Equal(got, data) {
					t.Error("wrong bytes")
				}
			}
		})
	}
	wg.Wait()
	st := h.Backend.(*limit.Store).Stats()
	if peak := p.peakInFlight.Load(); peak != 3 || st.PeakInFlight != 3 || p.gets.Load() != 60 {
		t.Fatalf("max_in_flight 3: MinIO saw %d at once (the store %d), %d gets", peak, st.PeakInFlight, p.gets.Load())
	}
}

// bytes_per_second: a read streams at the limit: at most 10 % above it,
// at least 80 % of it (below, a loaded machine; above, a broken limiter).
func TestLimitHoldsBytesPerSecond(t *testing.T) {
	m := minioServer(t)
	h := open(t, wrapped("limit", core.Options{"bytes_per_second": "4MiB"}, m.s3Doc(m.Endpoint, m.newBucket(t))))
	data := randomBytes(10 << 20)
	if _, err := open(t, *h.Config.Inner).Store.Put(context.Background(), "obj", data, core.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if got := readAll(t, h.Store, "obj"); !bytes.Equal(got, data) {
		t.Fatal("wrong bytes")
	}
	rate := float64(len(data)) / time.Since(start).Seconds() / (1 << 20)
	t.Logf("10 MiB read at %.2f MiB/s (limit 4)", rate)
	if rate < 3.2 || rate > 4.4 {
		t.Fatalf("read at %.2f MiB/s under a limit of 4 MiB/s", rate)
	}
}
