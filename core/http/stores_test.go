package httpstore_test

import (
	"context"
	"testing"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/stores"
)

// from_url gives http(s) URLs to this backend, with the URL as the whole
// description, and the document opens a working store.
func TestFromURL(t *testing.T) {
	c, err := stores.FromURL("HTTPS://example.com/some/dir", core.Config{ClientOptions: core.Options{"timeout": "10s"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := string(c.JSON()); got != `{"kind":"http","url":"https://example.com/some/dir/","client_options":{"timeout":"10s"}}` {
		t.Fatalf("document: %s", got)
	}
	c, err = stores.FromURL("http://127.0.0.1:1/x/", core.Config{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = stores.Open(context.Background(), c, nil)
	if !core.IsKind(err, core.InvalidArgument) {
		t.Fatalf("plain http without allow_http: want InvalidArgument, got %v", err)
	}
	back, err := core.ParseConfig(c.JSON())
	if err != nil {
		t.Fatal(err)
	}
	if back.URL != c.URL || back.Kind != "http" {
		t.Fatalf("round trip: %+v", back)
	}
}
