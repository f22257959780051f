package storetest

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/libobjstore/objstore/core"
)

// testSign presigns GET and PUT URLs and uses them with net/http; a URL
// altered to point at another object must be refused.
func testSign(t *testing.T, s core.Store, caps Capabilities) {
	ctx := context.Background()
	if caps.NoSign {
		_, err := core.Sign(ctx, s, http.MethodGet, "signed/obj", time.Minute)
		expectKind(t, err, "sign on a store declaring NoSign", unsupported...)
		return
	}
	client := caps.SignHTTPClient
	if client == nil {
		client = http.DefaultClient
	}
	do := func(method, url string, body []byte, header http.Header) (int, []byte) {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
		expectOK(t, err, "building request")
		if body == nil {
			req.Body = nil
		}
		for k, vs := range header {
			req.Header[k] = vs
		}
		resp, err := client.Do(req)
		expectOK(t, err, method+" presigned URL")
		defer resp.Body.Close()
		got, err := io.ReadAll(resp.Body)
		expectOK(t, err, "reading response")
		return resp.StatusCode, got
	}
	data := []byte("signed content")
	put(t, s, "signed/obj", data)
	put(t, s, "signed/secret", []byte("must not leak"))
	url, err := core.Sign(ctx, s, http.MethodGet, "signed/obj", 5*time.Minute)
	expectOK(t, err, "sign GET")
	if status, got := do(http.MethodGet, url, nil, nil); status != http.StatusOK || !bytes.Equal(got, data) {
		t.Fatalf("GET presigned URL: status %d body %s", status, short(got))
	}
	if !strings.Contains(url, "signed/obj") {
		t.Fatalf("presigned URL %q does not name the object", url)
	}
	tampered := strings.Replace(url, "signed/obj", "signed/secret", 1)
	if status, got := do(http.MethodGet, tampered, nil, nil); status/100 == 2 {
		t.Fatalf("a presigned URL altered to another object was accepted: status %d body %s", status, short(got))
	}

	url, err = core.Sign(ctx, s, http.MethodPut, "signed/uploaded", 5*time.Minute)
	expectOK(t, err, "sign PUT")
	upload := []byte("uploaded through a presigned URL")
	if status, got := do(http.MethodPut, url, upload, caps.SignPutHeaders); status/100 != 2 {
		t.Fatalf("PUT presigned URL: status %d body %s", status, short(got))
	}
	expectContent(t, s, "signed/uploaded", upload)
}
