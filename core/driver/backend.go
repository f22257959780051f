package driver

import (
	"context"
	"net/url"

	"github.com/libobjstore/objstore/core"
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
	ParseURL func(u *url.URL) (core.Config, error)
	// Normalize validates a document of this kind and returns its canonical
	// form: canonical key names, no defaults added, no environment read, no
	// I/O. Unknown keys are core.UnknownConfigKey.
	Normalize func(c core.Config) (core.Config, error)
	// Open builds the store a normalized document describes, with env as the
	// environment to read credentials and defaults from. It returns the
	// backend's own store: the prefix is applied by the front that Open
	// (the function of this package) puts on every store.
	Open func(ctx context.Context, c core.Config, env map[string]string) (core.Store, error)
	// OpenWith is Open with options (a credential provider); nil for a
	// backend that takes none, which OpenWith then refuses.
	OpenWith func(ctx context.Context, c core.Config, env map[string]string, o OpenOptions) (core.Store, error)
	// RootPrefix says the document's prefix names the store's root (a
	// local directory) rather than a path inside it: the front applies
	// none.
	RootPrefix bool
	// Shared says equal documents may share one opened store (and so one
	// client and connection pool). False for memory: each is its own store.
	Shared bool
	// InProcess says its stores do their work in this process (memory,
	// local files): they send no HTTP request, so no attempt, retry or
	// resume is reported into their operations (see core/observe), which
	// then need not be their calls' context (observe.Observed.InProcess).
	InProcess bool
	// Environment names every environment variable Open reads from its env
	// argument. core/stores hands Open only these, and bindings forward
	// exactly these from their process (objstore_store_env_names), so a
	// variable read but not declared here is never seen.
	Environment []string
	// Wrap, set instead of Open and ParseURL, makes this a wrapping kind
	// (cache, limit, prefix): its document names another store's document
	// as "inner", which core/stores normalizes and opens, and Wrap builds
	// this kind's store over it. Normalize then checks only this kind's own
	// fields (see NormalizeWrapper). Such a store is shared when its inner
	// store is.
	Wrap func(ctx context.Context, c core.Config, inner Inner) (core.Store, error)
}

// Inner is the store a wrapping kind is built over.
type Inner struct {
	// Store is the inner document's store as users get it (behind its
	// front). The wrapping store owns it: its Close closes Store, which
	// releases the wrapper's reference to a store that may be shared.
	Store core.Store
	// Identity names the inner store's objects for what outlives this
	// process (a cache's disk tier): the inner document and the
	// environment it was opened with, or, for a store no other opening
	// reaches (memory), a name unique to this one. It may be derived from
	// credentials: hash it, never show it.
	Identity string
}

// Open opens the store a normalized document describes with b, behind the
// front every opened store has (core.Scoped): the document's prefix applied
// once, for every backend, and ranges checked before the backend sees one.
// core/stores opens every store through it; a backend's tests use it to
// open stores the way users get them.
func Open(ctx context.Context, b Backend, c core.Config, env map[string]string) (core.Store, error) {
	s, err := b.Open(ctx, c, env)
	if err != nil {
		return nil, err
	}
	return Front(b, c, s), nil
}

// OpenWith is Open with options: a store opened with a credential
// provider authenticates with it (backends without OpenWith refuse one).
func OpenWith(ctx context.Context, b Backend, c core.Config, env map[string]string, o OpenOptions) (core.Store, error) {
	s, err := b.OpenStore(ctx, c, env, o)
	if err != nil {
		return nil, err
	}
	return Front(b, c, s), nil
}

// OpenStore opens the backend's own store (no front) with options.
func (b Backend) OpenStore(ctx context.Context, c core.Config, env map[string]string, o OpenOptions) (core.Store, error) {
	if o.Credentials == nil {
		return b.Open(ctx, c, env)
	}
	if b.OpenWith == nil {
		return nil, core.Errorf(core.NotSupported, "%s stores take no credential provider", b.Kind)
	}
	return b.OpenWith(ctx, c, env, o)
}

// Front is the front of Open around s, a store b opened from c.
func Front(b Backend, c core.Config, s core.Store) core.Store {
	prefix := core.Path(c.Prefix)
	if b.RootPrefix {
		prefix = ""
	}
	return core.Scoped(s, prefix)
}
