package main

import (
	"bytes"
	"crypto/md5" //nolint:gosec // the checksum GCS and Azure send
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestVirtualHostedBucket(t *testing.T) {
	for host, want := range map[string]string{
		"bench.s3.us-east-1.amazonaws.com":     "bench",
		"bench.s3.us-east-1.amazonaws.com:443": "bench",
		"bench.s3-us-west-2.amazonaws.com":     "bench",
		"bench.s3.amazonaws.com":               "bench",
		"s3.us-east-1.amazonaws.com":           "", // path-style on AWS's host
		"127.0.0.1:9000":                       "",
		"localhost:9000":                       "",
		"storage.example.com":                  "",
	} {
		if got := virtualHostedBucket(host); got != want {
			t.Errorf("virtualHostedBucket(%q) = %q, want %q", host, got, want)
		}
	}
}

// fixture is a server with one object written through S3 (path-style),
// with its S3, GCS and Azure listeners.
type fixture struct {
	s                *server
	s3, gcs, azure   *httptest.Server
	caFile           string
	data             []byte
	bucket, key, enc string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{s: &server{buckets: map[string]*bucket{}}, bucket: "bench", key: "dir/obj ect", data: bytes.Repeat([]byte("0123456789abcdef"), 1000)}
	f.enc = url.PathEscape(f.key)
	f.caFile = filepath.Join(t.TempDir(), "ca.pem")
	var err error
	if f.s.tunnels, err = newTunnels(f.s, f.caFile); err != nil {
		t.Fatal(err)
	}
	f.s3, f.gcs, f.azure = httptest.NewServer(f.s), httptest.NewServer(gcsHandler{f.s}), httptest.NewServer(azureHandler{f.s})
	t.Cleanup(func() { f.s3.Close(); f.gcs.Close(); f.azure.Close() })
	do(t, http.DefaultClient, http.MethodPut, f.s3.URL+"/"+f.bucket, nil, http.StatusOK)
	do(t, http.DefaultClient, http.MethodPut, f.s3.URL+"/"+f.bucket+"/"+f.enc, f.data, http.StatusOK)
	return f
}

func do(t *testing.T, c *http.Client, method, u string, body []byte, status int, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, u, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != status {
		t.Fatalf("%s %s: status %d, want %d: %s", method, u, resp.StatusCode, status, got)
	}
	return resp, got
}

func TestS3VirtualHostedThroughTheTLSProxy(t *testing.T) {
	f := newFixture(t)
	pem, err := os.ReadFile(f.caFile)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		t.Fatal("the CA file holds no certificate")
	}
	proxy, _ := url.Parse(f.s3.URL)
	client := &http.Client{Transport: &http.Transport{
		Proxy:             http.ProxyURL(proxy),
		TLSClientConfig:   &tls.Config{RootCAs: roots},
		ForceAttemptHTTP2: true, // offered, and refused: S3 speaks HTTP/1.1
	}}
	host := "https://" + f.bucket + ".s3.us-east-1.amazonaws.com"
	resp, got := do(t, client, http.MethodGet, host+"/"+f.enc, nil, http.StatusOK)
	if !bytes.Equal(got, f.data) || resp.TLS == nil || resp.Proto != "HTTP/1.1" {
		t.Fatalf("virtual-hosted GET through the tunnel: %d bytes, TLS %v, %s", len(got), resp.TLS != nil, resp.Proto)
	}
	if cn := resp.TLS.PeerCertificates[0].DNSNames; len(cn) != 1 || cn[0] != f.bucket+".s3.us-east-1.amazonaws.com" {
		t.Fatalf("certificate names %v", cn)
	}
	_, got = do(t, client, http.MethodGet, host+"/"+f.enc, nil, http.StatusPartialContent, "Range", "bytes=16-31")
	if string(got) != "0123456789abcdef" {
		t.Fatalf("ranged GET: %q", got)
	}
	_, got = do(t, client, http.MethodGet, host+"/?list-type=2&prefix=dir", nil, http.StatusOK)
	if !strings.Contains(string(got), "<Key>"+f.key+"</Key>") {
		t.Fatalf("virtual-hosted listing: %s", got)
	}
	do(t, client, http.MethodGet, host+"/missing", nil, http.StatusNotFound)
	// Path-style on AWS's own host, through the same tunnel.
	_, got = do(t, client, http.MethodGet, "https://s3.us-east-1.amazonaws.com/"+f.bucket+"/"+f.enc, nil, http.StatusOK)
	if !bytes.Equal(got, f.data) {
		t.Fatal("path-style GET through the tunnel differs")
	}
	// Four virtual-hosted requests and one path-style, all over TLS; the
	// fixture's two setup requests came path-style over plain HTTP.
	_, got = do(t, http.DefaultClient, http.MethodGet, f.s3.URL+"/?stats", nil, http.StatusOK)
	var st map[string]int64
	if err := json.Unmarshal(got, &st); err != nil {
		t.Fatal(err)
	}
	if st["virtual_hosted"] != 4 || st["path_style"] != 3 || st["tls"] != 5 {
		t.Fatalf("stats %v", st)
	}
	// An untrusting client refuses the tunnel's certificate.
	strict := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(proxy)}}
	if _, err := strict.Get(host + "/" + f.enc); err == nil {
		t.Fatal("a client without the test CA accepted the tunnel's certificate")
	}
}

