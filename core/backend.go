package core

import (
	"context"
	"net/url"
)

// Backend describes one kind of store to core/stores, which opens stores
// from config documents and URLs. Each backend package exports one.
type Backend struct {
	Kind string
	// Schemes are the URL schemes from_url maps to this backend ("s3", "s3a").
	Schemes []string
	// MatchURL claims other URLs, e.g. https://bucket.s3.amazonaws.com/...;
	// nil claims none.
	MatchURL func(u *url.URL) bool
	// ParseURL turns a URL of this backend into a config document.
	ParseURL func(u *url.URL) (Config, error)
	// Normalize validates a document of this kind and returns its canonical
	// form: canonical key names, no defaults added, no environment read, no
	// I/O. Unknown keys are UnknownConfigKey.
	Normalize func(c Config) (Config, error)
	// Open builds the store a normalized document describes, with env as the
	// environment to read credentials and defaults from. The returned store
	// already applies c.Prefix.
	Open func(ctx context.Context, c Config, env map[string]string) (Store, error)
	// Shared says equal documents may share one opened store (and so one
	// client and connection pool). False for memory: each is its own store.
	Shared bool
	// Environment names every environment variable Open reads from its env
	// argument. core/stores hands Open only these, and bindings forward
	// exactly these from their process (objstore_store_env_names), so a
	// variable read but not declared here is never seen.
	Environment []string
}
