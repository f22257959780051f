package core

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"time"
)

// RetryConfig is object_store's retry policy. Zero fields take the defaults
// (10 retries, 3 minutes in all, backoff from 100 ms to 15 s, base 2).
type RetryConfig struct {
	MaxRetries   *int           `json:"max_retries,omitempty"`
	RetryTimeout *Duration      `json:"retry_timeout,omitempty"`
	Backoff      *BackoffConfig `json:"backoff,omitempty"`
}

// BackoffConfig is the exponential backoff with jitter between retries.
type BackoffConfig struct {
	InitBackoff *Duration `json:"init_backoff,omitempty"`
	MaxBackoff  *Duration `json:"max_backoff,omitempty"`
	Base        *float64  `json:"base,omitempty"`
}

// Retry policy defaults, as object_store's.
const (
	DefaultMaxRetries   = 10
	DefaultRetryTimeout = 3 * time.Minute
	DefaultInitBackoff  = 100 * time.Millisecond
	DefaultMaxBackoff   = 15 * time.Second
	DefaultBackoffBase  = 2.0
)

// Policy is a RetryConfig with every default filled in.
type Policy struct {
	MaxRetries   int
	RetryTimeout time.Duration
	InitBackoff  time.Duration
	MaxBackoff   time.Duration
	Base         float64
}

// Validate refuses settings no retry loop can follow: a negative count or
// duration, or a base below 1 (backoff that shrinks).
func (r *RetryConfig) Validate() error {
	if r == nil {
		return nil
	}
	if r.MaxRetries != nil && *r.MaxRetries < 0 {
		return Errorf(InvalidArgument, "retry_config max_retries must not be negative, got %d", *r.MaxRetries)
	}
	durations := map[string]*Duration{"retry_timeout": r.RetryTimeout}
	if b := r.Backoff; b != nil {
		durations["backoff init_backoff"], durations["backoff max_backoff"] = b.InitBackoff, b.MaxBackoff
		if b.Base != nil && !(*b.Base >= 1) {
			return Errorf(InvalidArgument, "retry_config backoff base must be at least 1, got %v", *b.Base)
		}
	}
	for name, d := range durations {
		if d != nil && *d < 0 {
			return Errorf(InvalidArgument, "retry_config %s must not be negative, got %s", name, time.Duration(*d))
		}
	}
	return nil
}

// Policy resolves the defaults. A nil config gives the default policy.
func (r *RetryConfig) Policy() Policy {
	p := Policy{DefaultMaxRetries, DefaultRetryTimeout, DefaultInitBackoff, DefaultMaxBackoff, DefaultBackoffBase}
	if r == nil {
		return p
	}
	if r.MaxRetries != nil {
		p.MaxRetries = *r.MaxRetries
	}
	if r.RetryTimeout != nil {
		p.RetryTimeout = time.Duration(*r.RetryTimeout)
	}
	if b := r.Backoff; b != nil {
		if b.InitBackoff != nil {
			p.InitBackoff = time.Duration(*b.InitBackoff)
		}
		if b.MaxBackoff != nil {
			p.MaxBackoff = time.Duration(*b.MaxBackoff)
		}
		if b.Base != nil {
			p.Base = *b.Base
		}
	}
	return p
}

// Complete is the config with every default written out (nil stays nil):
// a document names its whole retry policy once it names any of it, as
// obstore's retry_config shows it, and equal policies compare equal.
func (r *RetryConfig) Complete() *RetryConfig {
	if r == nil {
		return nil
	}
	p := r.Policy()
	retryTimeout, init, maxBackoff := Duration(p.RetryTimeout), Duration(p.InitBackoff), Duration(p.MaxBackoff)
	return &RetryConfig{
		MaxRetries:   &p.MaxRetries,
		RetryTimeout: &retryTimeout,
		Backoff:      &BackoffConfig{InitBackoff: &init, MaxBackoff: &maxBackoff, Base: &p.Base},
	}
}

// Duration is a time.Duration that reads from JSON as a Go duration string
// ("100ms") or a number of seconds, and writes as a Go duration string.
type Duration time.Duration

func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

func (d *Duration) UnmarshalJSON(data []byte) error {
	var v any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return err
	}
	var s string
	switch v := v.(type) {
	case string:
		s = v
	case json.Number:
		s = v.String()
	default:
		return notADuration(data)
	}
	parsed, err := ParseDuration("retry_config", s)
	if err != nil {
		return notADuration(data)
	}
	*d = Duration(parsed)
	return nil
}

// notADuration is a json.UnmarshalTypeError so that the decoder adds the
// field's path (e.g. retry_config.backoff.init_backoff) to the message.
func notADuration(data []byte) error {
	return &json.UnmarshalTypeError{
		Value: fmt.Sprintf("%s (want a duration like \"30s\" or a number of seconds)", data),
		Type:  reflect.TypeFor[Duration](),
	}
}
