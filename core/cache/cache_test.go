package cache

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/local"
	"github.com/libobjstore/objstore/core/memory"
	"github.com/libobjstore/objstore/core/storetest"
)

func mustCache(t *testing.T, inner core.Store, opts Options) *Store {
	t.Helper()
	if opts.Identity == "" {
		opts.Identity = t.Name()
	}
	c, err := New(inner, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// Small blocks, so that the suite's objects span many of them.
var testOptions = Options{MemoryBytes: 64 << 20, TTL: time.Minute, BlockBytes: 64 << 10}

func withDisk(t *testing.T, o Options) Options {
	o.DiskDir, o.DiskBytes = t.TempDir(), 256<<20
	return o
}

func TestConformanceOverMemory(t *testing.T) {
	storetest.Run(t, func(t *testing.T) core.Store { return mustCache(t, memory.New(), testOptions) },
		storetest.Capabilities{NoVersions: true, NoSign: true, NoUploadCleanup: true})
}

func TestConformanceOverLocal(t *testing.T) {
	storetest.Run(t, func(t *testing.T) core.Store {
		inner, err := local.New(t.TempDir(), local.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return mustCache(t, inner, withDisk(t, testOptions))
	}, storetest.Capabilities{NoAttributes: true, NoVersions: true, NoSign: true, ObjectAndPrefixConflict: true})
}

// counting counts the reads that reach the inner store.
type counting struct {
	core.Store
	gets, heads, dataGets atomic.Int64
}

func (s *counting) Get(ctx context.Context, path core.Path, opts core.GetOptions) (*core.GetResult, error) {
	s.gets.Add(1)
	if !opts.Head {
		s.dataGets.Add(1)
	}
	return s.Store.Get(ctx, path, opts)
}

func (s *counting) Head(ctx context.Context, path core.Path) (core.ObjectMeta, error) {
	s.heads.Add(1)
	return s.Store.Head(ctx, path)
}

func (s *counting) requests() int64 { return s.gets.Load() + s.heads.Load() }

func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7) ^ seed ^ byte(i>>13)
	}
	return b
}

func readAll(t *testing.T, s core.Store, path string, r *core.Range) []byte {
	t.Helper()
	res, err := s.Get(context.Background(), core.Path(path), core.GetOptions{Range: r})
	if err != nil {
		t.Fatalf("get %s %v: %v", path, r, err)
	}
	data, err := core.ReadAll(res, nil)
	if err != nil {
		t.Fatalf("read %s %v: %v", path, r, err)
	}
	return data
}

func putInner(t *testing.T, s core.Store, path string, data []byte) {
	t.Helper()
	if _, err := s.Put(context.Background(), core.Path(path), data, core.PutOptions{}); err != nil {
		t.Fatal(err)
	}
}

func bounded(start, end uint64) *core.Range { r := core.Bounded(start, end); return &r }

// A second read, whole or in ranges, asks the inner store nothing; a cold
// read is one request.
func TestSecondReadIsServedFromMemory(t *testing.T) {
	inner := &counting{Store: memory.New()}
	c := mustCache(t, inner, testOptions)
	data := pattern(1<<20+12345, 1)
	putInner(t, inner, "obj", data)

	if got := readAll(t, c, "obj", nil); !bytes.Equal(got, data) {
		t.Fatal("first read: wrong bytes")
	}
	if n := inner.requests(); n != 1 {
		t.Fatalf("a cold whole read made %d requests, want 1", n)
	}
	if got := readAll(t, c, "obj", nil); !bytes.Equal(got, data) {
		t.Fatal("second read: wrong bytes")
	}
	for _, r := range []*core.Range{bounded(0, 10), bounded(70000, 400000), bounded(1<<20, 1<<21)} {
		end := min(r.End, uint64(len(data)))
		if got := readAll(t, c, "obj", r); !bytes.Equal(got, data[r.Start:end]) {
			t.Fatalf("range %v: wrong bytes", r)
		}
	}
	suffix := core.Suffix(100)
	if got := readAll(t, c, "obj", &suffix); !bytes.Equal(got, data[len(data)-100:]) {
		t.Fatal("suffix: wrong bytes")
	}
	if m, err := c.Head(context.Background(), "obj"); err != nil || m.Size != uint64(len(data)) {
		t.Fatalf("head: %+v %v", m, err)
	}
	if n := inner.requests(); n != 1 {
		t.Fatalf("warm reads made %d more requests", n-1)
	}
}

// A cold range read fetches the blocks it touches; a later whole read
// fetches only the others, in one request per gap.
func TestRangesFetchOnlyTheirBlocks(t *testing.T) {
	inner := &counting{Store: memory.New()}
	c := mustCache(t, inner, testOptions)
	bs := uint64(testOptions.BlockBytes)
	data := pattern(int(10*bs), 2)
	putInner(t, inner, "obj", data)

	if got := readAll(t, c, "obj", bounded(2*bs+5, 3*bs+5)); !bytes.Equal(got, data[2*bs+5:3*bs+5]) {
		t.Fatal("range: wrong bytes")
	}
	if st := c.Stats(); st.Fetched != 2 || inner.requests() != 1 {
		t.Fatalf("a cold range over 2 blocks fetched %d blocks in %d requests", st.Fetched, inner.requests())
	}
	if got := readAll(t, c, "obj", nil); !bytes.Equal(got, data) {
		t.Fatal("whole: wrong bytes")
	}
	// blocks 0-1 and 4-9: two more requests, eight more blocks
	if st := c.Stats(); st.Fetched != 10 || inner.requests() != 3 || st.MemoryHits != 2 {
		t.Fatalf("after the whole read: %+v, %d requests", st, inner.requests())
	}
}

