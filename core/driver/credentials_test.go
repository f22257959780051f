package driver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libobjstore/objstore/core"
)

// testProvider answers with tokens "t1", "t2", ... valid for life each, after
// delay; fail makes it fail instead.
type testProvider struct {
	calls atomic.Int64
	life  time.Duration
	delay time.Duration
	fail  error
	hang  bool
	now   func() time.Time
}

func (p *testProvider) String() string { return "testProvider" }

func (p *testProvider) Credential(ctx context.Context) (core.Credential, error) {
	n := p.calls.Add(1)
	if p.hang {
		<-ctx.Done()
		return core.Credential{}, ctx.Err()
	}
	time.Sleep(p.delay)
	if p.fail != nil {
		return core.Credential{}, p.fail
	}
	c := core.Credential{Token: fmt.Sprintf("t%d", n)}
	if p.life > 0 {
		c.Expires = p.now().Add(p.life)
	}
	return c, nil
}

// fakeClock is a settable clock for the cache.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newTestCache(p *testProvider, timeout time.Duration) (*CredentialCache, *fakeClock) {
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	p.now = clock.now
	c := NewCredentialCache("test", p, timeout, nil)
	c.now = clock.now
	return c, clock
}

func TestCredentialCacheOneCallForManyWaiters(t *testing.T) {
	p := &testProvider{delay: 50 * time.Millisecond}
	c, _ := newTestCache(p, time.Second)
	var wg sync.WaitGroup
	tokens := make([]string, 100)
	for i := range tokens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l, err := c.Get(context.Background())
			if err != nil {
				t.Error(err)
				return
			}
			tokens[i] = l.Token
		}()
	}
	wg.Wait()
	if got := p.calls.Load(); got != 1 {
		t.Fatalf("provider called %d times for 100 concurrent requests, want 1", got)
	}
	for _, tok := range tokens {
		if tok != "t1" {
			t.Fatalf("a waiter got %q", tok)
		}
	}
	// A credential without expiry is kept for good.
	for range 10 {
		if l, _ := c.Get(context.Background()); l.Token != "t1" {
			t.Fatalf("got %q", l.Token)
		}
	}
	if p.calls.Load() != 1 {
		t.Fatalf("provider called again for a credential that never expires")
	}
}

func TestCredentialCacheRefreshesBeforeExpiry(t *testing.T) {
	p := &testProvider{life: 10 * time.Second}
	c, clock := newTestCache(p, time.Second)
	get := func() string {
		t.Helper()
		l, err := c.Get(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return l.Token
	}
	if got := get(); got != "t1" {
		t.Fatalf("first: %q", got)
	}
	clock.add(7 * time.Second) // before the last fifth of its life: no call
	if got := get(); got != "t1" || p.calls.Load() != 1 {
		t.Fatalf("at 7 s: %q after %d calls", got, p.calls.Load())
	}
	clock.add(2 * time.Second) // in the last fifth: refreshed in the background, t1 still served
	if got := get(); got != "t1" {
		t.Fatalf("at 9 s: %q", got)
	}
	deadline := time.Now().Add(5 * time.Second)
	for get() != "t2" {
		if time.Now().After(deadline) {
			t.Fatal("the background refresh never landed")
		}
		time.Sleep(time.Millisecond)
	}
	if p.calls.Load() != 2 {
		t.Fatalf("%d calls, want 2", p.calls.Load())
	}
	clock.add(11 * time.Second) // t2 expired: the next request waits for t3
	if got := get(); got != "t3" {
		t.Fatalf("after expiry: %q", got)
	}
}

func TestCredentialCacheRefusedAsksAgainOnce(t *testing.T) {
	p := &testProvider{}
	c, _ := newTestCache(p, time.Second)
	l1, _ := c.Get(context.Background())
	l2, _ := c.Get(context.Background())
	c.Refused(l1.Generation)
	l3, _ := c.Get(context.Background())
	c.Refused(l2.Generation) // the same credential: already replaced, nothing happens
	l4, _ := c.Get(context.Background())
	if l3.Token != "t2" || l4.Token != "t2" || p.calls.Load() != 2 {
		t.Fatalf("tokens %s %s after %d calls", l3.Token, l4.Token, p.calls.Load())
	}
}

func TestCredentialCacheProviderFailureNamesProvider(t *testing.T) {
	p := &testProvider{fail: errors.New("boom")}
	c, _ := newTestCache(p, time.Second)
	_, err := c.Get(context.Background())
	if !core.IsKind(err, core.Unauthenticated) || !strings.Contains(err.Error(), "testProvider") || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("got %v", err)
	}
	// Not cached: the next request asks again.
	_, _ = c.Get(context.Background())
	if p.calls.Load() != 2 {
		t.Fatalf("%d calls", p.calls.Load())
	}
	// A typed error keeps its kind.
	p.fail = core.Errorf(core.PermissionDenied, "no")
	if _, err := c.Get(context.Background()); !core.IsKind(err, core.PermissionDenied) {
		t.Fatalf("got %v", err)
	}
}

