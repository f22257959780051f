// Package stores opens any store from its config document or URL. It is the
// one place that imports every backend, and every wrapping kind (cache,
// limit, prefix), whose document is built over another store's.
package stores

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/azure"
	"github.com/libobjstore/objstore/core/cache"
	"github.com/libobjstore/objstore/core/driver"
	"github.com/libobjstore/objstore/core/gcs"
	httpstore "github.com/libobjstore/objstore/core/http"
	"github.com/libobjstore/objstore/core/limit"
	"github.com/libobjstore/objstore/core/local"
	"github.com/libobjstore/objstore/core/memory"
	"github.com/libobjstore/objstore/core/observe"
	"github.com/libobjstore/objstore/core/prefix"
	"github.com/libobjstore/objstore/core/s3"
	"github.com/libobjstore/objstore/core/tracing"
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

// wrappers lists the kinds built over another store's document ("inner");
// they have no URL.
var wrappers = []driver.Backend{
	cache.Backend,
	limit.Backend,
	prefix.Backend,
}

func backendFor(kind string) (driver.Backend, error) {
	all := slices.Concat(backends, wrappers)
	for _, b := range all {
		if b.Kind == kind {
			return b, nil
		}
	}
	kinds := make([]string, len(all))
	for i, b := range all {
		kinds[i] = b.Kind
	}
	return driver.Backend{}, core.Errorf(core.InvalidArgument, "unknown store kind %q (known: %s)", kind, strings.Join(kinds, ", "))
}

// maxNesting bounds how many wrapping documents may nest: deep enough for
// any sensible stack (a prefix over a limit over a cache), and a clear
// error rather than a deep recursion for a document that is not one.
const maxNesting = 16

// Normalize validates a config document and returns its canonical form.
func Normalize(c core.Config) (core.Config, error) {
	return normalize(c, 0)
}

func normalize(c core.Config, depth int) (core.Config, error) {
	b, err := backendFor(c.Kind)
	if err != nil {
		return c, err
	}
	if b.Wrap == nil {
		return b.Normalize(c)
	}
	if depth >= maxNesting {
		return c, core.Errorf(core.InvalidArgument, "config document nests more than %d wrapping stores", maxNesting)
	}
	if c, err = b.Normalize(c); err != nil {
		return c, err
	}
	inner, err := normalize(*c.Inner, depth+1)
	if err != nil {
		return c, inInner(err)
	}
	c.Inner = &inner
	return c, nil
}

// inInner says that an error is about the inner document.
func inInner(err error) error {
	var e *core.Error
	if !errors.As(err, &e) {
		return err
	}
	in := *e
	in.Msg = "inner document: " + e.Msg
	return &in
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
	// Every store reads the OTEL_ variables: they turn tracing on and
	// say where spans go (core/tracing).
	names := slices.Concat(b.Environment, tracing.EnvironmentNames)
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
	// (an S3 store's Throttle) and tests; for a wrapping kind, its own
	// store (a *cache.Store, a *limit.Store).
	Backend core.Store
	shared  *sharedStore
	closed  bool
}

// sharedStore is an opened store and the handles that reference it.
type sharedStore struct {
	store, backend core.Store
	key            string // its key in registry; "" for a store that is never shared
	// identity names the store's objects to a wrapping store (see
	// driver.Inner): its key, or for a store that is never shared a
	// random name.
	identity string
	refs     int // guarded by registry
	tracing  traceSetup
	tracer   *tracing.Tracer // nil when not traced
}

// handle is a new reference to e (registry held, or e not yet shared).
func (e *sharedStore) handle(c core.Config) *Handle {
	e.refs++
	return &Handle{Store: e.store, Backend: e.backend, Config: c, shared: e}
}

// openBackend opens c's store with b, behind the front. identity is the
// sharing key without the tracing settings ("" for a store never shared).
func openBackend(ctx context.Context, b driver.Backend, c core.Config, env map[string]string, o driver.OpenOptions, key, identity string, tr traceSetup) (*sharedStore, error) {
	s, err := b.OpenStore(ctx, c, env, o)
	if err != nil {
		return nil, err
	}
	return newShared(driver.Front(b, c, s), s, c, key, cmp.Or(identity, uniqueIdentity()), tr, b.InProcess)
}

// observed puts the operation counter on an opened store (see
// core/observe), unless the process switched metrics off and the store is
// not traced; a traced store's operations become spans too. inProcess is
// the backend's InProcess (false for a wrapping kind: its store may pass
// its context to one that sends requests).
func observed(s core.Store, c core.Config, tracer *tracing.Tracer, inProcess bool) core.Store {
	if tracer == nil && !observe.Enabled() {
		return s
	}
	o := observe.Store(s, c.Kind, c.Bucket)
	if inProcess {
		o.InProcess()
	}
	if tracer != nil {
		o.Traced(tracer)
	}
	return o
}

// Observed is the store's operation counter, or nil when metrics are off.
func (h *Handle) Observed() *observe.Observed {
	o, _ := h.Store.(*observe.Observed)
	return o
}

func uniqueIdentity() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return "unshared:" + hex.EncodeToString(b)
}

var registry = struct {
	sync.Mutex
	m map[string]*sharedStore
}{m: map[string]*sharedStore{}}

// Open normalizes c and opens its store, reading from env only the
// variables the backend declares. For backends that allow it, equal
// documents opened with equal declared variables share one store (one
// client and connection pool) until every Handle on it is closed.
//
// A wrapping document (cache, limit, prefix) opens its inner document's
// store the same way (each backend reading its own variables from env) and
// is built over it; it is shared when its inner store is.
func Open(ctx context.Context, c core.Config, env map[string]string) (*Handle, error) {
	return OpenWith(ctx, c, env, Options{})
}

