package gcs

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"cloud.google.com/go/storage"

	"github.com/libobjstore/objstore/core"
)

// These tests check the requests the backend sends for the cases
// fake-gcs-server does not evaluate (it ignores generation conditions on
// GET, rewrite and compose). They still run against the emulator, so every
// request is a real one; a recording transport keeps what was sent.

type sentRequest struct {
	method string
	url    *url.URL
	header http.Header
	body   string // small JSON bodies only (GetBody set)
}

type recorder struct {
	mu   sync.Mutex
	sent []sentRequest
	base http.RoundTripper
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	var body string
	if req.GetBody != nil && req.ContentLength < 1<<16 {
		if rc, err := req.GetBody(); err == nil {
			b, _ := io.ReadAll(rc)
			rc.Close()
			body = string(b)
		}
	}
	r.mu.Lock()
	r.sent = append(r.sent, sentRequest{req.Method, req.URL, req.Header.Clone(), body})
	r.mu.Unlock()
	return r.base.RoundTrip(req)
}

func (r *recorder) reset() {
	r.mu.Lock()
	r.sent = nil
	r.mu.Unlock()
}

// find returns the requests whose method is method and whose URL path
// contains pathPart.
func (r *recorder) find(method, pathPart string) []sentRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []sentRequest
	for _, s := range r.sent {
		if s.method == method && strings.Contains(s.url.EscapedPath()+"?"+s.url.RawQuery, pathPart) {
			out = append(out, s)
		}
	}
	return out
}

func withoutMedia(reqs []sentRequest) []sentRequest {
	var out []sentRequest
	for _, r := range reqs {
		if r.url.Query().Get("alt") != "media" {
			out = append(out, r)
		}
	}
	return out
}

