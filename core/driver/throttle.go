package driver

import (
	"context"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/libobjstore/objstore/core"
)

// Throttling. An overloaded service answers 503 (S3's SlowDown, Azure's
// ServerBusy) or 429 (GCS), sometimes with Retry-After. Retrying each
// request on its own keeps the pressure on, and under a steady overload
// some requests exhaust their retries. A Throttle slows the whole store
// down instead:
//
//   - A window bounds the operations in flight. It is open (unbounded)
//     until the first throttling answer; then it is cut to half of what
//     was in flight (multiplicative decrease), at most once per round
//     trip: answers to requests sent before the last cut do not cut again.
//     While the window is full, each answer that is not throttling grows
//     it by 1/window, one request per window of answers (additive
//     increase). After liftAfter without a throttling answer it opens again.
//   - An operation keeps its place from admission until its last attempt is
//     answered, backoff between attempts included: a throttled request
//     waiting for its retry does not make room for another. Requests that
//     no operation admitted (a listing page, a credential fetch) take a
//     place for their own round trip.
//   - Retry-After (delay-seconds or an HTTP date; also the millisecond
//     headers Azure sends) pauses every request of the store until then,
//     capped by the retry policy's max_backoff. A retry waits for the
//     longer of its own backoff and the pause.
//
// One Throttle belongs to the client of one store, and stores with equal
// config documents share one client per process (core/stores), so every
// handle of one config shares one window.
type Throttle struct {
	maxPause time.Duration

	mu         sync.Mutex
	limit      float64         // the window; +Inf while open
	inFlight   int             // operations (or unadmitted requests) holding a place
	queue      []chan struct{} // admissions waiting for a place, oldest first
	lastCut    time.Time
	pauseUntil time.Time

	throttled atomic.Int64 // throttling answers seen
}

// liftAfter is how long the window stays cut without a throttling answer.
const liftAfter = time.Minute

// NewThrottle returns the open throttle of one store; Retry-After pauses
// are capped at p's MaxBackoff.
func NewThrottle(p Policy) *Throttle {
	return &Throttle{maxPause: p.MaxBackoff, limit: math.Inf(1)}
}

type admissionKey struct{}

type exemptKey struct{}

// admission is one admitted operation's place in the window.
type admission struct {
	t        *Throttle
	released atomic.Bool
}

// Admit waits until the operation ctx belongs to has a place in the window
// and returns a context that marks its requests as admitted, with the
// function that gives the place back (call it once the operation's last
// request is answered; calling it again does nothing). An operation already
// admitted (nested calls) is admitted again at no cost. A nil Throttle
// admits everything.
func (t *Throttle) Admit(ctx context.Context) (context.Context, func(), error) {
	if t == nil || t.admitted(ctx) {
		return ctx, func() {}, nil
	}
	if err := t.acquire(ctx); err != nil {
		return ctx, func() {}, err
	}
	a := &admission{t: t}
	return context.WithValue(ctx, admissionKey{}, a), func() {
		if a.released.CompareAndSwap(false, true) {
			t.release()
		}
	}, nil
}

// Unthrottled marks the requests of ctx as outside every window: for a
// request that stays open for as long as its caller keeps feeding it (a
// streamed upload), which must not hold a place others wait for.
func Unthrottled(ctx context.Context) context.Context {
	return context.WithValue(ctx, exemptKey{}, true)
}

func (t *Throttle) admitted(ctx context.Context) bool {
	a, ok := ctx.Value(admissionKey{}).(*admission)
	return ok && a.t == t && !a.released.Load()
}

func (t *Throttle) acquire(ctx context.Context) error {
	t.mu.Lock()
	if len(t.queue) == 0 && float64(t.inFlight) < t.limit {
		t.inFlight++
		t.mu.Unlock()
		return nil
	}
	ready := make(chan struct{})
	t.queue = append(t.queue, ready)
	t.mu.Unlock()
	select {
	case <-ready:
		return nil
	case <-ctx.Done():
		t.mu.Lock()
		if i := slices.Index(t.queue, ready); i >= 0 {
			t.queue = slices.Delete(t.queue, i, i+1)
			t.mu.Unlock()
		} else { // handed a place just now: give it back
			t.mu.Unlock()
			t.release()
		}
		return &core.Error{Kind: core.KindOf(ctx.Err()), Msg: "waiting for room among the store's requests in flight (the service is throttling)", Err: ctx.Err()}
	}
}

func (t *Throttle) release() {
	t.mu.Lock()
	t.inFlight--
	t.wakeLocked()
	t.mu.Unlock()
}