// Many readers of one cold object: one request fetches it, every reader
// gets the right bytes.
func TestConcurrentReadersShareOneFetch(t *testing.T) {
	inner := &counting{Store: memory.New()}
	c := mustCache(t, inner, testOptions)
	data := pattern(3<<20, 3)
	putInner(t, inner, "obj", data)
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for i := range 32 {
		wg.Go(func() {
			r := bounded(uint64(i)*1000, uint64(len(data)))
			if i%2 == 0 {
				r = nil
			}
			res, err := c.Get(context.Background(), "obj", core.GetOptions{Range: r})
			if err != nil {
				errs <- err
				return
			}
			got, err := core.ReadAll(res, nil)
			if err != nil {
				errs <- err
				return
			}
			want := data
			if r != nil {
				want = data[r.Start:]
			}
			if !bytes.Equal(got, want) {
				errs <- fmt.Errorf("reader %d: wrong bytes", i)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if st := c.Stats(); st.Fetched != int64(len(data))/testOptions.BlockBytes {
		t.Fatalf("32 readers fetched %d blocks of %d (requests %d)", st.Fetched, len(data)/int(testOptions.BlockBytes), inner.requests())
	}
}

// What the cache knows is trusted for ttl; after it one conditional
// request checks it: unchanged, nothing is fetched again; overwritten
// (behind the cache's back), the new bytes are read.
func TestTTLChecksWithACondition(t *testing.T) {
	inner := &counting{Store: memory.New()}
	o := testOptions
	o.TTL = 200 * time.Millisecond
	c := mustCache(t, inner, o)
	putInner(t, inner, "obj", []byte("version one"))
	readAll(t, c, "obj", nil)
	putInner(t, inner, "obj", []byte("version two!"))
	if got := readAll(t, c, "obj", nil); string(got) != "version one" {
		t.Fatalf("within the ttl: %q (the cache is allowed to be this stale)", got)
	}
	time.Sleep(o.TTL)
	if got := readAll(t, c, "obj", nil); string(got) != "version two!" {
		t.Fatalf("after the ttl: %q, want the overwrite", got)
	}
	time.Sleep(o.TTL)
	before := inner.dataGets.Load()
	if got := readAll(t, c, "obj", nil); string(got) != "version two!" {
		t.Fatalf("after another ttl: %q", got)
	}
	if st := c.Stats(); inner.dataGets.Load() != before || st.Unchanged != 1 || st.Checks != 2 {
		t.Fatalf("an unchanged object was fetched again: %+v", st)
	}
}

// Writes through the cache are seen at once, ttl or not.
func TestWritesThroughTheCacheForget(t *testing.T) {
	inner := memory.New()
	c := mustCache(t, inner, withDisk(t, testOptions))
	ctx := context.Background()
	putInner(t, c, "a", []byte("1"))
	readAll(t, c, "a", nil)
	putInner(t, c, "a", []byte("22"))
	if got := readAll(t, c, "a", nil); string(got) != "22" {
		t.Fatalf("after a put through the cache: %q", got)
	}
	if err := c.Copy(ctx, "a", "b", core.CopyOptions{}); err != nil {
		t.Fatal(err)
	}
	readAll(t, c, "b", nil)
	putInner(t, c, "a", []byte("333"))
	if err := core.Rename(ctx, c, "a", "b", core.CopyOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, c, "b", nil); string(got) != "333" {
		t.Fatalf("after a rename through the cache: %q", got)
	}
	if _, err := c.Get(ctx, "a", core.GetOptions{}); !core.IsKind(err, core.NotFound) {
		t.Fatalf("renamed source: %v", err)
	}
	if err := c.Delete(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Head(ctx, "b"); !core.IsKind(err, core.NotFound) {
		t.Fatalf("deleted object: %v", err)
	}
	u, err := c.PutMultipart(ctx, "m", core.MultipartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	putInner(t, inner, "m", []byte("old"))
	readAll(t, c, "m", nil)
	if err := u.PutPart(ctx, 0, []byte("new")); err != nil {
		t.Fatal(err)
	}
	if _, err := u.Complete(ctx); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, c, "m", nil); string(got) != "new" {
		t.Fatalf("after a multipart upload through the cache: %q", got)
	}
}

// Blocks fetched after the object changed behind the cache's back are
// refused (If-Match), never spliced to the old ones: the read fails, and
// the next one reads the new version.
func TestNeverSplicesTwoVersions(t *testing.T) {
	inner := memory.New()
	c := mustCache(t, inner, testOptions)
	bs := int(testOptions.BlockBytes)
	old, new := pattern(4*bs, 4), pattern(4*bs, 5)
	putInner(t, inner, "obj", old)
	readAll(t, c, "obj", bounded(0, 10)) // block 0 cached, the object known
	putInner(t, inner, "obj", new)
	res, err := c.Get(context.Background(), "obj", core.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := core.ReadAll(res, nil); !core.IsKind(err, core.Precondition) {
		t.Fatalf("reading across the change: %v, want Precondition", err)
	}
	if got := readAll(t, c, "obj", nil); !bytes.Equal(got, new) {
		t.Fatal("the read after: not the new version")
	}
}

// Two caches with one disk tier and one identity (two processes, as far as
// the tier can tell): the second reads what the first fetched, asking the
// inner store nothing.
func TestDiskTierIsShared(t *testing.T) {
	inner := &counting{Store: memory.New()}
	o := withDisk(t, testOptions)
	o.Identity = "shared"
	first, second := mustCache(t, inner, o), mustCache(t, inner, o)
	data := pattern(1<<20, 6)
	putInner(t, inner, "obj", data)
	readAll(t, first, "obj", nil)
	before := inner.requests()
	if got := readAll(t, second, "obj", nil); !bytes.Equal(got, data) {
		t.Fatal("wrong bytes from the disk tier")
	}
	if st := second.Stats(); inner.requests() != before || st.DiskHits != 16 {
		t.Fatalf("the second cache asked the inner store %d times; %+v", inner.requests()-before, st)
	}
	// Another identity (another store) shares nothing.
	o.Identity = "other"
	third := mustCache(t, inner, o)
	readAll(t, third, "obj", nil)
	if inner.requests() == before {
		t.Fatal("a cache of another store read this one's entries")
	}
}

// A damaged block file is dropped and fetched again, never served.
func TestDamagedBlockIsRefetched(t *testing.T) {
	inner := &counting{Store: memory.New()}
	o := withDisk(t, testOptions)
	o.MemoryBytes = 0
	c := mustCache(t, inner, o)
	data := pattern(100000, 7)
	putInner(t, inner, "obj", data)
	readAll(t, c, "obj", nil)
	files, _ := filepath.Glob(filepath.Join(o.DiskDir, "v1", "blocks", "*", "*"))
	if len(files) != 2 {
		t.Fatalf("block files: %v", files)
	}
	for _, f := range files {
		raw, _ := os.ReadFile(f)
		raw[len(raw)/2] ^= 0xff
		os.WriteFile(f, raw, 0o600)
	}
	if got := readAll(t, c, "obj", nil); !bytes.Equal(got, data) {
		t.Fatal("served a damaged block")
	}
	if st := c.Stats(); st.Fetched != 4 {
		t.Fatalf("damaged blocks fetched again: %+v", st)
	}
}

// The disk tier keeps to its bound.
func TestDiskTierEvicts(t *testing.T) {
	inner := memory.New()
	o := withDisk(t, testOptions)
	o.MemoryBytes, o.DiskBytes = 0, 2<<20
	c := mustCache(t, inner, o)
	for i := range 20 {
		path := fmt.Sprintf("obj%d", i)
		putInner(t, inner, path, pattern(256<<10, byte(i)))
		readAll(t, c, path, nil)
	}
	if got := c.DiskBytes(); got > o.DiskBytes || got == 0 {
		t.Fatalf("disk tier holds %d bytes, bound %d", got, o.DiskBytes)
	}
	if c.Stats().DiskEvicted == 0 {
		t.Fatal("nothing was evicted")
	}
	// What is still there is right; what is gone is fetched again.
	for i := range 20 {
		if got := readAll(t, c, fmt.Sprintf("obj%d", i), nil); !bytes.Equal(got, pattern(256<<10, byte(i))) {
			t.Fatalf("obj%d: wrong bytes after eviction", i)
		}
	}
}

// A reader that stops reading holds up the readers waiting for its blocks
// only for stallWait; one that closes its body early, not at all. Both
// leave everyone the right bytes.
func TestStalledAndAbandonedRuns(t *testing.T) {
	defer func(w time.Duration) { stallWait = w }(stallWait)
	stallWait = 100 * time.Millisecond
	for _, closeEarly := range []bool{false, true} {
		inner := &counting{Store: memory.New()}
		c := mustCache(t, inner, testOptions)
		data := pattern(8*int(testOptions.BlockBytes), 8)
		putInner(t, inner, "obj", data)
		first, err := c.Get(context.Background(), "obj", core.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if closeEarly {
			first.Body.Close()
		}
		start := time.Now()
		if got := readAll(t, c, "obj", nil); !bytes.Equal(got, data) {
			t.Fatalf("close early %v: wrong bytes", closeEarly)
		}
		if waited := time.Since(start); closeEarly && waited >= stallWait {
			t.Fatalf("a reader waited %s for blocks whose fetch was abandoned", waited)
		}
		if !closeEarly {
			if got, err := core.ReadAll(first, nil); err != nil || !bytes.Equal(got, data) {
				t.Fatalf("the stalled reader, resumed: %v", err)
			}
		}
	}
}
