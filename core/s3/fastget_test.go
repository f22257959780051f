package s3

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/libobjstore/objstore/core"
)

type countingTransport struct {
	inner http.RoundTripper
	n     atomic.Int64
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.inner.RoundTrip(r)
}

// The fast GET path answers the common refusals itself: a missing object
// or a range past the end costs one request, not a second one through the
// SDK, and maps to the same typed errors.
func TestFastGetRefusalsAreOneRequest(t *testing.T) {
	ctx := context.Background()
	for _, name := range servers {
		t.Run(name, func(t *testing.T) {
			srv := testServer(t, name)
			st := openStore(t, srv.config(srv.newBucket(t)), nil).(*Store)
			if st.c.fast == nil {
				t.Fatal("a path-style custom endpoint should use the fast GET path")
			}
			if _, err := st.Put(ctx, "small", []byte("0123456789"), core.PutOptions{}); err != nil {
				t.Fatal(err)
			}
			var counter *countingTransport
			wrapFastTransport(t, st, func(inner http.RoundTripper) http.RoundTripper {
				counter = &countingTransport{inner: inner}
				return counter
			})

			_, err := st.Get(ctx, "no/such/object", core.GetOptions{})
			if !core.IsKind(err, core.NotFound) {
				t.Fatalf("get of a missing object: %v, want NotFound", err)
			}
			if n := counter.n.Load(); n != 1 {
				t.Fatalf("a missing object took %d requests, want 1", n)
			}

			counter.n.Store(0)
			past := core.Bounded(100, 200)
			_, err = st.Get(ctx, "small", core.GetOptions{Range: &past})
			if !core.IsKind(err, core.InvalidArgument) {
				t.Fatalf("range past the end: %v, want InvalidArgument", err)
			}
			if n := counter.n.Load(); n != 1 {
				t.Fatalf("a range past the end took %d requests, want 1", n)
			}
		})
	}
}

// wrapFastTransport puts wrap(the transport) under the store's lean
// requests for the rest of the test.
func wrapFastTransport(t *testing.T, st *Store, wrap func(http.RoundTripper) http.RoundTripper) {
	hc := st.c.fast.http
	inner := hc.Transport
	if inner == nil {
		inner = http.DefaultTransport
	}
	hc.Transport = wrap(inner)
	t.Cleanup(func() { hc.Transport = inner })
}

// capturingTransport answers every request with an empty 200 and keeps the
// last request, so a test sees what a path would send without a server.
type capturingTransport struct{ last *http.Request }

func (c *capturingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.last = r
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Length": {"0"}},
		Body: http.NoBody, ContentLength: 0, Request: r}, nil
}

// credentialScope is the "REGION/s3" part of a SigV4 Authorization header.
func credentialScope(t *testing.T, r *http.Request) string {
	t.Helper()
	auth := r.Header.Get("Authorization")
	_, rest, ok := strings.Cut(auth, "Credential=")
	if !ok {
		t.Fatalf("no SigV4 credential in %q", auth)
	}
	parts := strings.Split(strings.SplitN(rest, ",", 2)[0], "/")
	if len(parts) < 4 {
		t.Fatalf("malformed credential scope in %q", auth)
	}
	return parts[2] + "/" + parts[3]
}

// The fast GET goes where the SDK's GetObject goes, signed for the same
// region, for every addressing style: AWS's regional endpoints in several
// partitions, virtual-hosted and path-style, and custom endpoints.
func TestFastGetURLMatchesSDK(t *testing.T) {
	type tc struct {
		name   string
		bucket string
		conf   core.Options
	}
	var cases []tc
	for _, region := range []string{"us-east-1", "eu-west-3", "ap-southeast-5", "us-gov-west-1", "cn-north-1"} {
		for _, virtual := range []string{"true", "false"} {
			cases = append(cases, tc{"aws " + region + " virtual=" + virtual, "my-bucket",
				core.Options{"region": region, "virtual_hosted_style_request": virtual}})
		}
	}
	cases = append(cases,
		tc{"aws dotted bucket virtual", "my.dotted.bucket", core.Options{"region": "eu-west-1", "virtual_hosted_style_request": "true"}},
		tc{"aws dotted bucket path-style", "my.dotted.bucket", core.Options{"region": "eu-west-1"}},
		tc{"custom endpoint path-style", "my-bucket", core.Options{"endpoint": "http://127.0.0.1:9000", "allow_http": "true"}},
		tc{"custom endpoint virtual-hosted", "my-bucket", core.Options{"endpoint": "https://my-bucket.objects.example.com", "virtual_hosted_style_request": "true"}},
	)
	const key = "dir/a key+with~odd=chars.bin"
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			conf := core.Options{"access_key_id": "AKIDEXAMPLE", "secret_access_key": "secret"}
			for k, v := range c.conf {
				conf[k] = v
			}
			st := openStore(t, core.Config{Kind: "s3", Bucket: c.bucket, Config: conf}, map[string]string{}).(*Store)
			if st.c.fast == nil {
				t.Fatal("no fast GET path for this configuration")
			}
			capture := &capturingTransport{}
			st.c.http.Transport = capture
			ctx := context.Background()
			if _, err := st.c.api.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(c.bucket), Key: aws.String(key)}); err != nil {
				t.Fatalf("SDK GetObject: %v", err)
			}
			sdk := capture.last
			if _, handled, err := st.c.fast.get(ctx, &s3.GetObjectInput{Key: aws.String(key)}); !handled || err != nil {
				t.Fatalf("fast GET: handled=%v err=%v", handled, err)
			}
			fast := capture.last
			if sdk.URL.Scheme != fast.URL.Scheme || sdk.URL.Host != fast.URL.Host || sdk.URL.EscapedPath() != fast.URL.EscapedPath() {
				t.Fatalf("fast GET goes to %s, the SDK's to %s", fast.URL, sdk.URL)
			}
			if a, b := credentialScope(t, fast), credentialScope(t, sdk); a != b {
				t.Fatalf("fast GET signed for %s, the SDK for %s", a, b)
			}
		})
	}
}