func TestGCSReads(t *testing.T) {
	f := newFixture(t)
	sum := md5.Sum(f.data) //nolint:gosec
	wantMD5 := base64.StdEncoding.EncodeToString(sum[:])
	var c [4]byte
	binary.BigEndian.PutUint32(c[:], crc32.Checksum(f.data, crc32.MakeTable(crc32.Castagnoli)))
	wantCRC := base64.StdEncoding.EncodeToString(c[:])

	jsonURL := f.gcs.URL + "/storage/v1/b/" + f.bucket + "/o/" + url.PathEscape(f.key)
	_, body := do(t, http.DefaultClient, http.MethodGet, jsonURL+"?alt=json", nil, http.StatusOK)
	var meta map[string]string
	if err := json.Unmarshal(body, &meta); err != nil {
		t.Fatal(err)
	}
	if meta["name"] != f.key || meta["size"] != strconv.Itoa(len(f.data)) || meta["md5Hash"] != wantMD5 || meta["crc32c"] != wantCRC || meta["generation"] == "" {
		t.Fatalf("metadata %v", meta)
	}
	gen := meta["generation"]
	for _, u := range []string{jsonURL + "?alt=media", f.gcs.URL + "/download/storage/v1/b/" + f.bucket + "/o/" + url.PathEscape(f.key) + "?alt=media", f.gcs.URL + "/" + f.bucket + "/" + f.enc} {
		resp, got := do(t, http.DefaultClient, http.MethodGet, u, nil, http.StatusOK)
		h := resp.Header
		if !bytes.Equal(got, f.data) || h.Get("X-Goog-Generation") != gen || h.Get("X-Goog-Hash") != "crc32c="+wantCRC+",md5="+wantMD5 ||
			h.Get("X-Goog-Stored-Content-Length") != strconv.Itoa(len(f.data)) {
			t.Fatalf("GET %s: %d bytes, headers %v", u, len(got), h)
		}
	}
	_, got := do(t, http.DefaultClient, http.MethodGet, jsonURL+"?alt=media", nil, http.StatusPartialContent, "Range", "bytes=1-3")
	if string(got) != "123" {
		t.Fatalf("ranged media GET: %q", got)
	}
	do(t, http.DefaultClient, http.MethodGet, jsonURL+"?alt=json&generation=1", nil, http.StatusNotFound)
	do(t, http.DefaultClient, http.MethodGet, jsonURL+"?alt=json&generation="+gen, nil, http.StatusOK)
	do(t, http.DefaultClient, http.MethodGet, f.gcs.URL+"/storage/v1/b/"+f.bucket+"/o/missing?alt=media", nil, http.StatusNotFound)
	do(t, http.DefaultClient, http.MethodPut, jsonURL, nil, http.StatusNotImplemented)
}

func TestAzureReads(t *testing.T) {
	f := newFixture(t)
	sum := md5.Sum(f.data) //nolint:gosec
	wantMD5 := base64.StdEncoding.EncodeToString(sum[:])
	blob := f.azure.URL + "/devstoreaccount1/" + f.bucket + "/" + url.PathEscape(f.key)
	resp, got := do(t, http.DefaultClient, http.MethodGet, blob, nil, http.StatusOK)
	if !bytes.Equal(got, f.data) || resp.Header.Get("Content-MD5") != wantMD5 || resp.Header.Get("x-ms-blob-type") != "BlockBlob" {
		t.Fatalf("whole read: %d bytes, headers %v", len(got), resp.Header)
	}
	resp, got = do(t, http.DefaultClient, http.MethodGet, blob, nil, http.StatusPartialContent, "x-ms-range", "bytes=2-4")
	if string(got) != "234" || resp.Header.Get("Content-MD5") != "" || resp.Header.Get("Content-Range") != "bytes 2-4/"+strconv.Itoa(len(f.data)) {
		t.Fatalf("ranged read: %q, headers %v", got, resp.Header)
	}
	resp, _ = do(t, http.DefaultClient, http.MethodGet, f.azure.URL+"/devstoreaccount1/"+f.bucket+"/missing", nil, http.StatusNotFound)
	if resp.Header.Get("x-ms-error-code") != "BlobNotFound" {
		t.Fatalf("missing blob: %v", resp.Header)
	}
	resp, _ = do(t, http.DefaultClient, http.MethodGet, f.azure.URL+"/devstoreaccount1/nocontainer/x", nil, http.StatusNotFound)
	if resp.Header.Get("x-ms-error-code") != "ContainerNotFound" {
		t.Fatalf("missing container: %v", resp.Header)
	}
}
