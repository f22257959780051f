package observe

import (
	"context"
	"net/http"
)

// What core/driver reports from below an operation: it finds the operation
// in the request's context (an Observed store put it there), so a backend
// reports nothing itself, and a request outside any operation counts
// nowhere.

func opOf(ctx context.Context) *opContext {
	p, _ := ctx.Value(opKey{}).(*opContext)
	return p
}

// AttemptStarting counts one HTTP request about to be sent, as a retry when
// the operation's last failed attempt was the same request (method and URL).
func AttemptStarting(req *http.Request) {
	p := opOf(req.Context())
	if p == nil {
		return
	}
	p.store.metrics.attempts.Add(1)
	p.attempts.Add(1)
	if f := p.failed.Load(); f != nil && *f == attemptName(req) && p.failed.CompareAndSwap(f, nil) {
		p.store.metrics.retries.Add(1)
		p.retries.Add(1)
	}
}

// AttemptAnswered records the outcome of an attempt: a throttling answer
// (429, 503), and whether it failed in a way a retry follows (no answer, a
// 5xx, 408 or 429).
func AttemptAnswered(req *http.Request, status int, err error) {
	p := opOf(req.Context())
	if p == nil {
		return
	}
	if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
		p.store.metrics.throttled.Add(1)
	}
	if err != nil || status >= 500 || status == http.StatusTooManyRequests || status == http.StatusRequestTimeout {
		name := attemptName(req)
		p.failed.Store(&name)
	}
}

// attemptName names the request an attempt sends, without its query: the
// S3 backend's fast GET and the SDK request it falls back to after a
// failed answer differ only there (?x-id=GetObject), and are one request
// tried twice.
func attemptName(req *http.Request) string { return req.Method + " " + req.URL.Host + req.URL.Path }

// Resumed counts a broken or stalled body read on from where it stopped.
func Resumed(ctx context.Context) {
	if p := opOf(ctx); p != nil {
		p.store.metrics.resumes.Add(1)
	}
}
