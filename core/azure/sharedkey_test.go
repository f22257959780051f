package azure

import (
	"bytes"
	"context"
	"net/http"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blockblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
)

// capture records the requests the SDK sends (signed) and answers 500.
type capture struct{ reqs []*http.Request }

func (c *capture) Do(r *http.Request) (*http.Response, error) {
	c.reqs = append(c.reqs, r.Clone(r.Context()))
	return &http.Response{StatusCode: 400, Header: http.Header{}, Body: http.NoBody, Request: r}, nil
}

// TestSignSharedKeyMatchesSDK: the Shared Key signature a provider's account
// key gets is the one the SDK computes for the same request.
func TestSignSharedKeyMatchesSDK(t *testing.T) {
	const account, key = "devstoreaccount1", "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
	cred, _ := container.NewSharedKeyCredential(account, key)
	c := &capture{}
	opts := &container.ClientOptions{}
	opts.Transport = c
	opts.Retry = policy.RetryOptions{MaxRetries: -1}
	opts.InsecureAllowCredentialWithHTTP = true
	cl, err := container.NewClientWithSharedKeyCredential("http://127.0.0.1:1/devstoreaccount1/c", cred, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	_, _ = cl.NewBlockBlobClient("dir/a b+c").Upload(ctx, streamOf("hello"), &blockblob.UploadOptions{Metadata: map[string]*string{"k": ptr("v")}})
	_, _ = cl.NewBlobClient("dir/x").GetProperties(ctx, nil)
	pager := cl.NewListBlobsFlatPager(&container.ListBlobsFlatOptions{Prefix: ptr("dir/")})
	_, _ = pager.NextPage(ctx)
	if len(c.reqs) != 3 {
		t.Fatalf("%d requests", len(c.reqs))
	}
	for _, r := range c.reqs {
		want := r.Header.Get("Authorization")
		r.Header.Del("Authorization")
		if err := signSharedKey(r, account, key); err != nil {
			t.Fatal(err)
		}
		if got := r.Header.Get("Authorization"); got != want {
			t.Errorf("%s %s: signed %q, the SDK %q", r.Method, r.URL, got, want)
		}
	}
}

func ptr(s string) *string { return &s }

type readSeekCloser struct{ *bytes.Reader }

func (readSeekCloser) Close() error { return nil }

func streamOf(s string) readSeekCloser { return readSeekCloser{bytes.NewReader([]byte(s))} }
