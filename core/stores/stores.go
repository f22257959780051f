// Package stores opens any store from its config document or URL. It is the
// one place that imports every backend.
package stores

import (
	"cmp"
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/azure"
	"github.com/libobjstore/objstore/core/driver"
	"github.com/libobjstore/objstore/core/gcs"
	httpstore "github.com/libobjstore/objstore/core/http"
	"github.com/libobjstore/objstore/core/local"
	"github.com/libobjstore/objstore/core/memory"
	"github.com/libobjstore/objstore/core/s3"
)

// backends lists every backend; add new ones here.
var backends = []driver.Backend{
	memory.Backend,
	local.Backend,
	s3.Backend,
	azure.Backend,
	gcs.Backend,
	httpstore.Backend, // last: it claims every http(s) URL no other backend matched
}

func backendFor(kind string) (driver.Backend, error) {
	for _, b := range backends {
		if b.Kind == kind {
			return b, nil
		}
	}
	kinds := make([]string, len(backends))
	for i, b := range backends {
		kinds[i] = b.Kind
	}
	return driver.Backend{}, core.Errorf(core.InvalidArgument, "unknown store kind %q (known: %s)", kind, strings.Join(kinds, ", "))
}

// Normalize validates a config document and returns its canonical form.
func Normalize(c core.Config) (core.Config, error) {
	b, err := backendFor(c.Kind)
	if err != nil {
		return c, err
	}
	return b.Normalize(c)
}

// FromURL parses a URL into a canonical config document; the fields of
// overrides that are set win over what the URL says (explicit > URL), and
// its config and client option maps are merged key by key.
func FromURL(raw string, overrides core.Config) (core.Config, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return core.Config{}, &core.Error{Kind: core.InvalidArgument, Msg: "not a URL: " + redactURL(raw), Err: nil}
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme == "" {
		return core.Config{}, core.Errorf(core.InvalidArgument, "URL %q has no scheme (e.g. s3://, file:///, memory://)", redactURL(raw))
	}
	var chosen *driver.Backend
	for i := range backends {
		b := &backends[i]
		for _, s := range b.Schemes {
			if s == scheme {
				chosen = b
			}
		}
		if chosen == nil && b.MatchURL != nil && b.MatchURL(u) {
			chosen = b
		}
		if chosen != nil {
			break
		}
	}
	if chosen == nil {
		return core.Config{}, core.Errorf(core.InvalidArgument, "no store handles URL scheme %q", scheme)
	}
	c, err := chosen.ParseURL(u)
	if err != nil {
		return core.Config{}, err
	}
	if overrides.Kind != "" && overrides.Kind != c.Kind {
		return core.Config{}, core.Errorf(core.InvalidArgument, "URL is a %s store but the options say %q", c.Kind, overrides.Kind)
	}
	// Normalize both sides first so that an alias in the overrides replaces
	// the canonical key the URL produced.
	if c, err = chosen.Normalize(c); err != nil {
		return core.Config{}, err
	}
	overrides.Kind = c.Kind
	// The overrides are a partial document: what they leave out comes from
	// the URL, so that the backend's checks (e.g. LocalStore's root) pass.
	overrides.Bucket = cmp.Or(overrides.Bucket, c.Bucket)
	overrides.Prefix = cmp.Or(overrides.Prefix, c.Prefix)
	overrides.URL = cmp.Or(overrides.URL, c.URL)
	if overrides, err = chosen.Normalize(overrides); err != nil {
		return core.Config{}, err
	}
	if overrides.Bucket != "" {
		c.Bucket = overrides.Bucket
	}
	if overrides.Prefix != "" {
		c.Prefix = overrides.Prefix
	}
	if overrides.URL != "" {
		c.URL = overrides.URL
	}
	c.Config = driver.Merge(c.Config, overrides.Config)
	c.ClientOptions = driver.Merge(c.ClientOptions, overrides.ClientOptions)
	if overrides.RetryConfig != nil {
		c.RetryConfig = overrides.RetryConfig
	}
	return chosen.Normalize(c)
}

func redactURL(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return driver.RedactURL(u)
	}
	if i := strings.IndexAny(raw, "?@"); i >= 0 {
		return raw[:i] + "…"
	}
	return raw
}

// EnvironmentNames lists, sorted and without repeats, the environment
// variables a store of this kind reads when it is opened: what a binding
// forwards from its process to Open.
func EnvironmentNames(kind string) ([]string, error) {
	b, err := backendFor(kind)
	if err != nil {
		return nil, err
	}
	names := append([]string{}, b.Environment...)
	slices.Sort(names)
	return slices.Compact(names), nil
}

