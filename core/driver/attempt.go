package driver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/libobjstore/objstore/core"
)

// Every wait on the network is bounded here, once for every backend: the
// transport of ClientOptions.HTTPClient bounds each request attempt, and
// BeginRead bounds the body of an object read, which outlives the request
// call that opened it. A bound that passes cancels the attempt and reports
// a core.Timeout error that SDKs retry and ResumeBody resumes.

// Timeouts are the client options that bound one request attempt.
type Timeouts struct {
	// Attempt (client option timeout) bounds one attempt from sending the
	// request to the last byte of its answer. An object's bytes are bound
	// by it only when they are read whole (core.ReadAll, core.GetRanges): a stream
	// is read at its consumer's pace. 0 = no bound.
	Attempt time.Duration
	// Idle (client option read_timeout) bounds every wait for progress: a
	// gap between the bytes of an answer, the wait for its headers, a gap
	// in sending a request body. 0 = none, except that an object body
	// then falls back to Attempt, so that no stream waits without bound.
	Idle time.Duration
}

func (t Timeouts) bodyIdle() time.Duration {
	if t.Idle > 0 {
		return t.Idle
	}
	return t.Attempt
}

// waitExpired is the cause of a core.Timeout error from a bound that passed. It
// is a net.Error that says Timeout and Temporary, so the SDKs retry the
// attempt as they retry any timed-out connection.
type waitExpired struct {
	msg string
	// progressing: bytes were still arriving when the attempt deadline
	// cut the answer, which was only long, not stalled.
	progressing bool
}

func (e *waitExpired) Error() string   { return e.msg }
func (e *waitExpired) Timeout() bool   { return true }
func (e *waitExpired) Temporary() bool { return true }

// IsAttemptTimeout reports whether err is one attempt running out of time
// (client options timeout or read_timeout), which is worth retrying, as
// opposed to the caller's own deadline.
func IsAttemptTimeout(err error) bool {
	var w *waitExpired
	return errors.As(err, &w)
}

// progressingTimeout reports whether err cut an answer that was still
// delivering bytes.
func progressingTimeout(err error) bool {
	var w *waitExpired
	return errors.As(err, &w) && w.progressing
}

// clock watches one attempt: its deadline (from start, while deadlineOn)
// and the current wait for progress (idle). When a bound passes it
// cancels the attempt's context, which unblocks whatever waits on it.
type clock struct {
	base     time.Time
	attempt  time.Duration // 0 = no deadline
	idle     time.Duration // 0 = no idle bound
	idleName string        // the option that set idle, for messages
	cancel   context.CancelFunc

	start      atomic.Int64 // ns after base: when the attempt was sent
	waitSince  atomic.Int64 // ns after base + 1 when the current wait began; 0 = not waiting
	deadlineOn atomic.Bool
	expired    atomic.Pointer[waitExpired]

	mu      sync.Mutex // guards timer against stop
	timer   *time.Timer
	stopped bool
}

func newClock(cancel context.CancelFunc, attempt, idle time.Duration, idleName string) *clock {
	c := &clock{}
	c.init(cancel, attempt, idle, idleName)
	return c
}

func (c *clock) init(cancel context.CancelFunc, attempt, idle time.Duration, idleName string) {
	c.base, c.attempt, c.idle, c.idleName, c.cancel = time.Now(), attempt, idle, idleName, cancel
	// Checks come at least every idle (or attempt) period; each sees
	// whether a bound passed and when to look again.
	c.timer = time.AfterFunc(c.period(), c.check)
}

func (c *clock) now() int64 { return int64(time.Since(c.base)) }

func (c *clock) period() time.Duration {
	if c.idle > 0 && (c.attempt <= 0 || c.idle < c.attempt) {
		return c.idle
	}
	return c.attempt
}

// startRequest begins a request attempt, waiting from now, with its
// deadline in force (newClock armed the first check already).
func (c *clock) startRequest() {
	c.waitSince.Store(1)
	c.deadlineOn.Store(true)
}

func (c *clock) beginWait() { c.waitSince.Store(c.now() + 1) }
func (c *clock) endWait()   { c.waitSince.Store(0) }

// applyDeadline puts the attempt deadline in force (a whole read).
func (c *clock) applyDeadline() {
	if c.attempt > 0 && !c.deadlineOn.Swap(true) {
		c.check() // it may have passed already; else the next check comes sooner
	}
}

func (c *clock) check() {
	if c.expired.Load() != nil {
		return
	}
	now := c.now()
	next := c.period()
	wait := time.Duration(-1)
	if w := c.waitSince.Load(); w != 0 {
		wait = time.Duration(now - (w - 1))
	}
	if c.attempt > 0 && c.deadlineOn.Load() {
		left := time.Duration(c.start.Load() + int64(c.attempt) - now)
		if left <= 0 {
			// Bytes arrived within the last half idle period (or no wait
			// at all): the answer was long, not stalled.
			recent := c.period() / 2
			c.expire(&waitExpired{
				msg:         fmt.Sprintf("the attempt took longer than %s (client option timeout)", c.attempt),
				progressing: wait < recent,
			})
			return
		}
		next = min(next, left)
	}
	if c.idle > 0 && wait >= 0 {
		left := c.idle - wait
		if left <= 0 {
			c.expire(&waitExpired{msg: fmt.Sprintf("no progress for %s (client option %s)", c.idle, c.idleName)})
			return
		}
		next = min(next, left)
	}
	c.rearm(next)
}

func (c *clock) rearm(d time.Duration) {
	c.mu.Lock()
	if !c.stopped {
		c.timer.Reset(max(d, 0))
	}
	c.mu.Unlock()
}

