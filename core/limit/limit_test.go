package limit

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/local"
	"github.com/libobjstore/objstore/core/memory"
	"github.com/libobjstore/objstore/core/storetest"
)

// Limits loose enough for the suite to finish quickly, tight enough that
// its concurrent items (races, multipart) queue.
var testLimits = Limits{MaxInFlight: 4, RequestsPerSecond: 2000, BytesPerSecond: 512 << 20}

func TestConformanceOverMemory(t *testing.T) {
	storetest.Run(t, func(t *testing.T) core.Store { return New(memory.New(), testLimits) },
		storetest.Capabilities{NoVersions: true, NoSign: true, NoUploadCleanup: true})
}

func TestConformanceOverLocal(t *testing.T) {
	storetest.Run(t, func(t *testing.T) core.Store {
		inner, err := local.New(t.TempDir(), local.Options{})
		if err != nil {
			t.Fatal(err)
		}
		s := New(inner, testLimits)
		t.Cleanup(func() { s.Close() })
		return s
	}, storetest.Capabilities{NoAttributes: true, NoVersions: true, NoSign: true, ObjectAndPrefixConflict: true})
}

func holdBodies(t *testing.T, s *Store, n int, hold time.Duration) {
	t.Helper()
	ctx := context.Background()
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			res, err := s.Get(ctx, "obj", core.GetOptions{})
			if err != nil {
				t.Error(err)
				return
			}
			time.Sleep(hold) // the body open: the operation still in flight
			res.Body.Close()
		})
	}
	wg.Wait()
}

// At most max_in_flight operations run at once, a get until its body is
// closed.
func TestMaxInFlight(t *testing.T) {
	inner := memory.New()
	inner.Put(context.Background(), "obj", []byte("x"), core.PutOptions{})
	s := New(inner, Limits{MaxInFlight: 3})
	holdBodies(t, s, 16, 20*time.Millisecond)
	if st := s.Stats(); st.PeakInFlight != 3 || st.InFlight != 0 || st.Operations != 16 {
		t.Fatalf("16 gets under max_in_flight 3: %+v", st)
	}
}

// Rates are held: n operations past the burst take at least (n-burst)/rate.
// (Only the lower bound is asserted: a slow machine takes longer anyway.)
func TestRequestsAndBytesPerSecond(t *testing.T) {
	ctx := context.Background()
	inner := memory.New()
	inner.Put(ctx, "obj", make([]byte, 256<<10), core.PutOptions{})
	s := New(inner, Limits{RequestsPerSecond: 100})
	start := time.Now()
	for range 50 {
		if _, err := s.Head(ctx, "obj"); err != nil {
			t.Fatal(err)
		}
	}
	if took := time.Since(start); took < 390*time.Millisecond { // (50 - burst 10) / 100 per second
		t.Fatalf("50 heads at 100 a second took %s", took)
	}

	s = New(inner, Limits{BytesPerSecond: 1 << 20})
	start = time.Now()
	for range 4 {
		res, err := s.Get(ctx, "obj", core.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := core.ReadAll(res, nil); err != nil {
			t.Fatal(err)
		}
	}
	// 1 MiB read at 1 MiB a second, less the burst of a tenth of it
	if took := time.Since(start); took < 890*time.Millisecond {
		t.Fatalf("1 MiB at 1 MiB a second took %s", took)
	}
	if st := s.Stats(); st.Bytes != 1<<20 {
		t.Fatalf("bytes counted: %d", st.Bytes)
	}
	// Writes count their bytes too.
	start = time.Now()
	s.Put(ctx, "w1", make([]byte, 600<<10), core.PutOptions{})
	s.Put(ctx, "w2", make([]byte, 600<<10), core.PutOptions{})
	if took := time.Since(start); took < 500*time.Millisecond {
		t.Fatalf("1.2 MiB written at 1 MiB a second took %s", took)
	}
}

// A wait for the limits ends with the caller's context, as a typed error,
// and gives its place back.
func TestWaitsEndWithTheContext(t *testing.T) {
	inner := memory.New()
	inner.Put(context.Background(), "obj", []byte("x"), core.PutOptions{})
	s := New(inner, Limits{MaxInFlight: 1, RequestsPerSecond: 1})
	held, err := s.Get(context.Background(), "obj", core.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := s.Head(ctx, "obj"); !core.IsKind(err, core.Cancelled) && !core.IsKind(err, core.Timeout) {
		t.Fatalf("waiting for a place: %v", err)
	}
	held.Body.Close()
	ctx2, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	if _, err := s.Head(ctx2, "obj"); !core.IsKind(err, core.Cancelled) && !core.IsKind(err, core.Timeout) {
		t.Fatalf("waiting for a token (1 a second, just spent): %v", err)
	}
	if st := s.Stats(); st.InFlight != 0 {
		t.Fatalf("cancelled waits kept places: %+v", st)
	}
}
