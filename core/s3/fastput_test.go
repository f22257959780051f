package s3

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/libobjstore/objstore/core"
)

type putRecorder struct {
	inner http.RoundTripper
	mu    sync.Mutex
	puts  []http.Header
}

func (p *putRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodPut {
		p.mu.Lock()
		p.puts = append(p.puts, r.Header.Clone())
		p.mu.Unlock()
	}
	return p.inner.RoundTrip(r)
}

func (p *putRecorder) take() []http.Header {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.puts
	p.puts = nil
	return out
}

// A small put is one hand-signed request carrying what the SDK's would
// (attributes, metadata, tags, the body's checksum), accepted by the
// server as it is; a refused condition is answered through the SDK, with
// the same typed error as before.
func TestLeanPutIsOneRequestAndKeepsEverything(t *testing.T) {
	ctx := context.Background()
	for _, name := range servers {
		t.Run(name, func(t *testing.T) {
			srv := testServer(t, name)
			st := openStore(t, srv.config(srv.newBucket(t)), nil).(*Store)
			if !st.c.putsLean() {
				t.Fatal("a path-style custom endpoint should use the lean PUT")
			}
			var rec *putRecorder
			wrapFastTransport(t, st, func(inner http.RoundTripper) http.RoundTripper {
				rec = &putRecorder{inner: inner}
				return rec
			})

			attrs := core.Attributes{core.AttrContentType: "text/x-test", core.AttrCacheControl: "no-cache", "owner": "me"}
			res, err := st.Put(ctx, "dir/key with space+plus", []byte("lean body"), core.PutOptions{Attributes: attrs})
			if err != nil {
				t.Fatal(err)
			}
			puts := rec.take()
			if len(puts) != 1 {
				t.Fatalf("a small put sent %d PUT requests, want 1", len(puts))
			}
			if puts[0].Get("X-Amz-Checksum-Crc32c") == "" || headerValue(puts[0], "x-amz-meta-owner") != "me" {
				t.Fatalf("the lean PUT lacks the body's checksum or the metadata: %v", puts[0])
			}
			if res.ETag == "" {
				t.Fatal("put returned no etag")
			}
			got, err := st.Get(ctx, "dir/key with space+plus", core.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(got.Body)
			got.Body.Close()
			if err != nil || string(body) != "lean body" || got.Meta.ETag != res.ETag {
				t.Fatalf("read back %q (%v), etag %q; want %q, etag %q", body, err, got.Meta.ETag, "lean body", res.ETag)
			}
			for k, v := range attrs {
				if got.Attributes[k] != v {
					t.Fatalf("attribute %q = %q, want %q (all: %v)", k, got.Attributes[k], v, got.Attributes)
				}
			}

			_, err = st.Put(ctx, "dir/key with space+plus", []byte("again"), core.PutOptions{Mode: core.PutMode{Kind: core.PutCreate}})
			if !core.IsKind(err, core.AlreadyExists) {
				t.Fatalf("create-only put over an object: %v, want AlreadyExists", err)
			}
			if n := len(rec.take()); n != 2 {
				t.Fatalf("a refused create-only put sent %d PUT requests, want 2 (lean, then the SDK's)", n)
			}
		})
	}
}

// headerValue looks a header up case-insensitively (metadata keys are sent
// as written, not in Go's canonical form).
func headerValue(h http.Header, name string) string {
	for k, v := range h {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return v[0]
		}
	}
	return ""
}