func newRecordedStore(t *testing.T) (*Store, *recorder) {
	t.Helper()
	rec := &recorder{}
	base := newEmulatorStore(t) // creates the bucket
	s, err := open(context.Background(), emulatorConfig(t, base.name), nil, func(rt http.RoundTripper) http.RoundTripper {
		rec.base = rt
		return rec
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, rec
}

func onlyOne(t *testing.T, reqs []sentRequest, what string) sentRequest {
	t.Helper()
	if len(reqs) != 1 {
		t.Fatalf("%s: %d requests sent, want 1", what, len(reqs))
	}
	return reqs[0]
}

func TestGetSendsGenerationConditions(t *testing.T) {
	ctx := context.Background()
	s, rec := newRecordedStore(t)
	res, err := s.Put(ctx, "c", []byte("content"), core.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rec.reset()
	r, err := s.Get(ctx, "c", core.GetOptions{IfMatch: res.ETag})
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	media := onlyOne(t, rec.find("GET", "alt=media"), "media download")
	if got := media.url.Query().Get("ifGenerationMatch"); got != res.ETag {
		t.Fatalf("download sent ifGenerationMatch=%q, want %q", got, res.ETag)
	}
	if media.header.Get("Accept-Encoding") != "gzip" {
		t.Fatalf("download must ask for stored bytes (Accept-Encoding: gzip), sent %q", media.header.Get("Accept-Encoding"))
	}
	if extra := withoutMedia(rec.find("GET", "/o/c?")); len(extra) != 0 {
		t.Fatalf("a read of an object without custom metadata sent %d more requests, want its metadata from the download's headers", len(extra))
	}
	if r.Meta.ETag != res.ETag || r.Meta.Version != res.ETag || r.Meta.Size != 7 || r.Meta.LastModified.IsZero() {
		t.Fatalf("metadata from the download's headers: %+v, want etag and version %q, size 7", r.Meta, res.ETag)
	}

	rec.reset()
	_, err = s.Get(ctx, "c", core.GetOptions{IfNoneMatch: res.ETag, Head: true})
	if !core.IsKind(err, core.NotModified) {
		t.Fatalf("if_none_match of the current etag: %v, want NotModified", err)
	}
	head := onlyOne(t, withoutMedia(rec.find("GET", "/o/c?")), "head")
	if got := head.url.Query().Get("ifGenerationNotMatch"); got != res.ETag {
		t.Fatalf("head sent ifGenerationNotMatch=%q, want %q", got, res.ETag)
	}
}

func TestSuffixRangeIsSentAsSuffix(t *testing.T) {
	ctx := context.Background()
	s, rec := newRecordedStore(t)
	s.Put(ctx, "r", []byte("0123456789"), core.PutOptions{})
	rec.reset()
	r := core.Suffix(3)
	res, err := s.Get(ctx, "r", core.GetOptions{Range: &r})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	media := onlyOne(t, rec.find("GET", "alt=media"), "suffix download")
	if got := media.header.Get("Range"); got != "bytes=-3" {
		t.Fatalf("suffix range sent as %q, want bytes=-3", got)
	}
	if res.Start != 7 || res.End != 10 {
		t.Fatalf("suffix result [%d, %d), want [7, 10)", res.Start, res.End)
	}
}

func TestWritesSendGenerationConditions(t *testing.T) {
	ctx := context.Background()
	s, rec := newRecordedStore(t)

	rec.reset()
	first, err := s.Put(ctx, "w", []byte("1"), core.PutOptions{Mode: core.PutMode{Kind: core.PutCreate}})
	if err != nil {
		t.Fatal(err)
	}
	create := onlyOne(t, rec.find("POST", "/upload/"), "create upload")
	if got := create.url.Query().Get("ifGenerationMatch"); got != "0" {
		t.Fatalf("create-only put sent ifGenerationMatch=%q, want 0", got)
	}

	rec.reset()
	if _, err := s.Put(ctx, "w", []byte("2"), core.PutOptions{Mode: core.PutMode{Kind: core.PutUpdate, ETag: first.ETag}}); err != nil {
		t.Fatal(err)
	}
	update := onlyOne(t, rec.find("POST", "/upload/"), "update upload")
	if got := update.url.Query().Get("ifGenerationMatch"); got != first.ETag {
		t.Fatalf("update put sent ifGenerationMatch=%q, want %q", got, first.ETag)
	}

	// Copy if not exists: the rewrite carries ifGenerationMatch=0 for the
	// destination (the emulator ignores it; GCS answers 412).
	rec.reset()
	err = s.Copy(ctx, "w", "w2", core.CopyOptions{IfNotExists: true})
	if err != nil {
		t.Fatal(err)
	}
	rewrite := onlyOne(t, rec.find("POST", "/rewriteTo/"), "rewrite")
	if got := rewrite.url.Query().Get("ifGenerationMatch"); got != "0" {
		t.Fatalf("copy-if-not-exists sent ifGenerationMatch=%q, want 0", got)
	}
	rec.reset()
	if err := s.Copy(ctx, "w", "w2", core.CopyOptions{}); err != nil {
		t.Fatal(err)
	}
	if q := onlyOne(t, rec.find("POST", "/rewriteTo/"), "plain rewrite").url.Query(); q.Has("ifGenerationMatch") {
		t.Fatalf("a plain copy must be unconditional, sent %v", q)
	}
}

func TestMultipartComposeSourcesArePinned(t *testing.T) {
	ctx := context.Background()
	s, rec := newRecordedStore(t)
	up, _ := s.PutMultipart(ctx, "m", core.MultipartOptions{})
	for i := range 2 {
		if err := up.PutPart(ctx, i, []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	rec.reset()
	if _, err := up.Complete(ctx); err != nil {
		t.Fatal(err)
	}
	compose := onlyOne(t, rec.find("POST", "/compose"), "compose")
	var req struct {
		SourceObjects []struct {
			Name       string `json:"name"`
			Generation string `json:"generation"`
		} `json:"sourceObjects"`
	}
	if err := json.Unmarshal([]byte(compose.body), &req); err != nil {
		t.Fatalf("compose body %q: %v", compose.body, err)
	}
	if len(req.SourceObjects) != 2 {
		t.Fatalf("compose sources: %+v", req.SourceObjects)
	}
	for i, src := range req.SourceObjects {
		if !strings.HasSuffix(src.Name, fmt.Sprintf("part-%05d", i)) || src.Generation == "" || src.Generation == "0" {
			t.Fatalf("compose source %d is %+v: want part %d pinned to its generation", i, src, i)
		}
	}
}

// The error mapping of status codes the emulator never answers.
func TestStatusMapping(t *testing.T) {
	for code, want := range map[int]core.Kind{
		404: core.NotFound, 412: core.Precondition, 304: core.NotModified,
		401: core.Unauthenticated, 403: core.PermissionDenied, 416: core.InvalidArgument,
		500: core.Generic,
	} {
		if got := kindOfStatus(code); got != want {
			t.Errorf("status %d maps to %v, want %v", code, got, want)
		}
	}
	if err := mapError(storage.ErrObjectNotExist, "x"); !core.IsKind(err, core.NotFound) {
		t.Errorf("ErrObjectNotExist maps to %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := mapError(&url.Error{Op: "Get", URL: "https://x/?sig=secret", Err: ctx.Err()}, "x"); !core.IsKind(err, core.Cancelled) || strings.Contains(err.Error(), "secret") {
		t.Errorf("cancelled request maps to %v", err)
	}
}

func TestCreateOnlyConflictIsAlreadyExists(t *testing.T) {
	ctx := context.Background()
	s := newEmulatorStore(t)
	if _, err := s.Put(ctx, "x", []byte("1"), core.PutOptions{Mode: core.PutMode{Kind: core.PutCreate}}); err != nil {
		t.Fatal(err)
	}
	_, err := s.Put(ctx, "x", []byte("2"), core.PutOptions{Mode: core.PutMode{Kind: core.PutCreate}})
	if !core.IsKind(err, core.AlreadyExists) {
		t.Fatalf("second create: %v, want AlreadyExists", err)
	}
	_, err = s.Put(ctx, "x", []byte("3"), core.PutOptions{Mode: core.PutMode{Kind: core.PutUpdate, ETag: "not-a-generation"}})
	if !core.IsKind(err, core.Precondition) {
		t.Fatalf("update with a foreign etag: %v, want Precondition", err)
	}
	if _, err := s.Put(ctx, "x", []byte("4"), core.PutOptions{Tags: map[string]string{"a": "b"}}); !core.IsKind(err, core.NotSupported) {
		t.Fatalf("put with tags: %v, want NotSupported", err)
	}
}

// Custom metadata comes back as x-goog-meta-* headers whose key case HTTP
// does not keep: such a read takes the metadata of the served generation
// from the metadata API, and its keys and attributes are exactly those
// written.
func TestGetWithCustomMetadataReadsTheServedGeneration(t *testing.T) {
	ctx := context.Background()
	s, rec := newRecordedStore(t)
	attrs := core.Attributes{core.AttrContentType: "text/x-test", core.AttrContentLanguage: "de", "MixedCase": "Value"}
	res, err := s.Put(ctx, "m", []byte("content"), core.PutOptions{Attributes: attrs})
	if err != nil {
		t.Fatal(err)
	}
	rec.reset()
	r, err := s.Get(ctx, "m", core.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	onlyOne(t, rec.find("GET", "alt=media"), "media download")
	meta := onlyOne(t, withoutMedia(rec.find("GET", "/o/m?")), "metadata read")
	if got := meta.url.Query().Get("generation"); got != res.ETag {
		t.Fatalf("metadata read not pinned to the served generation: generation=%q, want %q", got, res.ETag)
	}
	for k, v := range attrs {
		if r.Attributes[k] != v {
			t.Fatalf("attribute %q = %q, want %q (all: %v)", k, r.Attributes[k], v, r.Attributes)
		}
	}
}

// The metadata a read takes from the download's headers is what the
// metadata API says of the object, HTTP attributes and checksum included.
func TestMetadataFromDownloadHeadersMatchesHead(t *testing.T) {
	ctx := context.Background()
	s, rec := newRecordedStore(t)
	attrs := core.Attributes{core.AttrContentType: "text/x-test", core.AttrContentLanguage: "de",
		core.AttrContentDisposition: "attachment", core.AttrCacheControl: "no-cache"}
	if _, err := s.Put(ctx, "h", []byte("0123456789"), core.PutOptions{Attributes: attrs}); err != nil {
		t.Fatal(err)
	}
	head, err := s.Head(ctx, "h")
	if err != nil {
		t.Fatal(err)
	}
	for _, rg := range []*core.Range{nil, ptr(core.Bounded(2, 5))} {
		rec.reset()
		r, err := s.Get(ctx, "h", core.GetOptions{Range: rg})
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(r.Body)
		r.Body.Close()
		if err != nil {
			t.Fatalf("range %v: %v", rg, err)
		}
		if n := len(withoutMedia(rec.find("GET", "/o/h?"))); n != 0 {
			t.Fatalf("range %v: %d metadata requests, want none", rg, n)
		}
		m := r.Meta
		if m.Location != head.Location || m.Size != head.Size || m.ETag != head.ETag || m.Version != head.Version ||
			m.LastModified.Unix() != head.LastModified.Unix() {
			t.Fatalf("range %v: get meta %+v, head %+v", rg, m, head)
		}
		for k, v := range attrs {
			if r.Attributes[k] != v {
				t.Fatalf("range %v: attribute %q = %q, want %q (all: %v)", rg, k, r.Attributes[k], v, r.Attributes)
			}
		}
		if want := "0123456789"[r.Start:r.End]; string(body) != want {
			t.Fatalf("range %v: body %q, want %q", rg, body, want)
		}
	}
}

func ptr[T any](v T) *T { return &v }
