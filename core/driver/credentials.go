package driver

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/libobjstore/objstore/core"
)

// OpenOptions are what a store is opened with besides its document and
// environment.
type OpenOptions struct {
	// Credentials, when set, authenticates the store instead of any
	// credential of the document or the environment (S3, GCS, Azure).
	Credentials core.CredentialProvider
}

// DefaultRefreshThreshold is how long before expiry a cached credential is
// replaced (object_store's five minutes), unless the provider says
// otherwise (core.RefreshThresholder). A short-lived credential is
// replaced after four fifths of its life at the latest, so a provider
// whose credentials live seconds is asked once per credential, not once
// per request.
const DefaultRefreshThreshold = 5 * time.Minute

// refreshRetry bounds how often a failing refresh is tried again while the
// current credential is still valid.
const refreshRetry = time.Second

// CredentialCache holds the credential of one store and asks the store's
// provider for a new one when it is missing, expired or about to expire,
// with at most one call in flight whatever the number of requests waiting.
// Written once for every backend: S3 signs with it, GCS and Azure
// authorize through CredentialTransport.
type CredentialCache struct {
	store     string // backend name, for errors
	provider  core.CredentialProvider
	timeout   time.Duration // bounds one call of the provider
	threshold time.Duration
	check     func(core.Credential) error
	now       func() time.Time
	calls     atomic.Int64

	mu         sync.Mutex
	current    *Lease
	fetching   *credentialFetch
	generation uint64
	retryAt    time.Time // no background refresh before this (after one failed)
	closed     context.Context
	close      context.CancelFunc
}

// Lease is a credential as the cache handed it out. Generation tells the
// cache which credential a refused request used (Refused).
type Lease struct {
	core.Credential
	Generation uint64
	refreshAt  time.Time // zero: never
}

type credentialFetch struct {
	done  chan struct{}
	lease *Lease
	err   error
}

// NewCredentialCache caches p's credentials for a store of the named
// backend. timeout bounds each call of the provider (the client options'
// timeout; 0 means 30 s); check refuses a credential the store cannot use.
func NewCredentialCache(store string, p core.CredentialProvider, timeout time.Duration, check func(core.Credential) error) *CredentialCache {
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	threshold := DefaultRefreshThreshold
	if t, ok := p.(core.RefreshThresholder); ok && t.RefreshThreshold() >= 0 {
		threshold = t.RefreshThreshold()
	}
	closed, cancel := context.WithCancel(context.Background())
	return &CredentialCache{store: store, provider: p, timeout: timeout, threshold: threshold, check: check,
		now: time.Now, closed: closed, close: cancel}
}

// Get returns a valid credential: the cached one, or the provider's next
// answer when there is none (waiting at most until ctx ends). A credential
// about to expire is still returned while its replacement is fetched in
// the background.
func (c *CredentialCache) Get(ctx context.Context) (*Lease, error) {
	c.mu.Lock()
	now := c.now()
	if cur := c.current; cur != nil && (cur.Expires.IsZero() || now.Before(cur.Expires)) {
		if !cur.refreshAt.IsZero() && !now.Before(cur.refreshAt) && c.fetching == nil && !now.Before(c.retryAt) {
			c.startFetch()
		}
		c.mu.Unlock()
		return cur, nil
	}
	f := c.fetching
	if f == nil {
		f = c.startFetch()
	}
	c.mu.Unlock()
	select {
	case <-f.done:
		return f.lease, f.err
	case <-ctx.Done():
		return nil, core.Wrap(core.Timeout, c.store, "", ctxError(ctx, "waiting for credential provider "+c.provider.String()))
	}
}

// Refused tells the cache the service refused the credential of this
// generation as expired or unknown: it is dropped (unless a newer one
// replaced it already), so the next Get asks the provider.
func (c *CredentialCache) Refused(generation uint64) {
	c.mu.Lock()
	if c.current != nil && c.current.Generation == generation {
		c.current = nil
	}
	c.mu.Unlock()
}

// Calls is how many times the provider was asked.
func (c *CredentialCache) Calls() int64 { return c.calls.Load() }

// Close abandons a call in flight; Get fails from then on.
func (c *CredentialCache) Close() { c.close() }

