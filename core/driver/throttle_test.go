package driver

import (
	"context"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libobjstore/objstore/core"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cases := []struct {
		header, value string
		want          time.Duration
	}{
		{"Retry-After", "3", 3 * time.Second},
		{"Retry-After", " 0 ", 0},
		{"Retry-After", "-5", 0},
		{"Retry-After", now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{"Retry-After", now.Add(-time.Hour).Format(http.TimeFormat), 0},
		{"Retry-After", "soon", 0},
		{"Retry-After", "99999999999999999999", 0},
		{"Retry-After-Ms", "250", 250 * time.Millisecond},
		{"X-Ms-Retry-After-Ms", "1500", 1500 * time.Millisecond},
	}
	for _, c := range cases {
		h := http.Header{}
		h.Set(c.header, c.value)
		if got := RetryAfter(h, now); got != c.want {
			t.Errorf("%s: %q → %s, want %s", c.header, c.value, got, c.want)
		}
	}
	if got := RetryAfter(http.Header{}, now); got != 0 {
		t.Errorf("no header → %s", got)
	}
}

func admitN(t *testing.T, th *Throttle, n int) []func() {
	t.Helper()
	var done []func()
	for range n {
		_, release, err := th.Admit(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		done = append(done, release)
	}
	return done
}

// The window is cut to half of what is in flight at the first throttling
// answer, only once for answers to requests sent before that cut, and
// admissions beyond it wait (in order) until places are given back.
func TestThrottleWindowCutAndQueue(t *testing.T) {
	th := NewThrottle(Policy{MaxBackoff: time.Second})
	releases := admitN(t, th, 8)
	sent := time.Now()
	th.observe(http.StatusServiceUnavailable, http.Header{}, sent)
	if got := th.Stats().Limit; got != 4 {
		t.Fatalf("after a 503 with 8 in flight the window is %v, want 4", got)
	}
	for range 5 { // answers to requests sent before the cut: no further cut
		th.observe(http.StatusServiceUnavailable, http.Header{}, sent)
	}
	if got := th.Stats().Limit; got != 4 {
		t.Fatalf("answers from the same round cut again: window %v", got)
	}

	order := make(chan int, 3)
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, release, err := th.Admit(context.Background())
			if err != nil {
				t.Error(err)
				return
			}
			order <- i
			release()
		}()
		waitFor(t, func() bool { return th.Stats().Queued == i+1 })
	}
	// 8 in flight with room for 4: the first place frees after 5 releases.
	for _, r := range releases[:4] {
		r()
	}
	time.Sleep(20 * time.Millisecond)
	if n := len(order); n != 0 {
		t.Fatalf("%d admissions went ahead while the window was full", n)
	}
	for _, r := range releases[4:] {
		r()
	}
	wg.Wait()
	close(order)
	got := []int{}
	for i := range order {
		got = append(got, i)
	}
	if len(got) != 3 {
		t.Fatalf("admitted %v", got)
	}
	if s := th.Stats(); s.InFlight != 0 || s.Queued != 0 {
		t.Fatalf("places leaked: %+v", s)
	}
}

func TestThrottleGrowsWhileFullAndLifts(t *testing.T) {
	th := NewThrottle(Policy{MaxBackoff: time.Second})
	releases := admitN(t, th, 2)
	th.observe(http.StatusTooManyRequests, http.Header{}, time.Now())
	if got := th.Stats().Limit; got != 1 {
		t.Fatalf("window %v, want 1", got)
	}
	// Full (2 in flight, window 1): every answer grows the window by 1/window.
	th.observe(http.StatusOK, http.Header{}, time.Now())
	if got := th.Stats().Limit; got != 2 {
		t.Fatalf("window %v after one answer at window 1, want 2", got)
	}
	th.observe(http.StatusNotFound, http.Header{}, time.Now()) // an answer, not a failure
	if got := th.Stats().Limit; got != 2.5 {
		t.Fatalf("window %v, want 2.5", got)
	}
	th.observe(http.StatusInternalServerError, http.Header{}, time.Now())
	if got := th.Stats().Limit; got != 2.5 {
		t.Fatalf("a 500 changed the window to %v", got)
	}
	releases[0]()
	releases[1]()
	th.observe(http.StatusOK, http.Header{}, time.Now()) // not full: no growth
	if got := th.Stats().Limit; got != 2.5 {
		t.Fatalf("window grew to %v while not full", got)
	}
	th.mu.Lock()
	th.lastCut = time.Now().Add(-liftAfter)
	th.mu.Unlock()
	th.observe(http.StatusOK, http.Header{}, time.Now())
	if got := th.Stats().Limit; !math.IsInf(got, 1) {
		t.Fatalf("window %v after a quiet minute, want open", got)
	}
}

// A cancelled wait returns a typed error and leaves no place taken.
func TestThrottleAdmitCancelled(t *testing.T) {
	th := NewThrottle(Policy{MaxBackoff: time.Second})
	releases := admitN(t, th, 2)
	th.observe(http.StatusServiceUnavailable, http.Header{}, time.Now())
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, _, err := th.Admit(ctx)
	if !core.IsKind(err, core.Timeout) {
		t.Fatalf("admission past its deadline: %v, want Timeout", err)
	}
	releases[0]()
	releases[1]()
	releases[1]() // a second release does nothing
	if s := th.Stats(); s.InFlight != 0 || s.Queued != 0 {
		t.Fatalf("places leaked: %+v", s)
	}
	// Nested admissions of one operation take one place.
	ctx2, release, err := th.Admit(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	_, inner, _ := th.Admit(ctx2)
	inner()
	if s := th.Stats(); s.InFlight != 1 {
		t.Fatalf("nested admission: %+v", s)
	}
	release()
}

// Through the transport: a 429 with Retry-After pauses the next request of
// the store until then, capped by max_backoff; the answers feed the window.
func TestThrottleTransportRetryAfter(t *testing.T) {
	var calls atomic.Int64
	var mu sync.Mutex
	var arrivals []time.Time
	retryAfter := "1"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		arrivals = append(arrivals, time.Now())
		mu.Unlock()
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", retryAfter)
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		io.WriteString(w, "ok")
	}))
	defer srv.Close()

	get := func(th *Throttle) int {
		client := &http.Client{Transport: th.Transport(http.DefaultTransport)}
		resp, err := client.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	th := NewThrottle(Policy{MaxBackoff: 15 * time.Second})
	if st := get(th); st != http.StatusTooManyRequests {
		t.Fatalf("first answer %d", st)
	}
	if st := get(th); st != http.StatusOK {
		t.Fatalf("second answer %d", st)
	}
	if gap := arrivals[1].Sub(arrivals[0]); gap < 900*time.Millisecond {
		t.Errorf("the request after Retry-After: 1 came %s later", gap)
	}
	if s := th.Stats(); s.Throttled != 1 || s.Limit != 2 || s.InFlight != 0 { // cut to 1, then one full answer
		t.Errorf("stats %+v", s)
	}

	// A Retry-After of two minutes is capped by max_backoff.
	calls.Store(0)
	arrivals = nil
	retryAfter = "120"
	th = NewThrottle(Policy{MaxBackoff: 200 * time.Millisecond})
	get(th)
	get(th)
	if gap := arrivals[1].Sub(arrivals[0]); gap < 150*time.Millisecond || gap > 5*time.Second {
		t.Errorf("Retry-After: 120 capped at 200ms: next request after %s", gap)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 5s")
		}
		time.Sleep(time.Millisecond)
	}
}
