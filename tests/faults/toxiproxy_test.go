package faults_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// A tiny client for Toxiproxy's HTTP API: enough to create a proxy per test
// and add or remove toxics on it.

func toxiproxyURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("OBJSTORE_TEST_TOXIPROXY_URL")
	if u == "" {
		t.Fatal("OBJSTORE_TEST_TOXIPROXY_URL is not set: run via " +
			"buildscripts/with-servers.sh minio toxiproxy -- go test ./tests/faults/")
	}
	return strings.TrimSuffix(u, "/")
}

var apiClient = &http.Client{Timeout: 10 * time.Second}

func toxiproxyCall(t testing.TB, method, path string, body any, want int) []byte {
	t.Helper()
	var in io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		in = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, toxiproxyURL(t)+path, in)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := apiClient.Do(req)
	if err != nil {
		t.Fatalf("toxiproxy %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("toxiproxy %s %s: HTTP %d %s", method, path, resp.StatusCode, out)
	}
	return out
}

// proxy is one Toxiproxy proxy in front of an upstream host:port.
type proxy struct {
	t      testing.TB
	name   string
	listen string // host:port clients connect to
}

var proxySeq atomic.Int64

// newProxy creates a proxy on a free loopback port, removed when the test
// ends.
func newProxy(t testing.TB, upstream string) *proxy {
	t.Helper()
	name := fmt.Sprintf("objstore-%d-%d", os.Getpid(), proxySeq.Add(1))
	out := toxiproxyCall(t, http.MethodPost, "/proxies", map[string]any{
		"name": name, "listen": "127.0.0.1:0", "upstream": upstream, "enabled": true,
	}, http.StatusCreated)
	var created struct {
		Listen string `json:"listen"`
	}
	if err := json.Unmarshal(out, &created); err != nil || strings.HasSuffix(created.Listen, ":0") {
		t.Fatalf("toxiproxy returned %s (%v)", out, err)
	}
	p := &proxy{t: t, name: name, listen: created.Listen}
	t.Cleanup(func() { toxiproxyCall(t, http.MethodDelete, "/proxies/"+name, nil, http.StatusNoContent) })
	return p
}

// toxic is a Toxiproxy toxic: type latency, bandwidth, timeout,
// reset_peer, limit_data, slicer…; stream "upstream" (client to server) or
// "downstream".
type toxic struct {
	Name       string         `json:"name"`
	Type       string         `json:"type"`
	Stream     string         `json:"stream"`
	Toxicity   float64        `json:"toxicity"`
	Attributes map[string]int `json:"attributes"`
}

func (p *proxy) add(tx toxic) {
	p.t.Helper()
	if tx.Toxicity == 0 {
		tx.Toxicity = 1
	}
	toxiproxyCall(p.t, http.MethodPost, "/proxies/"+p.name+"/toxics", tx, http.StatusOK)
}

func (p *proxy) remove(name string) {
	p.t.Helper()
	toxiproxyCall(p.t, http.MethodDelete, "/proxies/"+p.name+"/toxics/"+name, nil, http.StatusNoContent)
}
