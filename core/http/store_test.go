package httpstore

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/driver"
	"github.com/libobjstore/objstore/core/storetest"
)

// These tests run against the real nginx WebDAV server that
// buildscripts/servers/nginx.sh starts:
//
//	buildscripts/with-servers.sh nginx -- go test ./core/http/...

// serverURL returns the URL in the environment variable name, or fails.
func serverURL(t *testing.T, name string) string {
	t.Helper()
	u := os.Getenv(name)
	if u == "" {
		t.Fatalf("%s is not set: run these tests with buildscripts/with-servers.sh nginx -- go test ./core/http/...", name)
	}
	return u
}

func uniqueDir(t *testing.T) string {
	var b [6]byte
	rand.Read(b[:])
	return "t-" + hex.EncodeToString(b[:]) + "/"
}

// openURL opens an HTTP store on base through the backend, as a config
// document would.
func openURL(t *testing.T, base string, retry *core.RetryConfig) core.Store {
	t.Helper()
	c, err := Backend.Normalize(core.Config{Kind: kind, URL: base,
		ClientOptions: core.Options{"allow_http": "true"}, RetryConfig: retry})
	if err != nil {
		t.Fatal(err)
	}
	s, err := driver.Open(context.Background(), Backend, c, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// newDAVStore returns a store rooted at a fresh, empty collection of the
// WebDAV server (created by the first put).
func newDAVStore(t *testing.T) core.Store {
	return openURL(t, serverURL(t, "OBJSTORE_TEST_WEBDAV_URL")+uniqueDir(t), nil)
}

var caps = storetest.Capabilities{
	NoAttributes:            true, // nginx stores bytes only
	NoConditionalPut:        true, // nginx ignores If-None-Match/If-Match on PUT
	NoVersions:              true,
	NoSign:                  true,
	NoUploadCleanup:         true, // an upload is one streamed PUT
	ObjectAndPrefixConflict: true, // files and directories on disk
}

func TestConformance(t *testing.T) {
	storetest.Run(t, newDAVStore, caps)
}

// Most WebDAV servers answer 409 to a PUT whose parent collection is
// missing; the store then creates the collections with MKCOL.
func TestConformanceWithoutAutoParents(t *testing.T) {
	storetest.Run(t, func(t *testing.T) core.Store {
		return openURL(t, serverURL(t, "OBJSTORE_TEST_WEBDAV_STRICT_URL")+uniqueDir(t), nil)
	}, caps)
}

func mustPut(t *testing.T, s core.Store, path string, data []byte) {
	t.Helper()
	if _, err := s.Put(context.Background(), core.MustPath(path), data, core.PutOptions{}); err != nil {
		t.Fatalf("put %s: %v", path, err)
	}
}

func read(t *testing.T, s core.Store, path string, opts core.GetOptions) ([]byte, *core.GetResult, error) {
	t.Helper()
	res, err := s.Get(context.Background(), core.MustPath(path), opts)
	if err != nil {
		return nil, nil, err
	}
	data, err := core.ReadAll(res, nil)
	return data, res, err
}

func wantKind(t *testing.T, err error, k core.Kind, what string) {
	t.Helper()
	if !core.IsKind(err, k) {
		t.Fatalf("%s: want %v, got %v", what, k, err)
	}
}

// The object's bytes land on the server under percent-encoded segments,
// and come back from a listing decoded.
func TestPathMappingAndListing(t *testing.T) {
	ctx := context.Background()
	dir := uniqueDir(t)
	base := serverURL(t, "OBJSTORE_TEST_WEBDAV_URL") + "some%20base/" + dir
	s := openURL(t, base, nil)
	keys := []string{"a b/c%2Fd.txt", "a b/🇦🇺/$shenanigans@@~.txt", "x/%Q.parquet", "x/y&z=1+2"}
	for i, k := range keys {
		mustPut(t, s, k, []byte(strconv.Itoa(i)))
	}
	// The raw URL the server stores it under.
	resp, err := http.Get(base + "a%20b/c%252Fd.txt")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "0" {
		t.Fatalf("GET of the encoded URL: %d %q", resp.StatusCode, body)
	}
	var got []string
	for m, err := range s.List(ctx, "", core.ListOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(m.Location))
		if m.Size != 1 || m.LastModified.IsZero() {
			t.Errorf("%s: size %d, last modified %v", m.Location, m.Size, m.LastModified)
		}
	}
	want := []string{"a b/c%2Fd.txt", "a b/🇦🇺/$shenanigans@@~.txt", "x/%Q.parquet", "x/y&z=1+2"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("list: got %q, want %q", got, want)
	}
	// Offset is exclusive and skips whole subtrees.
	got = nil
	for m, err := range s.List(ctx, "", core.ListOptions{Offset: "a b/🇦🇺/$shenanigans@@~.txt"}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(m.Location))
	}
	if fmt.Sprint(got) != fmt.Sprint(want[2:]) {
		t.Fatalf("list after offset: got %q", got)
	}
}

