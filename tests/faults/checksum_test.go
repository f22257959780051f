package faults_test

import (
	"bytes"
	"context"
	"crypto/md5" //nolint:gosec // Azure's Content-MD5
	"encoding/base64"
	"encoding/binary"
	"hash/crc32"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/libobjstore/objstore/core"
)

// Write checksums, shown on the wire: a recording proxy between the store
// and each real server captures what every write sends, and a proxy that
// flips one byte of a request body shows that the service's refusal comes
// back as an Integrity error, with nothing stored.

// bodyProxy forwards to a server, records every request (headers and body)
// and flips the middle byte of the bodies flip selects.
type bodyProxy struct {
	mu       sync.Mutex
	requests []seenRequest
	flip     func(r *http.Request, body []byte) bool
	hostPort string
}

type seenRequest struct {
	method, path string
	query        url.Values
	header       http.Header
	body         []byte
	flipped      bool
}

func newBodyProxy(t testing.TB, upstream string, flip func(r *http.Request, body []byte) bool) *bodyProxy {
	t.Helper()
	p := &bodyProxy{flip: flip}
	forward := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: upstream})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		seen := seenRequest{method: r.Method, path: r.URL.Path, query: r.URL.Query(), header: r.Header.Clone(), body: body}
		if p.flip != nil && len(body) > 0 && p.flip(r, body) {
			body = bytes.Clone(body)
			body[len(body)/2] ^= 0x20
			seen.flipped = true
		}
		p.mu.Lock()
		p.requests = append(p.requests, seen)
		p.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		forward.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	p.hostPort = strings.TrimPrefix(srv.URL, "http://")
	return p
}

// writes are the recorded requests that carried a body of at least n bytes.
func (p *bodyProxy) writes(n int) []seenRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []seenRequest
	for _, r := range p.requests {
		if len(r.body) >= n {
			out = append(out, r)
		}
	}
	return out
}

func crc32cBase64(b []byte) string {
	return base64.StdEncoding.EncodeToString(binary.BigEndian.AppendUint32(nil, crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli))))
}

func md5Base64(b []byte) string {
	sum := md5.Sum(b) //nolint:gosec
	return base64.StdEncoding.EncodeToString(sum[:])
}

// checksumOnWire checks that a recorded request carries the checksum of
// data as its backend sends it.
var checksumOnWire = map[string]func(t *testing.T, r seenRequest, data []byte){
	"s3": func(t *testing.T, r seenRequest, data []byte) {
		if got, want := r.header.Get("X-Amz-Checksum-Crc32c"), crc32cBase64(data); got != want {
			t.Errorf("%s %s: x-amz-checksum-crc32c %q, want %q", r.method, r.path, got, want)
		}
		if got := r.header.Get("X-Amz-Content-Sha256"); got != "UNSIGNED-PAYLOAD" {
			t.Errorf("%s %s: x-amz-content-sha256 %q: the body was hashed for the signature too", r.method, r.path, got)
		}
	},
	// A JSON API upload sends the object's metadata, crc32c included, as
	// the first part of a multipart/related body.
	"gcs": func(t *testing.T, r seenRequest, data []byte) {
		if want := `"crc32c":"` + crc32cBase64(data) + `"`; !bytes.Contains(r.body, []byte(want)) {
			t.Errorf("%s %s: the upload's metadata has no %s", r.method, r.path, want)
		}
	},
	"azure": func(t *testing.T, r seenRequest, data []byte) {
		if got, want := r.header.Get("Content-Md5"), md5Base64(data); got != want {
			t.Errorf("%s %s (comp=%s): Content-MD5 %q, want %q", r.method, r.path, r.query.Get("comp"), got, want)
		}
	},
}

// TestWriteChecksums: puts and multipart parts carry their checksum, and a
// body corrupted on the way is refused by the service: Integrity, nothing
// stored, no upload left open.
func TestWriteChecksums(t *testing.T) {
	// versitygw, the other S3 test server, as a fifth backend here.
	vgw := backend{name: "s3-versitygw",
		upstream: func(t testing.TB) string { return versitygwServer(t).hostPort(t) },
		newSpace: func(t testing.TB) *space { return s3Space(t, versitygwServer(t)) }}
	checksumOnWire[vgw.name] = checksumOnWire["s3"]
	for _, b := range append(backends[:len(backends):len(backends)], vgw) {
		check := checksumOnWire[b.name]
		if check == nil {
			continue // HTTP/WebDAV has no checksum header servers verify
		}
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			sp := b.newSpace(t)
			retry := retryPolicy(1, 10*time.Millisecond, 50*time.Millisecond, 10*time.Second)
			rec := newBodyProxy(t, b.upstream(t), nil)
			s := sp.open(t, rec.hostPort, retry, 20*time.Second)
			ctx := context.Background()

			small := pattern(64<<10, 21)
			if _, err := s.Put(ctx, "small", small, core.PutOptions{}); err != nil {
				t.Fatalf("put: %v", err)
			}
			puts := rec.writes(len(small))
			if len(puts) != 1 {
				t.Fatalf("%d requests carried the 64 KiB body, want 1", len(puts))
			}
			check(t, puts[0], small)

			big := pattern(multipartSize, 22)
			if _, err := core.PutMultipartReader(ctx, s, "big", bytes.NewReader(big), core.WriterOptions{ChunkSize: 5 << 20}); err != nil {
				t.Fatalf("multipart put: %v", err)
			}
			parts := rec.writes(100 << 10)
			if len(parts) != 2 {
				t.Fatalf("%d requests carried a part, want 2", len(parts))
			}
			for _, p := range parts {
				switch {
				case len(p.body) >= 5<<20:
					check(t, p, big[:5<<20])
				default:
					check(t, p, big[5<<20:])
				}
			}
			for key, want := range map[string][]byte{"small": small, "big": big} {
				storedWholeOrNothing(t, s, key, want, nil)
			}

			// One byte of every body flipped on the way.
			flipper := newBodyProxy(t, b.upstream(t), func(_ *http.Request, body []byte) bool { return len(body) >= 10<<10 })
			bad := sp.open(t, flipper.hostPort, retry, 20*time.Second)
			_, err := bad.Put(ctx, "flipped", small, core.PutOptions{})
			if !core.IsKind(err, core.Integrity) {
				t.Fatalf("put with a flipped byte: %v, want Integrity", err)
			}
			t.Logf("a flipped byte: %v", err)
			if _, err := s.Head(ctx, "flipped"); !core.IsKind(err, core.NotFound) {
				t.Errorf("after a refused put the object exists (or head failed): %v", err)
			}
			_, err = core.PutMultipartReader(ctx, bad, "flipped-mp", bytes.NewReader(big), core.WriterOptions{ChunkSize: 5 << 20})
			if !core.IsKind(err, core.Integrity) {
				t.Fatalf("multipart put with flipped bytes: %v, want Integrity", err)
			}
			if _, err := s.Head(ctx, "flipped-mp"); !core.IsKind(err, core.NotFound) {
				t.Errorf("after a refused multipart put the object exists (or head failed): %v", err)
			}
			if sp.openUploads != nil {
				if n := sp.openUploads(t, "flipped-mp"); n != 0 {
					t.Errorf("%d upload(s) left open after the refused multipart put", n)
				}
			}
		})
	}
}
