package driver

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/libobjstore/objstore/core"
)

// Policy is a retry policy with every default filled in: what a backend's
// retry loop follows (Do, Backoff, ResumeBody).
type Policy struct {
	MaxRetries   int
	RetryTimeout time.Duration
	InitBackoff  time.Duration
	MaxBackoff   time.Duration
	Base         float64
}

// PolicyOf resolves a document's retry_config; nil gives object_store's
// defaults (10 retries, 3 minutes in all, backoff from 100 ms to 15 s,
// base 2).
func PolicyOf(r *core.RetryConfig) Policy {
	c := r.Complete()
	if c == nil {
		c = (&core.RetryConfig{}).Complete()
	}
	return Policy{
		MaxRetries:   *c.MaxRetries,
		RetryTimeout: time.Duration(*c.RetryTimeout),
		InitBackoff:  time.Duration(*c.Backoff.InitBackoff),
		MaxBackoff:   time.Duration(*c.Backoff.MaxBackoff),
		Base:         *c.Backoff.Base,
	}
}

// retryableError marks an error worth another attempt: the request may
// succeed if simply sent again (a 5xx, a 429, a dropped connection).
type retryableError struct{ err error }

func (e *retryableError) Error() string { return e.err.Error() }
func (e *retryableError) Unwrap() error { return e.err }

// Retryable marks err as transient for Policy.Do. Its kind is unchanged.
func Retryable(err error) error {
	if err == nil {
		return nil
	}
	return &retryableError{err}
}

// IsRetryable reports whether err was marked with Retryable.
func IsRetryable(err error) bool {
	var r *retryableError
	return errors.As(err, &r)
}

// Do calls attempt until it succeeds, fails with an error not marked
// Retryable, or the policy gives up: after MaxRetries retries, or once
// RetryTimeout has passed since the first attempt, or when ctx ends. Between
// attempts it sleeps an exponential backoff with jitter, as object_store
// does: each wait is drawn uniformly between InitBackoff and Base times the
// previous wait, capped at MaxBackoff. The error returned never carries the
// Retryable mark.
func (p Policy) Do(ctx context.Context, attempt func(ctx context.Context) error) error {
	start := time.Now()
	wait := p.InitBackoff
	for retries := 0; ; retries++ {
		err := attempt(ctx)
		if err == nil || !IsRetryable(err) {
			return err
		}
		if retries >= p.MaxRetries || time.Since(start) >= p.RetryTimeout {
			return unmarkRetryable(err)
		}
		wait = p.nextBackoff(wait)
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return unmarkRetryable(err)
		case <-timer.C:
		}
	}
}

func (p Policy) nextBackoff(prev time.Duration) time.Duration {
	lo := float64(p.InitBackoff)
	hi := float64(prev) * p.Base
	next := lo
	if hi > lo {
		next = lo + rand.Float64()*(hi-lo)
	}
	return min(time.Duration(next), p.MaxBackoff)
}

func unmarkRetryable(err error) error {
	if r, ok := err.(*retryableError); ok {
		return r.err
	}
	return err
}

// Backoff is the wait before retry n (from 1) for callers that keep no
// state between attempts (the AWS SDK's retryer): drawn uniformly between
// InitBackoff and InitBackoff·Base^(n-1), capped at MaxBackoff — the
// envelope of Do's waits. The first wait is InitBackoff, as object_store's.
func (p Policy) Backoff(n int) time.Duration {
	hi := float64(p.InitBackoff)
	for i := 1; i < n && hi < float64(p.MaxBackoff); i++ {
		hi *= p.Base
	}
	lo := float64(p.InitBackoff)
	next := lo
	if hi > lo {
		next = lo + rand.Float64()*(hi-lo)
	}
	return min(time.Duration(next), p.MaxBackoff)
}