// A collection left behind by deleted objects is no common prefix, and
// no object.
func TestEmptyCollectionsAreNotListed(t *testing.T) {
	ctx := context.Background()
	s := newDAVStore(t)
	mustPut(t, s, "keep/x", []byte("x"))
	mustPut(t, s, "gone/deeper/y", []byte("y"))
	if err := s.Delete(ctx, "gone/deeper/y"); err != nil {
		t.Fatal(err)
	}
	res, err := s.ListWithDelimiter(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(res.CommonPrefixes) != "[keep]" || len(res.Objects) != 0 {
		t.Fatalf("got %+v", res)
	}
	_, err = s.Head(ctx, "gone")
	wantKind(t, err, core.NotFound, "head of a directory")
	_, _, err = read(t, s, "gone/deeper", core.GetOptions{})
	wantKind(t, err, core.NotFound, "get of a directory")
	wantKind(t, s.Delete(ctx, "gone"), core.NotFound, "delete of a directory")
	// The collection and what is under it survive that delete.
	if _, _, err := read(t, s, "keep/x", core.GetOptions{}); err != nil {
		t.Fatal(err)
	}
}

func TestCopyAndRenameCreateParents(t *testing.T) {
	ctx := context.Background()
	s := newDAVStore(t)
	mustPut(t, s, "src", []byte("content"))
	if err := s.Copy(ctx, "src", "new/nested/copy", core.CopyOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := core.Rename(ctx, s, "src", "other/nested/moved", core.CopyOptions{IfNotExists: true}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"new/nested/copy", "other/nested/moved"} {
		if data, _, err := read(t, s, p, core.GetOptions{}); err != nil || string(data) != "content" {
			t.Fatalf("%s: %q %v", p, data, err)
		}
	}
	_, err := s.Head(ctx, "src")
	wantKind(t, err, core.NotFound, "source after rename")
	err = core.Rename(ctx, s, "new/nested/copy", "other/nested/moved", core.CopyOptions{IfNotExists: true})
	wantKind(t, err, core.AlreadyExists, "rename onto an existing object with IfNotExists")
	// Writing below an object cannot make it a directory.
	_, err = s.Put(ctx, "other/nested/moved/child", []byte("x"), core.PutOptions{})
	wantKind(t, err, core.AlreadyExists, "put below an object")
}

func TestUnsupportedOperationsAndWriter(t *testing.T) {
	ctx := context.Background()
	s := newDAVStore(t)
	_, err := s.Put(ctx, "a", []byte("x"), core.PutOptions{Mode: core.PutMode{Kind: core.PutCreate}})
	wantKind(t, err, core.NotSupported, "put create")
	_, err = core.Sign(ctx, s, http.MethodGet, "a", time.Minute)
	wantKind(t, err, core.NotSupported, "sign")
	_, _, err = read(t, s, "a", core.GetOptions{Version: "1"})
	wantKind(t, err, core.NotSupported, "get of a version")
	// A small object through the shared writer is one put.
	w := core.NewWriter(ctx, s, "small", core.WriterOptions{})
	w.Write([]byte("small object"))
	if _, err := w.Close(); err != nil {
		t.Fatalf("writer of a small object: %v", err)
	}
	// A large one is one streamed PUT of its parts, in order.
	large := bytes.Repeat([]byte("0123456789abcdef"), 4<<10)
	w = core.NewWriter(ctx, s, "large/object", core.WriterOptions{ChunkSize: 1 << 10, MaxConcurrency: 4})
	w.Write(large)
	if _, err := w.Close(); err != nil {
		t.Fatalf("writer of an object larger than a chunk: %v", err)
	}
	got, _, err := read(t, s, "large/object", core.GetOptions{})
	if err != nil || !bytes.Equal(got, large) {
		t.Fatalf("streamed upload read back %d bytes (want %d), %v", len(got), len(large), err)
	}
}

// Reads work against a plain static server (no WebDAV): ranges, heads
// and conditions; listing needs WebDAV and fails clearly.
func TestStaticServerReads(t *testing.T) {
	ctx := context.Background()
	dir := uniqueDir(t)
	dav := openURL(t, serverURL(t, "OBJSTORE_TEST_WEBDAV_URL")+dir, nil)
	static := openURL(t, serverURL(t, "OBJSTORE_TEST_HTTP_STATIC_URL")+dir, nil)
	data := []byte("0123456789abcdef")
	mustPut(t, dav, "d/file.bin", data)

	ranges := []struct {
		r          core.Range
		want       string
		start, end uint64
	}{
		{core.Bounded(3, 7), "3456", 3, 7},
		{core.Bounded(10, 100), "abcdef", 10, 16},
		{core.Offset(12), "cdef", 12, 16},
		{core.Suffix(2), "ef", 14, 16},
		{core.Suffix(100), string(data), 0, 16},
	}
	for _, tc := range ranges {
		got, res, err := read(t, static, "d/file.bin", core.GetOptions{Range: &tc.r})
		if err != nil {
			t.Fatalf("%s: %v", tc.r, err)
		}
		if string(got) != tc.want || res.Start != tc.start || res.End != tc.end || res.Meta.Size != 16 {
			t.Fatalf("%s: got %q [%d,%d) size %d", tc.r, got, res.Start, res.End, res.Meta.Size)
		}
	}
	past := core.Offset(16)
	_, _, err := read(t, static, "d/file.bin", core.GetOptions{Range: &past})
	wantKind(t, err, core.InvalidArgument, "range starting at the end")

	meta, err := static.Head(ctx, "d/file.bin")
	if err != nil || meta.Size != 16 || meta.ETag == "" || meta.LastModified.IsZero() {
		t.Fatalf("head: %+v %v", meta, err)
	}
	_, _, err = read(t, static, "d/file.bin", core.GetOptions{IfNoneMatch: meta.ETag})
	wantKind(t, err, core.NotModified, "if_none_match with the etag")
	_, _, err = read(t, static, "d/file.bin", core.GetOptions{IfMatch: `"other"`})
	wantKind(t, err, core.Precondition, "if_match with another etag")
	// nginx answers If-Modified-Since only when the date is exactly the
	// file's ("if_modified_since exact"); a later date must still be
	// NotModified, as in object_store.
	future := meta.LastModified.Add(time.Hour)
	_, _, err = read(t, static, "d/file.bin", core.GetOptions{IfModifiedSince: &future})
	wantKind(t, err, core.NotModified, "if_modified_since after the last change")
	earlier := meta.LastModified.Add(-time.Hour)
	_, _, err = read(t, static, "d/file.bin", core.GetOptions{IfUnmodifiedSince: &earlier})
	wantKind(t, err, core.Precondition, "if_unmodified_since before the last change")

	_, err = static.Head(ctx, "d/missing")
	wantKind(t, err, core.NotFound, "head of a missing object")
	_, err = static.Head(ctx, "d")
	wantKind(t, err, core.NotFound, "head of a directory")
	_, err = static.Put(ctx, "d/new", []byte("x"), core.PutOptions{})
	wantKind(t, err, core.NotSupported, "put to a server without WebDAV")
	for _, err := range static.List(ctx, "", core.ListOptions{}) {
		wantKind(t, err, core.NotSupported, "list on a server without WebDAV")
		break
	}
}

// ignoringRange serves data like a server that does not implement Range:
// always 200 and the whole body, with or without a Content-Length.
func ignoringRange(data []byte, withLength bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if withLength {
			w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		}
		w.Header().Set("Last-Modified", time.Unix(1700000000, 0).UTC().Format(http.TimeFormat))
		if r.Method == http.MethodHead {
			return
		}
		w.Write(data)
		if !withLength {
			w.(http.Flusher).Flush() // forces chunked encoding: no length
		}
	}
}

// A server that ignores Range is a deliberately broken server, which no
// real one here is: httptest stands in for it. The read is then either
// exactly the asked range or a clear error, never other bytes.
func TestServerIgnoringRange(t *testing.T) {
	data := []byte("0123456789abcdef")
	withLength := httptest.NewServer(ignoringRange(data, true))
	defer withLength.Close()
	s := openURL(t, withLength.URL+"/", nil)
	for _, r := range []core.Range{core.Bounded(3, 7), core.Offset(12), core.Suffix(5), core.Bounded(15, 40)} {
		got, res, err := read(t, s, "obj", core.GetOptions{Range: &r})
		if err != nil {
			t.Fatalf("%s: %v", r, err)
		}
		start, end, _ := r.Resolve(uint64(len(data)))
		if string(got) != string(data[start:end]) || res.Start != start || res.End != end {
			t.Fatalf("%s: got %q [%d,%d)", r, got, res.Start, res.End)
		}
	}
	past := core.Offset(16)
	_, _, err := read(t, s, "obj", core.GetOptions{Range: &past})
	wantKind(t, err, core.InvalidArgument, "range past the end, server ignoring Range")

	noLength := httptest.NewServer(ignoringRange(data, false))
	defer noLength.Close()
	s = openURL(t, noLength.URL+"/", nil)
	r := core.Bounded(3, 7)
	_, _, err = read(t, s, "obj", core.GetOptions{Range: &r})
	if err == nil || !strings.Contains(err.Error(), "Content-Length") {
		t.Fatalf("ranged read from a server ignoring Range without a length: want a clear error, got %v", err)
	}
}

// A 206 whose Content-Range is not the range asked for is an error.
func TestWrongContentRange(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Range", "bytes 0-3/16")
		w.Header().Set("Content-Length", "4")
		w.WriteHeader(http.StatusPartialContent)
		w.Write([]byte("0123"))
	}))
	defer srv.Close()
	s := openURL(t, srv.URL+"/", nil)
	r := core.Bounded(3, 7)
	_, _, err := read(t, s, "obj", core.GetOptions{Range: &r})
	if err == nil || !strings.Contains(err.Error(), "server sent bytes 0-3") {
		t.Fatalf("want a Content-Range mismatch error, got %v", err)
	}
}

