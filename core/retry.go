package core

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
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

// Complete is the config with every default written out (nil stays nil):
// a document names its whole retry policy once it names any of it, as
// obstore's retry_config shows it, and equal policies compare equal.
func (r *RetryConfig) Complete() *RetryConfig {
	if r == nil {
		return nil
	}
	maxRetries, retryTimeout := DefaultMaxRetries, Duration(DefaultRetryTimeout)
	init, maxBackoff, base := Duration(DefaultInitBackoff), Duration(DefaultMaxBackoff), DefaultBackoffBase
	setIf(&maxRetries, r.MaxRetries)
	setIf(&retryTimeout, r.RetryTimeout)
	if b := r.Backoff; b != nil {
		setIf(&init, b.InitBackoff)
		setIf(&maxBackoff, b.MaxBackoff)
		setIf(&base, b.Base)
	}
	return &RetryConfig{
		MaxRetries:   &maxRetries,
		RetryTimeout: &retryTimeout,
		Backoff:      &BackoffConfig{InitBackoff: &init, MaxBackoff: &maxBackoff, Base: &base},
	}
}

func setIf[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
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
	if d.UnmarshalText([]byte(s)) != nil {
		return notADuration(data)
	}
	return nil
}

// UnmarshalText reads a Go duration ("30s", "1m30s") or a plain number of
// seconds ("30", "0.5"); negative durations are refused. Config values
// that are durations (client_options timeout, ...) are read the same way.
func (d *Duration) UnmarshalText(text []byte) error {
	v := strings.TrimSpace(string(text))
	if parsed, err := time.ParseDuration(v); err == nil && parsed >= 0 {
		*d = Duration(parsed)
		return nil
	}
	var secs float64
	if _, err := fmt.Sscanf(v, "%g", &secs); err == nil && secs >= 0 {
		*d = Duration(secs * float64(time.Second))
		return nil
	}
	return Errorf(InvalidArgument, "%q is not a duration (e.g. \"30s\" or a number of seconds)", v)
}

// notADuration is a json.UnmarshalTypeError so that the decoder adds the
// field's path (e.g. retry_config.backoff.init_backoff) to the message.
func notADuration(data []byte) error {
	return &json.UnmarshalTypeError{
		Value: fmt.Sprintf("%s (want a duration like \"30s\" or a number of seconds)", data),
		Type:  reflect.TypeFor[Duration](),
	}
}
