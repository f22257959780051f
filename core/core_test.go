package core_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/memory"
)

func TestParsePath(t *testing.T) {
	good := map[string]string{
		"":             "",
		"/":            "",
		"a":            "a",
		"/a/b/":        "a/b",
		"a/b c/d":      "a/b c/d",
		"%48%45":       "%48%45",
		"a..b/.c/d.":   "a..b/.c/d.",
		"🇦🇺/$x@@~.txt": "🇦🇺/$x@@~.txt",
	}
	for in, want := range good {
		got, err := core.ParsePath(in)
		if err != nil || string(got) != want {
			t.Errorf("ParsePath(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"a//b", "//", "a/./b", ".", "..", "a/..", "../a", "a\x00", "a\tb", "a\x7f", "a//", "///a"} {
		if _, err := core.ParsePath(bad); !core.IsKind(err, core.InvalidPath) {
			t.Errorf("ParsePath(%q): %v, want InvalidPath", bad, err)
		}
	}
	p := core.MustPath("foo/bar/baz.json")
	if p.Filename() != "baz.json" || !slices.Equal(p.Parts(), []string{"foo", "bar", "baz.json"}) {
		t.Errorf("Filename/Parts: %q %q", p.Filename(), p.Parts())
	}
	if !p.HasPrefix("foo") || !p.HasPrefix("foo/bar") || p.HasPrefix("fo") || p.HasPrefix("foo/ba") || !p.HasPrefix("") {
		t.Errorf("HasPrefix is not by whole segment")
	}
	if rel, ok := p.StripPrefix("foo"); !ok || rel != "bar/baz.json" {
		t.Errorf("StripPrefix: %q %v", rel, ok)
	}
	if core.Path("").Join("a") != "a" || core.Path("a").Join("") != "a" || core.Path("a").Join("b/c") != "a/b/c" {
		t.Errorf("Join")
	}
}

func TestParseConfig(t *testing.T) {
	c, err := core.ParseConfig([]byte(`{"kind":"s3","bucket":"b","config":{"region":"x","n":3,"flag":true,"off":false,"unset":null}}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Config["n"] != "3" || c.Config["flag"] != "true" || c.Config["off"] != "false" || c.Config["region"] != "x" {
		t.Fatalf("values: %+v", c.Config)
	}
	if _, ok := c.Config["unset"]; ok {
		t.Fatalf("null must mean unset")
	}
	for doc, kind := range map[string]core.Kind{
		`{"kind":"s3","kind":"gcs"}`:                         core.InvalidArgument,
		`{"kind":"s3","config":{"region":"a","region":"b"}}`: core.InvalidArgument,
		`{"kind":"s3","nonsense":1}`:                         core.UnknownConfigKey,
		`{"bucket":"b"}`:                                     core.InvalidArgument,
		`{"kind":"s3"} {}`:                                   core.InvalidArgument,
		`{"kind":"s3","config":{"a":[1]}}`:                   core.InvalidArgument,
		`not json`:                                           core.InvalidArgument,
	} {
		if _, err := core.ParseConfig([]byte(doc)); !core.IsKind(err, kind) {
			t.Errorf("ParseConfig(%s): %v, want %v", doc, err, kind)
		}
	}
}

func TestRangeResolve(t *testing.T) {
	cases := []struct {
		r          core.Range
		size       uint64
		start, end uint64
		err        bool
	}{
		{core.Bounded(3, 7), 14, 3, 7, false},
		{core.Bounded(10, 100), 14, 10, 14, false},
		{core.Bounded(14, 15), 14, 0, 0, true},
		{core.Bounded(5, 5), 14, 0, 0, true},
		{core.Bounded(6, 5), 14, 0, 0, true},
		{core.Offset(3), 14, 3, 14, false},
		{core.Offset(14), 14, 0, 0, true},
		{core.Suffix(2), 14, 12, 14, false},
		{core.Suffix(100), 14, 0, 14, false},
		{core.Suffix(0), 14, 14, 14, false},
	}
	for _, c := range cases {
		s, e, err := c.r.Resolve(c.size)
		if (err != nil) != c.err || (!c.err && (s != c.start || e != c.end)) {
			t.Errorf("%s.Resolve(%d) = %d, %d, %v", c.r, c.size, s, e, err)
		}
		if err != nil && !core.IsKind(err, core.InvalidArgument) {
			t.Errorf("%s: error kind %v", c.r, core.KindOf(err))
		}
	}
	if core.Bounded(2, 5).String() != "bytes=2-4" || core.Offset(3).String() != "bytes=3-" || core.Suffix(9).String() != "bytes=-9" {
		t.Errorf("Range.String")
	}
}

func TestCoalesceRanges(t *testing.T) {
	const gap = 100
	ranges := []core.Range{
		core.Bounded(500, 600), // 0
		core.Bounded(0, 10),    // 1
		core.Bounded(5, 20),    // 2: overlaps 1
		core.Bounded(120, 130), // 3: gap 100 from 2: merged
		core.Bounded(231, 240), // 4: gap 101: new span
		core.Bounded(550, 560), // 5: inside 0
		core.Bounded(0, 10),    // 6: duplicate of 1
	}
	spans, spanOf, err := core.CoalesceRanges(ranges, gap)
	if err != nil {
		t.Fatal(err)
	}
	want := []core.Span{{0, 130}, {231, 240}, {500, 600}}
	if !slices.Equal(spans, want) {
		t.Fatalf("spans %v, want %v", spans, want)
	}
	if !slices.Equal(spanOf, []int{2, 0, 0, 0, 1, 2, 0}) {
		t.Fatalf("spanOf %v", spanOf)
	}
	if _, _, err := core.CoalesceRanges([]core.Range{core.Suffix(3)}, gap); !core.IsKind(err, core.InvalidArgument) {
		t.Fatalf("suffix range: %v", err)
	}
	if _, _, err := core.CoalesceRanges([]core.Range{core.Bounded(4, 4)}, gap); !core.IsKind(err, core.InvalidArgument) {
		t.Fatalf("empty range: %v", err)
	}
	if spans, _, _ := core.CoalesceRanges(nil, gap); len(spans) != 0 {
		t.Fatalf("no ranges gave spans %v", spans)
	}
}

func TestCheckPreconditions(t *testing.T) {
	mod := time.Date(2024, 5, 1, 12, 0, 0, 500_000_000, time.UTC)
	meta := core.ObjectMeta{Location: "x", ETag: `"abc"`, LastModified: mod}
	at := func(d time.Duration) *time.Time { x := mod.Add(d); return &x }
	cases := []struct {
		name string
		o    core.GetOptions
		want core.Kind // Generic means no error
	}{
		{"none", core.GetOptions{}, core.Generic},
		{"if_match ok", core.GetOptions{IfMatch: `"abc"`}, core.Generic},
		{"if_match list", core.GetOptions{IfMatch: `"zzz", "abc"`}, core.Generic},
		{"if_match star", core.GetOptions{IfMatch: "*"}, core.Generic},
		{"if_match wrong", core.GetOptions{IfMatch: `"zzz"`}, core.Precondition},
		{"if_none_match equal", core.GetOptions{IfNoneMatch: `"abc"`}, core.NotModified},
		{"if_none_match other", core.GetOptions{IfNoneMatch: `"zzz"`}, core.Generic},
		{"if_unmodified_since equal (sub-second)", core.GetOptions{IfUnmodifiedSince: at(-400 * time.Millisecond)}, core.Generic},
		{"if_unmodified_since future", core.GetOptions{IfUnmodifiedSince: at(time.Hour)}, core.Generic},
		{"if_unmodified_since past", core.GetOptions{IfUnmodifiedSince: at(-time.Hour)}, core.Precondition},
		{"if_modified_since equal", core.GetOptions{IfModifiedSince: at(0)}, core.NotModified},
		{"if_modified_since past", core.GetOptions{IfModifiedSince: at(-time.Hour)}, core.Generic},
		{"if_match wins over if_unmodified_since", core.GetOptions{IfMatch: `"abc"`, IfUnmodifiedSince: at(-time.Hour)}, core.Generic},
		{"if_none_match wins over if_modified_since", core.GetOptions{IfNoneMatch: `"zzz"`, IfModifiedSince: at(time.Hour)}, core.Generic},
		{"if_match checked before if_none_match", core.GetOptions{IfMatch: `"zzz"`, IfNoneMatch: `"abc"`}, core.Precondition},
	}
	for _, c := range cases {
		err := c.o.CheckPreconditions(meta)
		if c.want == core.Generic && err != nil || c.want != core.Generic && !core.IsKind(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}

func TestReadAll(t *testing.T) {
	mk := func(body string, n uint64) *core.GetResult {
		return &core.GetResult{Start: 0, End: n, Body: io.NopCloser(strings.NewReader(body))}
	}
	if b, err := core.ReadAll(mk("hello", 5), nil); err != nil || string(b) != "hello" {
		t.Fatalf("ReadAll: %q %v", b, err)
	}
	if _, err := core.ReadAll(mk("hell", 5), nil); err == nil {
		t.Fatalf("a short body was accepted")
	}
	if _, err := core.ReadAll(mk("hello!", 5), nil); err == nil {
		t.Fatalf("a long body was accepted")
	}
	if _, err := core.ReadAll(mk("hello", 5), func(n int) []byte { return make([]byte, 2) }); !core.IsKind(err, core.InvalidArgument) {
		t.Fatalf("a too small allocation: %v", err)
	}
	arena := make([]byte, 64)
	b, err := core.ReadAll(mk("hello", 5), func(n int) []byte { return arena[:n] })
	if err != nil || &b[0] != &arena[0] {
		t.Fatalf("ReadAll did not read into the allocator's memory")
	}
}

func TestGetRangesIntoOneAllocation(t *testing.T) {
	ctx := context.Background()
	s := memory.New()
	data := bytes.Repeat([]byte("0123456789"), 1000)
	if _, err := s.Put(ctx, "obj", data, core.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	ranges := []core.Range{core.Bounded(9000, 9010), core.Bounded(0, 5), core.Bounded(3, 8), core.Bounded(9995, 20000)}
	var allocated int
	var whole []byte
	got, err := core.GetRangesWith(ctx, s, "obj", ranges, func(n int) []byte {
		allocated += n
		whole = bytes.Repeat([]byte{0xEE}, n) // memory that held something else
		return whole
	}, core.RangeOptions{Coalesce: 100})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range ranges {
		if want := data[r.Start:min(r.End, uint64(len(data)))]; !bytes.Equal(got[i], want) {
			t.Errorf("range %s: %q, want %q", r, got[i], want)
		}
	}
	if allocated != 8+10+(20000-9995) {
		t.Errorf("allocated %d bytes, want the merged spans' %d", allocated, 8+10+(20000-9995))
	}
	if bytes.IndexByte(whole, 0xEE) >= 0 {
		t.Errorf("part of the allocation past the clamped end was left as it was")
	}
	// Views are capped: appending to one never overwrites its neighbour.
	_ = append(got[1], 'X')
	if got[2][0] != '3' {
		t.Errorf("append to one view changed another")
	}
}

// failingStore fails the part with index failPart, and records aborts.
type failingStore struct {
	core.Store
	failPart int
	aborted  atomic.Int32
	puts     atomic.Int32
}

func (f *failingStore) Put(ctx context.Context, p core.Path, data []byte, o core.PutOptions) (core.PutResult, error) {
	f.puts.Add(1)
	return f.Store.Put(ctx, p, data, o)
}

func (f *failingStore) PutMultipart(ctx context.Context, p core.Path, o core.MultipartOptions) (core.MultipartUpload, error) {
	up, err := f.Store.PutMultipart(ctx, p, o)
	return &failingUpload{MultipartUpload: up, f: f}, err
}

type failingUpload struct {
	core.MultipartUpload
	f *failingStore
}

func (u *failingUpload) PutPart(ctx context.Context, i int, data []byte) error {
	if i == u.f.failPart {
		return core.Errorf(core.Generic, "injected failure of part %d", i)
	}
	return u.MultipartUpload.PutPart(ctx, i, data)
}

func (u *failingUpload) Abort(ctx context.Context) error {
	u.f.aborted.Add(1)
	return u.MultipartUpload.Abort(ctx)
}

func TestWriterPartFailureAborts(t *testing.T) {
	ctx := context.Background()
	fs := &failingStore{Store: memory.New(), failPart: 2}
	w := core.NewWriter(ctx, fs, "obj", core.WriterOptions{ChunkSize: 1000, MaxConcurrency: 2})
	var werr error
	for range 10 {
		if _, werr = w.Write(make([]byte, 700)); werr != nil {
			break
		}
	}
	_, err := w.Close()
	if err == nil || !strings.Contains(err.Error(), "injected failure") {
		t.Fatalf("Close after a failed part: %v (write error %v)", err, werr)
	}
	if fs.aborted.Load() != 1 {
		t.Fatalf("upload aborted %d times, want once", fs.aborted.Load())
	}
	if _, err := fs.Head(ctx, "obj"); !core.IsKind(err, core.NotFound) {
		t.Fatalf("object exists after a failed upload: %v", err)
	}
}

func TestWriterSmallObjectIsOnePut(t *testing.T) {
	ctx := context.Background()
	fs := &failingStore{Store: memory.New(), failPart: -1}
	w := core.NewWriter(ctx, fs, "obj", core.WriterOptions{ChunkSize: 1000})
	for range 10 {
		w.Write(make([]byte, 100))
	}
	if _, err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if fs.puts.Load() != 1 {
		t.Fatalf("%d puts for an object of exactly one chunk", fs.puts.Load())
	}
	data := bytes.Repeat([]byte("abc"), 1000)
	if _, err := core.PutMultipartReader(ctx, fs, "big", bytes.NewReader(data), core.WriterOptions{ChunkSize: 256}); err != nil {
		t.Fatal(err)
	}
	res, _ := fs.Get(ctx, "big", core.GetOptions{})
	if got, _ := core.ReadAll(res, nil); !bytes.Equal(got, data) {
		t.Fatalf("PutMultipartReader stored %d bytes", len(got))
	}
	if _, err := w.Write([]byte("x")); err == nil {
		t.Fatalf("write after close succeeded")
	}
}

// partsAt records where each uploaded part's bytes were.
type partsAt struct {
	core.Store
	mu    sync.Mutex
	where map[int]*byte
}

func (r *partsAt) PutMultipart(ctx context.Context, p core.Path, o core.MultipartOptions) (core.MultipartUpload, error) {
	up, err := r.Store.PutMultipart(ctx, p, o)
	return &partsAtUpload{up, r}, err
}

type partsAtUpload struct {
	core.MultipartUpload
	r *partsAt
}

func (u *partsAtUpload) PutPart(ctx context.Context, i int, data []byte) error {
	u.r.mu.Lock()
	u.r.where[i] = &data[0]
	u.r.mu.Unlock()
	return u.MultipartUpload.PutPart(ctx, i, data)
}

// WriteBorrowed uploads whole chunks of the caller's memory in place,
// copies only what tops up or trails them, never writes into that memory
// (lent chunks are not recycled as buffers), and mixes with Write.
func TestWriterBorrowedChunksUploadInPlace(t *testing.T) {
	ctx := context.Background()
	rs := &partsAt{Store: memory.New(), where: map[int]*byte{}}
	w := core.NewWriter(ctx, rs, "obj", core.WriterOptions{ChunkSize: 1000, MaxConcurrency: 1})
	head := bytes.Repeat([]byte("h"), 300)
	lent := make([]byte, 5800)
	for i := range lent {
		lent[i] = byte(i * 7)
	}
	orig := bytes.Clone(lent)
	tail := bytes.Repeat([]byte("t"), 1500)
	for _, step := range []func() (int, error){
		func() (int, error) { return w.Write(head) },
		func() (int, error) { return w.WriteBorrowed(lent) },
		func() (int, error) { return w.Write(tail) },
	} {
		if _, err := step(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(lent, orig) {
		t.Fatal("the writer wrote into borrowed memory")
	}
	res, err := rs.Get(ctx, "obj", core.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := core.ReadAll(res, nil)
	if want := slices.Concat(head, lent, tail); !bytes.Equal(got, want) {
		t.Fatalf("stored %d bytes, not the %d written", len(got), len(want))
	}
	// Part 0 is head and lent[:700], copied; parts 1-5 are lent[700:5700]
	// in place; lent's last 100 bytes and tail are copied.
	for i := 1; i <= 5; i++ {
		if rs.where[i] != &lent[700+(i-1)*1000] {
			t.Errorf("part %d was copied, not uploaded in place", i)
		}
	}
	if rs.where[0] == &lent[0] || rs.where[6] == &lent[5700] {
		t.Errorf("a part that had to be copied was not")
	}
}

type recordingDeleter struct {
	core.Store
	calls int
}

func (r *recordingDeleter) DeleteMany(ctx context.Context, paths []core.Path) []error {
	r.calls++
	errs := make([]error, len(paths))
	for i, p := range paths {
		errs[i] = r.Delete(ctx, p)
	}
	return errs
}

func TestDeleteManyUsesBulkDeleter(t *testing.T) {
	ctx := context.Background()
	r := &recordingDeleter{Store: memory.New()}
	r.Put(ctx, "a", nil, core.PutOptions{})
	errs := core.DeleteMany(ctx, r, []core.Path{"a", "b"})
	if r.calls != 1 || len(errs) != 2 || errs[0] != nil {
		t.Fatalf("DeleteMany: calls %d errs %v", r.calls, errs)
	}
	ps := core.Prefixed(r, "p")
	core.DeleteMany(ctx, ps, []core.Path{"x"})
	if r.calls != 2 {
		t.Fatalf("a prefixed store did not delegate to the bulk deleter")
	}
	if _, err := core.Sign(ctx, ps, "GET", "x", time.Minute); !core.IsKind(err, core.NotSupported) {
		t.Fatalf("Sign through a prefix of a non-signing store: %v", err)
	}
	if !errors.Is(core.Errorf(core.NotFound, "x"), &core.Error{Kind: core.NotFound}) {
		t.Fatalf("errors.Is by kind")
	}
}