// Transient answers are retried per the retry config; others are not.
func TestRetries(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) <= 2 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Length", "2")
		w.Write([]byte("ok"))
	}))
	defer srv.Close()
	init := core.Duration(time.Millisecond)
	retries := 3
	retry := &core.RetryConfig{MaxRetries: &retries, Backoff: &core.BackoffConfig{InitBackoff: &init, MaxBackoff: &init}}
	s := openURL(t, srv.URL+"/", retry)
	got, _, err := read(t, s, "obj", core.GetOptions{})
	if err != nil || string(got) != "ok" || calls.Load() != 3 {
		t.Fatalf("got %q, %v after %d calls", got, err, calls.Load())
	}
	none := 0
	calls.Store(0)
	s = openURL(t, srv.URL+"/", &core.RetryConfig{MaxRetries: &none})
	_, _, err = read(t, s, "obj", core.GetOptions{})
	if calls.Load() != 1 || err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("with max_retries 0: %v after %d calls", err, calls.Load())
	}
}

func TestConfig(t *testing.T) {
	c, err := Backend.Normalize(core.Config{Kind: kind, URL: "HTTPS://Example.COM/some%20dir"})
	if err != nil {
		t.Fatal(err)
	}
	if c.URL != "https://example.com/some%20dir/" {
		t.Fatalf("canonical url: %q", c.URL)
	}
	_, err = Backend.Normalize(core.Config{Kind: kind, URL: "https://h/", Config: core.Options{"region": "x"}})
	wantKind(t, err, core.UnknownConfigKey, "a config key")
	for _, bad := range []string{"", "ftp://h/", "https://user:secret@h/", "https://h/?sig=1", "https:///x"} {
		_, err = Backend.Normalize(core.Config{Kind: kind, URL: bad})
		wantKind(t, err, core.InvalidArgument, "url "+bad)
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Fatalf("error shows the password: %v", err)
		}
	}
	c, _ = Backend.Normalize(core.Config{Kind: kind, URL: "http://127.0.0.1:1/"})
	_, err = Backend.Open(context.Background(), c, nil)
	wantKind(t, err, core.InvalidArgument, "plain http without allow_http")
}
