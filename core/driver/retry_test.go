package driver

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/libobjstore/objstore/core"
)

func TestRetryDefaultsAreObjectStores(t *testing.T) {
	p := PolicyOf(nil)
	if p != (Policy{10, 3 * time.Minute, 100 * time.Millisecond, 15 * time.Second, 2}) {
		t.Fatalf("default policy %+v", p)
	}
	c, err := core.ParseConfig([]byte(`{"kind":"memory","retry_config":{"max_retries":3,"retry_timeout":"10s","backoff":{"init_backoff":0.5,"max_backoff":"2s","base":3}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := PolicyOf(c.RetryConfig); got != (Policy{3, 10 * time.Second, 500 * time.Millisecond, 2 * time.Second, 3}) {
		t.Fatalf("configured policy %+v", got)
	}
}

func TestRetryConfigValidate(t *testing.T) {
	neg, half, nan := -1, 0.5, math.NaN()
	negDur := core.Duration(-time.Second)
	for name, rc := range map[string]*core.RetryConfig{
		"max_retries":   {MaxRetries: &neg},
		"retry_timeout": {RetryTimeout: &negDur},
		"init_backoff":  {Backoff: &core.BackoffConfig{InitBackoff: &negDur}},
		"max_backoff":   {Backoff: &core.BackoffConfig{MaxBackoff: &negDur}},
		"base":          {Backoff: &core.BackoffConfig{Base: &half}},
		"base NaN":      {Backoff: &core.BackoffConfig{Base: &nan}},
	} {
		_, err := NormalizeDocument(core.Config{Kind: "memory", RetryConfig: rc}, "memory", nil)
		if !core.IsKind(err, core.InvalidArgument) || !strings.Contains(err.Error(), strings.Fields(name)[0]) {
			t.Errorf("%s: %v, want InvalidArgument naming it", name, err)
		}
	}
	zero, one := 0, 1.0
	if err := (&core.RetryConfig{MaxRetries: &zero, Backoff: &core.BackoffConfig{Base: &one}}).Validate(); err != nil {
		t.Errorf("max_retries 0, base 1: %v", err)
	}
}

var errTransient = errors.New("transient")

func TestPolicyDoRetriesOnlyRetryableErrors(t *testing.T) {
	p := Policy{MaxRetries: 3, RetryTimeout: time.Minute, InitBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond, Base: 2}
	attempts := 0
	err := p.Do(context.Background(), func(context.Context) error { attempts++; return Retryable(errTransient) })
	if attempts != 4 || !errors.Is(err, errTransient) || IsRetryable(err) {
		t.Fatalf("always transient: %d attempts, %v (retryable mark kept: %v)", attempts, err, IsRetryable(err))
	}
	attempts = 0
	final := core.Errorf(core.NotFound, "gone")
	if err := p.Do(context.Background(), func(context.Context) error { attempts++; return final }); attempts != 1 || err != final {
		t.Fatalf("final error: %d attempts, %v", attempts, err)
	}
	attempts = 0
	err = p.Do(context.Background(), func(context.Context) error {
		if attempts++; attempts < 3 {
			return Retryable(errTransient)
		}
		return nil
	})
	if err != nil || attempts != 3 {
		t.Fatalf("transient twice: %d attempts, %v", attempts, err)
	}
	p.MaxRetries = 0
	attempts = 0
	if p.Do(context.Background(), func(context.Context) error { attempts++; return Retryable(errTransient) }); attempts != 1 {
		t.Fatalf("max_retries 0: %d attempts", attempts)
	}
}

func TestPolicyDoStopsAtRetryTimeoutAndCancel(t *testing.T) {
	p := Policy{MaxRetries: 1 << 30, RetryTimeout: 50 * time.Millisecond, InitBackoff: 10 * time.Millisecond, MaxBackoff: 10 * time.Millisecond, Base: 2}
	attempts := 0
	err := p.Do(context.Background(), func(context.Context) error { attempts++; return Retryable(errTransient) })
	if !errors.Is(err, errTransient) || attempts > 100 {
		t.Fatalf("retry_timeout: %d attempts, %v", attempts, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p.RetryTimeout = time.Hour
	attempts = 0
	err = p.Do(ctx, func(context.Context) error {
		if attempts++; attempts == 2 {
			cancel()
		}
		return Retryable(errTransient)
	})
	if attempts != 2 || !errors.Is(err, errTransient) {
		t.Fatalf("cancel: %d attempts, %v", attempts, err)
	}
}

// Each wait is drawn between init_backoff and base times the previous
// one, never above max_backoff.
func TestBackoffBounds(t *testing.T) {
	p := Policy{InitBackoff: 100 * time.Millisecond, MaxBackoff: 3 * time.Second, Base: 3}
	for range 200 {
		prev := p.InitBackoff
		for range 12 {
			next := p.nextBackoff(prev)
			hi := min(time.Duration(float64(prev)*p.Base), p.MaxBackoff)
			if next < min(p.InitBackoff, p.MaxBackoff) || next > hi {
				t.Fatalf("after %s: %s outside [%s, %s]", prev, next, p.InitBackoff, hi)
			}
			prev = next
		}
	}
}

func TestBadDurationNamesItsKey(t *testing.T) {
	for key, doc := range map[string]string{
		"retry_config.retry_timeout":        `{"kind":"s3","retry_config":{"retry_timeout":-3}}`,
		"retry_config.backoff.init_backoff": `{"kind":"s3","retry_config":{"backoff":{"init_backoff":"soon"}}}`,
		"retry_config.backoff.max_backoff":  `{"kind":"s3","retry_config":{"backoff":{"max_backoff":true}}}`,
	} {
		_, err := core.ParseConfig([]byte(doc))
		if !core.IsKind(err, core.InvalidArgument) || !strings.Contains(err.Error(), key) {
			t.Errorf("%s: %v, want InvalidArgument naming %s", doc, err, key)
		}
	}
}

// The stateless Backoff (used by the S3 retryer) has Do's envelope: the
// first wait is init_backoff, the n-th at most init·base^(n-1), never above
// max_backoff.
func TestStatelessBackoffEnvelope(t *testing.T) {
	p := Policy{InitBackoff: 100 * time.Millisecond, MaxBackoff: 2 * time.Second, Base: 2}
	if d := p.Backoff(1); d != p.InitBackoff {
		t.Fatalf("first wait %s", d)
	}
	for range 200 {
		for n := 1; n <= 12; n++ {
			hi := min(time.Duration(float64(p.InitBackoff)*math.Pow(p.Base, float64(n-1))), p.MaxBackoff)
			if d := p.Backoff(n); d < p.InitBackoff || d > hi {
				t.Fatalf("wait %d: %s outside [%s, %s]", n, d, p.InitBackoff, hi)
			}
		}
	}
}