// declaredOnly keeps the variables of env the backend declares: it never
// sees another, and the sharing key does not depend on unrelated ones.
func declaredOnly(env map[string]string, b driver.Backend) map[string]string {
	out := make(map[string]string, len(b.Environment))
	for _, name := range b.Environment {
		if v, ok := env[name]; ok {
			out[name] = v
		}
	}
	return out
}

// Handle is one reference to an opened store, with the canonical document
// that describes it. Equal documents may share one store (see Open); the
// store is closed when the last Handle on it is closed.
type Handle struct {
	// Store is the store as users get it: the backend's behind the front
	// (the prefix applied, ranges checked; see driver.Open).
	Store  core.Store
	Config core.Config
	// Backend is the backend's own store under the front, for diagnostics
	// (an S3 store's Throttle) and tests.
	Backend core.Store
	shared  *sharedStore
	closed  bool
}

// sharedStore is an opened store and the handles that reference it.
type sharedStore struct {
	store, backend core.Store
	key            string // its key in cache; "" for a store that is never shared
	refs           int    // guarded by cache
}

// handle is a new reference to e (cache held, or e not yet shared).
func (e *sharedStore) handle(c core.Config) *Handle {
	e.refs++
	return &Handle{Store: e.store, Backend: e.backend, Config: c, shared: e}
}

// openBackend opens c's store with b, behind the front.
func openBackend(ctx context.Context, b driver.Backend, c core.Config, env map[string]string, o driver.OpenOptions, key string) (*sharedStore, error) {
	s, err := b.OpenStore(ctx, c, env, o)
	if err != nil {
		return nil, err
	}
	return &sharedStore{store: driver.Front(b, c, s), backend: s, key: key}, nil
}

var cache = struct {
	sync.Mutex
	m map[string]*sharedStore
}{m: map[string]*sharedStore{}}

// Open normalizes c and opens its store, reading from env only the
// variables the backend declares. For backends that allow it, equal
// documents opened with equal declared variables share one store (one
// client and connection pool) until every Handle on it is closed.
func Open(ctx context.Context, c core.Config, env map[string]string) (*Handle, error) {
	return OpenWith(ctx, c, env, Options{})
}

// Options are what a store is opened with besides its document and
// environment.
type Options struct {
	// Credentials authenticates the store (S3, GCS, Azure) instead of the
	// credentials of its document and environment. A store opened with a
	// provider is its own: it is never shared with another handle's.
	Credentials core.CredentialProvider
}

// OpenWith is Open with options.
func OpenWith(ctx context.Context, c core.Config, env map[string]string, o Options) (*Handle, error) {
	b, err := backendFor(c.Kind)
	if err != nil {
		return nil, err
	}
	if c, err = b.Normalize(c); err != nil {
		return nil, err
	}
	env = declaredOnly(env, b)
	opts := driver.OpenOptions{Credentials: o.Credentials}
	if !b.Shared || o.Credentials != nil {
		e, err := openBackend(ctx, b, c, env, opts, "")
		if err != nil {
			return nil, err
		}
		return e.handle(c), nil
	}
	key := cacheKey(c, env)
	cache.Lock()
	defer cache.Unlock()
	if e, ok := cache.m[key]; ok {
		return e.handle(c), nil
	}
	e, err := openBackend(ctx, b, c, env, opts, key)
	if err != nil {
		return nil, err
	}
	cache.m[key] = e
	return e.handle(c), nil
}

// Share returns another handle on the same store, which stays open until
// both are closed: for what outlives the handle it came from (an open
// body, a listing, an upload, a writer).
func (h *Handle) Share() *Handle {
	cache.Lock()
	defer cache.Unlock()
	return h.shared.handle(h.Config)
}

// Close releases the handle's share of its store and closes the store
// when it was the last. Closing a handle twice does nothing.
func (h *Handle) Close() error {
	cache.Lock()
	if h.closed {
		cache.Unlock()
		return nil
	}
	h.closed = true
	e := h.shared
	e.refs--
	last := e.refs == 0
	if last && e.key != "" {
		delete(cache.m, e.key)
	}
	cache.Unlock()
	if !last {
		return nil
	}
	// Outside the lock: a store's Close may wait on the network. The
	// store is out of the cache already, so an Open meanwhile builds a
	// new one.
	return e.store.Close()
}

// SharedCount reports how many distinct shared stores are open (for tests
// proving that equal documents share one client).
func SharedCount() int {
	cache.Lock()
	defer cache.Unlock()
	return len(cache.m)
}

func cacheKey(c core.Config, env map[string]string) string {
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	pairs := make([][2]string, len(keys))
	for i, k := range keys {
		pairs[i] = [2]string{k, env[k]}
	}
	e, _ := json.Marshal(pairs)
	return string(c.JSON()) + "\x00" + string(e)
}
