package driver

import (
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/libobjstore/objstore/core"
)

func TestDefaultHeadersAndRootCertificate(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, r.Header.Get("X-Probe")+"|"+r.Header.Get("X-Other"))
	}))
	defer srv.Close()
	caPEM := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))

	// The document keeps an object value as its JSON text, keys sorted.
	caJSON, _ := json.Marshal(caPEM)
	c, err := core.ParseConfig([]byte(`{"kind":"http","url":"https://x/","client_options":{"default_headers":{"X-Probe":"p","X-Other":"o"},"root_certificate":` +
		string(caJSON) + `}}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.ClientOptions["default_headers"]; got != `{"X-Other":"o","X-Probe":"p"}` {
		t.Fatalf("default_headers kept as %q", got)
	}
	opts, err := ParseClientOptions(c.ClientOptions)
	if err != nil {
		t.Fatal(err)
	}
	client, err := opts.HTTPClient()
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	req.Header.Set("X-Other", "explicit") // a header the request sets wins
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("TLS with the test CA as root_certificate: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "p|explicit" {
		t.Fatalf("server saw headers %q", body)
	}
	if _, isSet := req.Header["X-Probe"]; isSet {
		t.Fatal("the caller's request was changed")
	}
	if _, ok := BaseTransport(client); !ok {
		t.Fatal("BaseTransport does not see through the headers transport")
	}

	// Without the certificate the same server is refused.
	plain, _ := ClientOptions{}.HTTPClient()
	if _, err := plain.Get(srv.URL); err == nil {
		t.Fatal("an unknown CA was trusted")
	}
	for _, bad := range []core.Options{
		{"root_certificate": "not a certificate"},
		{"default_headers": `["a"]`},
		{"default_headers": `{"bad name":"v"}`},
		{"default_headers": `{"X-A":"line\nbreak"}`},
	} {
		if _, err := ParseClientOptions(bad); !core.IsKind(err, core.InvalidArgument) {
			t.Errorf("%v: %v, want InvalidArgument", bad, err)
		}
	}
}