func TestCredentialCacheHangingProviderTimesOut(t *testing.T) {
	p := &testProvider{hang: true}
	c, _ := newTestCache(p, 200*time.Millisecond)
	start := time.Now()
	_, err := c.Get(context.Background())
	if !core.IsKind(err, core.Timeout) || !strings.Contains(err.Error(), "testProvider") {
		t.Fatalf("got %v", err)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Fatalf("took %v", el)
	}
	// A caller's own deadline ends its wait sooner.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := c.Get(ctx); !core.IsKind(err, core.Timeout) {
		t.Fatalf("got %v", err)
	}
	c.Close()
	if _, err := c.Get(context.Background()); err == nil {
		t.Fatal("a closed cache answered")
	}
}

func TestCredentialCacheCheckRefusesUnusable(t *testing.T) {
	p := &testProvider{}
	c := NewCredentialCache("test", p, time.Second, func(core.Credential) error { return errors.New("needs a key") })
	if _, err := c.Get(context.Background()); !core.IsKind(err, core.Unauthenticated) || !strings.Contains(err.Error(), "needs a key") {
		t.Fatalf("got %v", err)
	}
}

func TestRefreshAtShortAndLongLives(t *testing.T) {
	c := NewCredentialCache("test", &testProvider{}, time.Second, nil)
	start := time.Unix(0, 0)
	if got := c.refreshAt(start, start.Add(5*time.Second)); got != start.Add(4*time.Second) {
		t.Fatalf("5 s credential refreshed at %v", got.Sub(start))
	}
	if got := c.refreshAt(start, start.Add(time.Hour)); got != start.Add(55*time.Minute) {
		t.Fatalf("1 h credential refreshed at %v", got.Sub(start))
	}
}

// TestCredentialTransportRetriesStaleOnce: a server that accepts only the
// newest token sees each request at most twice, and the provider is asked
// once per refusal.
func TestCredentialTransportRetriesStaleOnce(t *testing.T) {
	var valid atomic.Value
	valid.Store("Bearer t2")
	var seen atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen.Add(1)
		body, _ := io.ReadAll(r.Body)
		if r.Header.Get("Authorization") != valid.Load().(string) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		_, _ = w.Write(body)
	}))
	defer srv.Close()
	p := &testProvider{}
	cache, _ := newTestCache(p, time.Second)
	client := &http.Client{Transport: &CredentialTransport{Cache: cache, Authorize: AuthorizeBearer,
		Stale: func(r *http.Response) bool { return r.StatusCode == http.StatusUnauthorized }, Base: http.DefaultTransport}}
	// t1 is refused, t2 accepted: one retry, with the body replayed.
	resp, err := client.Post(srv.URL, "text/plain", strings.NewReader("hello"))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(got) != "hello" || seen.Load() != 2 || p.calls.Load() != 2 {
		t.Fatalf("status %d body %q after %d requests and %d calls", resp.StatusCode, got, seen.Load(), p.calls.Load())
	}
	// Refused again after the retry: the refusal is the answer (no loop).
	valid.Store("Bearer never")
	resp, err = client.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || seen.Load() != 4 {
		t.Fatalf("status %d after %d requests", resp.StatusCode, seen.Load())
	}
	// A provider failure fails the request with a CredentialError.
	p.fail = errors.New("boom")
	cache.Refused(cache.current.Generation)
	_, err = client.Get(srv.URL)
	var ce *CredentialError
	if !errors.As(err, &ce) || !core.IsKind(err, core.Unauthenticated) {
		t.Fatalf("got %v", err)
	}
}
