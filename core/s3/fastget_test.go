package s3

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"

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
			hc := st.c.fast.http
			inner := hc.Transport
			if inner == nil {
				inner = http.DefaultTransport
			}
			counter := &countingTransport{inner: inner}
			hc.Transport = counter
			defer func() { hc.Transport = inner }()

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