// wakeLocked hands free places to waiting admissions, oldest first.
func (t *Throttle) wakeLocked() {
	for len(t.queue) > 0 && float64(t.inFlight) < t.limit {
		ready := t.queue[0]
		t.queue = t.queue[1:]
		t.inFlight++
		close(ready)
	}
}

// waitPause waits out a Retry-After pause.
func (t *Throttle) waitPause(ctx context.Context) error {
	t.mu.Lock()
	wait := time.Until(t.pauseUntil)
	t.mu.Unlock()
	if wait <= 0 {
		return nil
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return &core.Error{Kind: core.KindOf(ctx.Err()), Msg: "waiting out the service's Retry-After", Err: ctx.Err()}
	}
}

// Throttling reports whether status asks the client to slow down.
func Throttling(status int) bool {
	return status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable
}

// observe feeds one answer, to a request sent at sent, into the window.
func (t *Throttle) observe(status int, h http.Header, sent time.Time) {
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	if Throttling(status) {
		t.throttled.Add(1)
		if d := RetryAfter(h, now); d > 0 {
			if until := now.Add(min(d, t.maxPause)); until.After(t.pauseUntil) {
				t.pauseUntil = until
			}
		}
		if sent.After(t.lastCut) {
			t.limit = max(1, math.Min(t.limit, float64(t.inFlight))/2)
			t.lastCut = now
		}
		return
	}
	switch {
	case status >= 500 || math.IsInf(t.limit, 1):
		// A failure says nothing about the load the service accepts.
	case now.Sub(t.lastCut) >= liftAfter:
		t.limit = math.Inf(1)
		t.wakeLocked()
	case float64(t.inFlight) >= t.limit || len(t.queue) > 0: // full: grow
		t.limit += 1 / t.limit
		t.wakeLocked()
	}
}

// ThrottleStats is a snapshot of a Throttle, for tests and diagnostics.
type ThrottleStats struct {
	Limit     float64 // the window; +Inf while open
	InFlight  int
	Queued    int
	Throttled int64 // throttling answers seen so far
}

// Stats returns a snapshot; a nil Throttle reports an open window.
func (t *Throttle) Stats() ThrottleStats {
	if t == nil {
		return ThrottleStats{Limit: math.Inf(1)}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return ThrottleStats{Limit: t.limit, InFlight: t.inFlight, Queued: len(t.queue), Throttled: t.throttled.Load()}
}

// Transport wraps an HTTP transport so that every request through it is
// counted in the window (unless its operation was admitted, or it is
// Unthrottled), waits out Retry-After pauses, and feeds its answer back.
func (t *Throttle) Transport(base http.RoundTripper) http.RoundTripper {
	if t == nil {
		return base
	}
	return &throttledTransport{t: t, base: base}
}

type throttledTransport struct {
	t    *Throttle
	base http.RoundTripper
}

func (tt *throttledTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	if exempt, _ := ctx.Value(exemptKey{}).(bool); !exempt && !tt.t.admitted(ctx) {
		if err := tt.t.acquire(ctx); err != nil {
			closeBody(req)
			return nil, err
		}
		defer tt.t.release()
	}
	if err := tt.t.waitPause(ctx); err != nil {
		closeBody(req)
		return nil, err
	}
	sent := time.Now()
	resp, err := tt.base.RoundTrip(req)
	if err == nil {
		tt.t.observe(resp.StatusCode, resp.Header, sent)
	}
	return resp, err
}

// closeBody honours the RoundTripper contract: the request body is closed
// even when the request is never sent.
func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

// RetryAfter reads how long a response asks the client to wait: Retry-After
// as delay-seconds or an HTTP date (RFC 9110 §10.2.3), or the millisecond
// headers Azure uses (retry-after-ms, x-ms-retry-after-ms). 0 when there is
// none or it is unreadable.
func RetryAfter(h http.Header, now time.Time) time.Duration {
	for _, name := range []string{"Retry-After-Ms", "X-Ms-Retry-After-Ms"} {
		if v := strings.TrimSpace(h.Get(name)); v != "" {
			if ms, err := strconv.ParseInt(v, 10, 64); err == nil && ms > 0 {
				return time.Duration(min(ms, math.MaxInt64/int64(time.Millisecond))) * time.Millisecond
			}
		}
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		return time.Duration(min(secs, math.MaxInt64/int64(time.Second))) * time.Second
	}
	if at, err := http.ParseTime(v); err == nil {
		return max(at.Sub(now), 0)
	}
	return 0
}