// Options are what a store is opened with besides its document and
// environment.
type Options struct {
	// Credentials authenticates the store (S3, GCS, Azure) instead of the
	// credentials of its document and environment; for a wrapping document,
	// the innermost store. A store opened with a provider is its own: it is
	// never shared with another handle's.
	Credentials core.CredentialProvider
}

// OpenWith is Open with options.
func OpenWith(ctx context.Context, c core.Config, env map[string]string, o Options) (*Handle, error) {
	c, err := Normalize(c)
	if err != nil {
		return nil, err
	}
	return open(ctx, c, env, o)
}

// open opens a normalized document.
func open(ctx context.Context, c core.Config, env map[string]string, o Options) (*Handle, error) {
	b, err := backendFor(c.Kind)
	if err != nil {
		return nil, err
	}
	if b.Wrap != nil {
		inner, err := open(ctx, *c.Inner, env, o)
		if err != nil {
			return nil, err
		}
		return wrap(ctx, b, c, inner)
	}
	tr, err := traceSetupOf(c, env)
	if err != nil {
		return nil, err
	}
	env = declaredOnly(env, b)
	opts := driver.OpenOptions{Credentials: o.Credentials}
	if !b.Shared || o.Credentials != nil {
		e, err := openBackend(ctx, b, c, env, opts, "", "", tr)
		if err != nil {
			return nil, err
		}
		return e.handle(c), nil
	}
	// Traced differently, equal documents are different stores; the
	// identity (a cache's disk tier) does not depend on tracing.
	identity := sharingKey(c, env)
	key := identity + tr.settings.Key()
	registry.Lock()
	defer registry.Unlock()
	if e, ok := registry.m[key]; ok {
		return e.handle(c), nil
	}
	e, err := openBackend(ctx, b, c, env, opts, key, identity, tr)
	if err != nil {
		return nil, err
	}
	registry.m[key] = e
	return e.handle(c), nil
}

// Wrap opens the wrapping document c (cache, limit, prefix) over the store
// of an open handle, which must be the one c's "inner" describes (when c
// has no "inner", it is the handle's document). It is for inner stores no
// document reaches again, a memory store above all: opened from the
// document, a wrapper over memory would get a new, empty one. The handle
// stays the caller's; the new store holds its own share of it.
func Wrap(ctx context.Context, c core.Config, inner *Handle) (*Handle, error) {
	if c.Inner == nil {
		given := inner.Config
		c.Inner = &given
	}
	c, err := Normalize(c)
	if err != nil {
		return nil, err
	}
	b, _ := backendFor(c.Kind)
	if b.Wrap == nil {
		return nil, core.Errorf(core.InvalidArgument, "a %s store wraps no other store", c.Kind)
	}
	if string(c.Inner.JSON()) != string(inner.Config.JSON()) {
		return nil, core.Errorf(core.InvalidArgument, "the document's \"inner\" is not the document of the store given to wrap")
	}
	return wrap(ctx, b, c, inner.Share())
}

// wrap builds the store of the wrapping kind b over inner, a handle it
// takes over (and closes when it fails). Over a shared store, equal
// documents share one wrapper too (one cache, one set of limits per
// process).
func wrap(ctx context.Context, b driver.Backend, c core.Config, inner *Handle) (*Handle, error) {
	tr, err := traceSetupOf(c, inner.shared.tracing.env)
	if err != nil {
		inner.Close()
		return nil, err
	}
	key := ""
	if inner.shared.key != "" {
		key = string(c.JSON()) + "\x00" + inner.shared.key + tr.settings.Key()
	}
	registry.Lock()
	if e, ok := registry.m[key]; ok && key != "" {
		h := e.handle(c)
		registry.Unlock()
		inner.Close() // the shared wrapper holds its own
		return h, nil
	}
	s, err := b.Wrap(ctx, c, driver.Inner{
		Store:    core.Borrowed(inner.Store, inner.Close),
		Identity: string(c.JSON()) + "\x00" + inner.shared.identity,
	})
	if err != nil {
		registry.Unlock()
		inner.Close()
		return nil, err
	}
	e, err := newShared(driver.Front(b, c, s), s, c, key, string(c.JSON())+"\x00"+inner.shared.identity, tr, false)
	if err != nil {
		registry.Unlock()
		return nil, err // newShared closed the store, and so inner
	}
	if key != "" {
		registry.m[key] = e
	}
	h := e.handle(c)
	registry.Unlock()
	return h, nil
}

// Share returns another handle on the same store, which stays open until
// both are closed: for what outlives the handle it came from (an open
// body, a listing, an upload, a writer).
func (h *Handle) Share() *Handle {
	registry.Lock()
	defer registry.Unlock()
	return h.shared.handle(h.Config)
}

// Close releases the handle's share of its store and closes the store
// when it was the last. Closing a handle twice does nothing.
func (h *Handle) Close() error {
	registry.Lock()
	if h.closed {
		registry.Unlock()
		return nil
	}
	h.closed = true
	e := h.shared
	e.refs--
	last := e.refs == 0
	if last && e.key != "" {
		delete(registry.m, e.key)
	}
	registry.Unlock()
	if !last {
		return nil
	}
	// Outside the lock: a store's Close may wait on the network. The
	// store is out of the registry already, so an Open meanwhile builds a
	// new one.
	defer e.tracer.Close() // the last traced store's sends its spans
	return e.store.Close()
}

// SharedCount reports how many distinct shared stores are open (for tests
// proving that equal documents share one client).
func SharedCount() int {
	registry.Lock()
	defer registry.Unlock()
	return len(registry.m)
}

func sharingKey(c core.Config, env map[string]string) string {
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