// startFetch asks the provider in the background (c.mu held).
func (c *CredentialCache) startFetch() *credentialFetch {
	f := &credentialFetch{done: make(chan struct{})}
	c.fetching = f
	c.calls.Add(1)
	go func() {
		ctx, cancel := context.WithTimeout(c.closed, c.timeout)
		defer cancel()
		started := c.now()
		cred, err := c.provider.Credential(ctx)
		if err == nil && c.check != nil {
			err = c.check(cred)
			if err != nil {
				err = &core.Error{Kind: core.Unauthenticated, Store: c.store,
					Msg: "credential provider " + c.provider.String() + " returned a credential this store cannot use", Err: err}
			}
		} else if err != nil {
			err = c.providerError(ctx, err)
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		c.fetching = nil
		if err != nil {
			f.err = err
			c.retryAt = c.now().Add(refreshRetry)
		} else {
			c.generation++
			f.lease = &Lease{Credential: cred, Generation: c.generation, refreshAt: c.refreshAt(started, cred.Expires)}
			c.current = f.lease
		}
		close(f.done)
	}()
	return f
}

// refreshAt is when a credential fetched at start should be replaced: the
// threshold before it expires, but no earlier than four fifths into its
// life. Zero for one that never expires.
func (c *CredentialCache) refreshAt(start, expires time.Time) time.Time {
	if expires.IsZero() {
		return time.Time{}
	}
	margin := c.threshold
	if fifth := expires.Sub(start) / 5; fifth < margin {
		margin = max(fifth, 0)
	}
	return expires.Add(-margin)
}

func (c *CredentialCache) providerError(ctx context.Context, err error) error {
	name := c.provider.String()
	if ctx.Err() != nil && (errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)) {
		if c.closed.Err() != nil {
			return &core.Error{Kind: core.Cancelled, Store: c.store, Msg: "store closed while credential provider " + name + " was asked"}
		}
		return &core.Error{Kind: core.Timeout, Store: c.store, Msg: "credential provider " + name + " gave no credential within " + c.timeout.String()}
	}
	var ce *core.Error
	if errors.As(err, &ce) {
		return core.Wrap(ce.Kind, c.store, "", err)
	}
	return &core.Error{Kind: core.Unauthenticated, Store: c.store, Msg: "credential provider " + name + " failed", Err: err}
}

func ctxError(ctx context.Context, what string) error {
	if errors.Is(ctx.Err(), context.Canceled) {
		return &core.Error{Kind: core.Cancelled, Msg: what + ": cancelled"}
	}
	return &core.Error{Kind: core.Timeout, Msg: what + ": deadline passed"}
}

// CredentialError is how CredentialTransport fails a request it could get
// no credential for: the SDKs above must not retry it (azcore reads
// NonRetriable), since the cache already waited for the provider.
type CredentialError struct{ Err error }

func (e *CredentialError) Error() string { return e.Err.Error() }
func (e *CredentialError) Unwrap() error { return e.Err }

// NonRetriable marks the error final for azcore's retry policy.
func (e *CredentialError) NonRetriable() {}

// CredentialTransport authorizes every request it sends with the cache's
// credential, and when the service answers that the credential is stale,
// drops it, asks the provider again and sends the request once more (when
// its body can be replayed). GCS and Azure stores with a provider use it;
// S3 signs in its SDK and retries there (same cache).
type CredentialTransport struct {
	Cache *CredentialCache
	// Authorize sets the credential on a request (a clone the transport
	// owns).
	Authorize func(r *http.Request, c core.Credential) error
	// Stale reports whether an answer refuses the credential as expired
	// or unknown.
	Stale func(resp *http.Response) bool
	Base  http.RoundTripper
}

func (t *CredentialTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	lease, err := t.Cache.Get(r.Context())
	if err != nil {
		closeBody(r)
		return nil, &CredentialError{Err: err}
	}
	replayable := r.Body == nil || r.Body == http.NoBody || r.GetBody != nil
	resp, err := t.send(r, r.Body, lease)
	if err != nil || !t.Stale(resp) {
		return resp, err
	}
	t.Cache.Refused(lease.Generation)
	if !replayable {
		return resp, nil
	}
	fresh, err := t.Cache.Get(r.Context())
	if err != nil {
		return resp, nil // the service's refusal says more than the provider's failure
	}
	body := r.Body
	if r.GetBody != nil {
		if body, err = r.GetBody(); err != nil {
			return resp, nil
		}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return t.send(r, body, fresh)
}

func (t *CredentialTransport) send(r *http.Request, body io.ReadCloser, lease *Lease) (*http.Response, error) {
	out := r.Clone(r.Context())
	out.Body = body
	if err := t.Authorize(out, lease.Credential); err != nil {
		closeBody(r)
		return nil, &CredentialError{Err: err}
	}
	return t.Base.RoundTrip(out)
}

// AuthorizeBearer sets a bearer token (GCS, Azure Entra ID).
func AuthorizeBearer(r *http.Request, c core.Credential) error {
	r.Header.Set("Authorization", "Bearer "+c.Token)
	return nil
}

// CloseIdleConnections passes the call on (see CloseIdle).
func (t *CredentialTransport) CloseIdleConnections() { CloseIdle(t.Base) }