func (c *clock) expire(e *waitExpired) {
	if c.expired.CompareAndSwap(nil, e) {
		c.cancel()
	}
}

// stop ends the attempt: no more checks, and its context is released.
func (c *clock) stop() {
	c.mu.Lock()
	c.stopped = true
	c.timer.Stop()
	c.mu.Unlock()
	c.cancel()
}

// explain replaces the error of an attempt this clock cut short (a
// cancelled context, a closed connection) with the core.Timeout that caused it.
func (c *clock) explain(err error) error {
	if e := c.expired.Load(); e != nil && err != nil && err != io.EOF {
		return &core.Error{Kind: core.Timeout, Err: e}
	}
	return err
}

// boundedTransport gives every request attempt the bounds of Timeouts.
// base is an *http.Transport whose ResponseHeaderTimeout is the shorter of
// the two: for an object read that alone bounds the request (a GET has no
// body to send, the dialer has connect_timeout), which costs nothing per
// request; BeginRead's clock then takes over for the body.
type boundedTransport struct {
	base http.RoundTripper
	t    Timeouts
}

type readAttemptKey struct{}

func (bt *boundedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if ra, ok := req.Context().Value(readAttemptKey{}).(*ReadAttempt); ok {
		// The read's deadline runs from when this request was sent.
		ra.c.start.Store(ra.c.now())
		resp, err := bt.base.RoundTrip(req)
		return resp, bt.explain(req, err)
	}
	if bt.t.Attempt <= 0 && bt.t.Idle <= 0 {
		return bt.base.RoundTrip(req)
	}
	ctx, cancel := context.WithCancel(req.Context())
	c := newClock(cancel, bt.t.Attempt, bt.t.Idle, "read_timeout")
	c.startRequest()
	out := req.WithContext(ctx)
	if req.Body != nil && req.Body != http.NoBody {
		out.Body = &sendingBody{ReadCloser: req.Body, c: c}
	}
	resp, err := bt.base.RoundTrip(out)
	if err != nil {
		c.stop()
		return nil, bt.explain(req, c.explain(err))
	}
	c.endWait()
	resp.Body = &timedBody{r: resp.Body, c: c}
	return resp, nil
}

// explain makes the base transport's own timeouts (awaiting headers,
// connect_timeout) attempt timeouts too, unless the caller's context ended.
func (bt *boundedTransport) explain(req *http.Request, err error) error {
	var ne interface{ Timeout() bool }
	if err == nil || IsAttemptTimeout(err) || req.Context().Err() != nil || !errors.As(err, &ne) || !ne.Timeout() {
		return err
	}
	msg := err.Error() // a dial: connect_timeout
	if strings.Contains(msg, "awaiting response headers") {
		msg = fmt.Sprintf("no answer within %s (client options timeout, read_timeout)", bt.headerBound())
	}
	return &core.Error{Kind: core.Timeout, Err: &waitExpired{msg: msg}}
}

// headerBound is the transport's ResponseHeaderTimeout: the shorter of the
// set timeouts.
func (bt *boundedTransport) headerBound() time.Duration {
	if bt.t.Idle > 0 && (bt.t.Attempt <= 0 || bt.t.Idle < bt.t.Attempt) {
		return bt.t.Idle
	}
	return bt.t.Attempt
}

// sendingBody counts each read of a request body as progress: an upload
// the server stops taking is a wait like any other.
type sendingBody struct {
	io.ReadCloser
	c *clock
}

func (b *sendingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.c.beginWait()
	return n, err
}

// timedBody times each read of a body by its clock; closing it ends the
// attempt.
type timedBody struct {
	r    io.ReadCloser
	c    *clock
	once sync.Once
}

func (b *timedBody) Read(p []byte) (int, error) {
	b.c.beginWait()
	n, err := b.r.Read(p)
	b.c.endWait()
	if err != nil {
		err = b.c.explain(err)
	}
	return n, err
}

func (b *timedBody) Close() error {
	err := b.r.Close()
	b.once.Do(b.c.stop)
	return err
}

// ReadWhole is core.WholeReader: the consumer reads the body to its end
// at once, so the attempt deadline bounds the body too.
func (b *timedBody) ReadWhole() { b.c.applyDeadline() }

// ReadAttempt bounds the body of one object read (a GET whose body the
// caller reads after the call returns). Start it with BeginRead before
// sending the request, with the context BeginRead returns, then wrap the
// body with Body — or call Abandon when there is none.
type ReadAttempt struct {
	c    clock
	body timedBody // the one body, allocated with the attempt
}

// BeginRead starts bounding an object read. The returned context must be
// the one the request is sent with, and the one any SDK reads the body
// with: a bound that passes cancels it.
func (t Timeouts) BeginRead(ctx context.Context) (context.Context, *ReadAttempt) {
	idle := t.bodyIdle()
	if idle <= 0 {
		return ctx, nil
	}
	idleName := "read_timeout"
	if t.Idle <= 0 {
		idleName = "timeout, as read_timeout is not set"
	}
	ctx, cancel := context.WithCancel(ctx)
	ra := &ReadAttempt{}
	ra.c.init(cancel, t.Attempt, idle, idleName)
	return context.WithValue(ctx, readAttemptKey{}, ra), ra
}

// Body wraps the body of the read; closing it ends the attempt. It is
// called once per attempt.
func (ra *ReadAttempt) Body(body io.ReadCloser) io.ReadCloser {
	if ra == nil {
		return body
	}
	ra.body.r, ra.body.c = body, &ra.c
	return &ra.body
}

// Abandon ends an attempt that yields no body (it failed).
func (ra *ReadAttempt) Abandon() {
	if ra != nil {
		ra.c.stop()
	}
}
