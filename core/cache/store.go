package cache

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash/maphash"
	"iter"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/libobjstore/objstore/core"
)

// Store is a read-through cache over an inner store.
type Store struct {
	inner core.Store
	opts  Options
	mem   *lru[blockID, []byte] // nil: no memory tier
	disk  *diskTier             // nil: no disk tier
	metas *lru[core.Path, *entry]

	mu      sync.Mutex
	checks  map[core.Path]*check // the one request per path learning what an object is
	flights map[blockID]*flight  // the one fetch per block in progress

	// generations, one per stripe of paths, count the writes through the
	// cache: what a request learnt is kept only if no write to its stripe
	// happened since the request was sent.
	generations [256]atomic.Uint64
	seed        maphash.Seed
	stats       counters
}

// entry is what the cache knows of one object.
type entry struct {
	meta      core.ObjectMeta // Location is the path
	attrs     core.Attributes
	validated time.Time // when the request that confirmed it was sent
	object    string    // the key of its blocks: identity, path, etag, version, size, block size
}

// blockID names one block of one object version.
type blockID struct {
	object string
	index  int64
}

// maxEntries bounds the objects the cache remembers in memory.
const maxEntries = 1 << 16

var (
	_ core.Renamer       = (*Store)(nil)
	_ core.BulkDeleter   = (*Store)(nil)
	_ core.Signer        = (*Store)(nil)
	_ core.UploadCleaner = (*Store)(nil)
)

// New caches the reads of inner as opts say. The store owns inner: Close
// closes it.
func New(inner core.Store, opts Options) (*Store, error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	c := &Store{
		inner:   inner,
		opts:    opts,
		metas:   newLRU[core.Path, *entry](maxEntries, func(*entry) int64 { return 1 }),
		checks:  map[core.Path]*check{},
		flights: map[blockID]*flight{},
		seed:    maphash.MakeSeed(),
	}
	if opts.MemoryBytes > 0 {
		c.mem = newLRU[blockID, []byte](opts.MemoryBytes, func(b []byte) int64 { return int64(len(b)) })
	}
	if opts.DiskDir != "" && opts.DiskBytes > 0 {
		if opts.Identity == "" {
			return nil, core.Errorf(core.InvalidArgument, "a cache with a disk tier needs the inner store's identity")
		}
		var err error
		if c.disk, err = openDisk(opts.DiskDir, opts.DiskBytes); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// counters are what the cache did, for Stats.
type counters struct {
	memoryHits, diskHits, fetched, requests, checks, unchanged, passedThrough atomic.Int64
}

// Stats is a snapshot of what a cache did.
type Stats struct {
	MemoryHits    int64 // blocks served from the memory tier
	DiskHits      int64 // blocks served from the disk tier
	Fetched       int64 // blocks read from the inner store
	Requests      int64 // requests the cache sent to the inner store for reads
	Checks        int64 // of which conditional checks of an object known too long
	Unchanged     int64 // checks that found the object unchanged
	PassedThrough int64 // reads passed to the inner store uncached
	MemoryBytes   int64 // bytes held by the memory tier
	DiskEvicted   int64 // files this process removed from the disk tier to keep its bound
}

// Stats reports what the cache did so far.
func (c *Store) Stats() Stats {
	s := Stats{
		MemoryHits: c.stats.memoryHits.Load(), DiskHits: c.stats.diskHits.Load(), Fetched: c.stats.fetched.Load(),
		Requests: c.stats.requests.Load(), Checks: c.stats.checks.Load(), Unchanged: c.stats.unchanged.Load(),
		PassedThrough: c.stats.passedThrough.Load(),
	}
	if c.mem != nil {
		s.MemoryBytes = c.mem.bytes()
	}
	if c.disk != nil {
		s.DiskEvicted = c.disk.evicted.Load()
	}
	return s
}

// DiskBytes sums the files of the disk tier now (0 without one).
func (c *Store) DiskBytes() int64 {
	if c.disk == nil {
		return 0
	}
	return c.disk.size()
}

func (c *Store) hashOf(parts ...string) string {
	h := sha256.New()
	h.Write([]byte(c.opts.Identity))
	for _, p := range parts {
		h.Write([]byte{0})
		h.Write([]byte(p))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// newEntry is what a request's answer tells of the object at path.
func (c *Store) newEntry(path core.Path, meta core.ObjectMeta, attrs core.Attributes, sent time.Time) *entry {
	meta.Location = path
	e := &entry{meta: meta, attrs: attrs, validated: sent}
	e.setObject(c)
	return e
}

func (e *entry) setObject(c *Store) {
	e.object = c.hashOf(string(e.meta.Location), e.meta.ETag, e.meta.Version,
		strconv.FormatUint(e.meta.Size, 10), strconv.FormatInt(c.opts.BlockBytes, 10))
}

// cacheable: the object has an etag to pin its blocks to (If-Match), and
// fits the cache.
func (c *Store) cacheable(e *entry) bool {
	return e.meta.ETag != "" && int64(e.meta.Size) <= max(c.opts.MemoryBytes, c.opts.DiskBytes)
}

func (c *Store) fresh(e *entry) bool {
	return time.Since(e.validated) < c.opts.TTL
}

func (c *Store) stripe(path core.Path) *atomic.Uint64 {
	return &c.generations[maphash.String(c.seed, string(path))%uint64(len(c.generations))]
}

func (c *Store) metaKey(path core.Path) string { return c.hashOf("meta", string(path)) }

// known is what the cache knows of path: the memory tier's entry, or the
// disk tier's when that is fresher (another process checked it since).
func (c *Store) known(path core.Path) *entry {
	e, _ := c.metas.get(path)
	if (e == nil || !c.fresh(e)) && c.disk != nil {
		if d, ok := c.disk.readMeta(c.metaKey(path), path); ok && (e == nil || d.validated.After(e.validated)) {
			d.setObject(c)
			c.metas.put(path, d)
			e = d
		}
	}
	return e
}

// remember keeps e unless a write to its path's stripe happened since the
// request that told it was sent (generation gen).
func (c *Store) remember(e *entry, gen uint64) {
	if c.stripe(e.meta.Location).Load() != gen {
		return
	}
	c.metas.put(e.meta.Location, e)
	if c.disk != nil && e.meta.ETag != "" {
		c.disk.writeMeta(c.metaKey(e.meta.Location), e)
	}
}

// forget drops what the cache knows of paths written through it. Their
// blocks are keyed by the old etag and so are never served again.
func (c *Store) forget(paths ...core.Path) {
	for _, path := range paths {
		c.stripe(path).Add(1)
		c.metas.remove(path)
		if c.disk != nil {
			c.disk.removeMeta(c.metaKey(path))
		}
	}
}

// errChanged: the object changed between learning what it is and reading
// its blocks; a read that has returned nothing yet starts over.
var errChanged = errors.New("the object changed while it was read")

func (c *Store) Get(ctx context.Context, path core.Path, opts core.GetOptions) (*core.GetResult, error) {
	if opts.Version != "" {
		// A version is its own object; reading it through is simplest
		// and exact.
		c.stats.passedThrough.Add(1)
		return c.inner.Get(ctx, path, opts)
	}
	for attempt := 0; ; attempt++ {
		res, err := c.get(ctx, path, opts)
		if errors.Is(err, errChanged) && attempt < 3 {
			continue
		}
		if errors.Is(err, errChanged) {
			return nil, &core.Error{Kind: core.Precondition, Store: storeName, Path: string(path), Msg: "the object kept changing while it was read"}
		}
		return res, err
	}
}

func (c *Store) get(ctx context.Context, path core.Path, opts core.GetOptions) (*core.GetResult, error) {
	e, run, err := c.current(ctx, path, opts)
	if err != nil {
		return nil, err
	}
	if !c.cacheable(e) {
		c.stats.passedThrough.Add(1)
		return c.inner.Get(ctx, path, opts)
	}
	fail := func(err error) (*core.GetResult, error) {
		if run != nil {
			run.close()
		}
		return nil, err
	}
	if err := opts.CheckPreconditions(e.meta); err != nil {
		return fail(err)
	}
	res := &core.GetResult{Meta: e.meta, Attributes: cloneAttrs(e.attrs), Start: 0, End: e.meta.Size}
	if opts.Head {
		res.End = 0
		res.Body = emptyBody{}
		return res, nil
	}
	if opts.Range != nil {
		if res.Start, res.End, err = opts.Range.Resolve(e.meta.Size); err != nil {
			return fail(core.Wrap(core.InvalidArgument, storeName, path, err))
		}
	}
	b := &body{c: c, ctx: ctx, e: e, pos: res.Start, end: res.End, run: run}
	// The first block now: a missing object or a changed one fails the
	// get itself, which can then start over.
	if res.Len() > 0 {
		if err := b.fill(); err != nil {
			b.Close()
			return nil, err
		}
	}
	res.Body = b
	return res, nil
}

func cloneAttrs(a core.Attributes) core.Attributes {
	if a == nil {
		return nil
	}
	out := make(core.Attributes, len(a))
	for k, v := range a {
		out[k] = v
	}
	return out
}

// check is one request in flight learning what an object is; the readers
// that need it meanwhile wait for it instead of asking again.
type check struct {
	done chan struct{}
	e    *entry
	err  error
}

// current returns a fresh entry for path: the one known, or one a request
// learns now. When that request is a cold read (nothing known), it also
// reads the blocks of the range opts asks for, in the same request, and
// returns them as a run the caller reads.
func (c *Store) current(ctx context.Context, path core.Path, opts core.GetOptions) (*entry, *run, error) {
	for {
		known := c.known(path)
		if known != nil && c.fresh(known) {
			return known, nil, nil
		}
		c.mu.Lock()
		if ch := c.checks[path]; ch != nil {
			c.mu.Unlock()
			select {
			case <-ch.done:
			case <-ctx.Done():
				return nil, nil, core.Wrap(core.Cancelled, storeName, path, context.Cause(ctx))
			}
			if ch.err == nil {
				return ch.e, nil, nil
			}
			if !core.IsKind(ch.err, core.Cancelled) && !core.IsKind(ch.err, core.Timeout) {
				return nil, nil, ch.err
			}
			continue // its reader gave up; not a reason for this one to
		}
		// A check may have ended since known() looked: what it learned
		// is remembered before the check is removed.
		if e, _ := c.metas.get(path); e != nil && e != known && c.fresh(e) {
			c.mu.Unlock()
			return e, nil, nil
		}
		ch := &check{done: make(chan struct{})}
		c.checks[path] = ch
		c.mu.Unlock()

		var run *run
		ch.e, run, ch.err = c.learn(ctx, path, known, opts)
		c.mu.Lock()
		delete(c.checks, path)
		c.mu.Unlock()
		close(ch.done)
		return ch.e, run, ch.err
	}
}

// learn sends the one request that tells what path is: a conditional
// check of a known entry, or a cold read.
func (c *Store) learn(ctx context.Context, path core.Path, known *entry, opts core.GetOptions) (*entry, *run, error) {
	gen := c.stripe(path).Load()
	sent := time.Now()
	c.stats.requests.Add(1)
	if known != nil {
		c.stats.checks.Add(1)
		res, err := c.inner.Get(ctx, path, core.GetOptions{Head: true, IfNoneMatch: known.meta.ETag})
		if core.IsKind(err, core.NotModified) {
			c.stats.unchanged.Add(1)
			e := *known
			e.validated = sent
			c.remember(&e, gen)
			return &e, nil, nil
		}
		if err != nil {
			if core.IsKind(err, core.NotFound) {
				c.forget(path)
			}
			return nil, nil, err
		}
		res.Body.Close()
		e := c.newEntry(path, res.Meta, res.Attributes, sent)
		c.remember(e, gen)
		return e, nil, nil
	}
	// Cold: read the blocks the caller wants in the same request, unless
	// they cannot be named without the size (a suffix) or none are wanted.
	aligned := c.alignedRange(opts)
	if opts.Head || (opts.Range != nil && aligned == nil) || opts.IfMatch != "" || opts.IfNoneMatch != "" ||
		opts.IfModifiedSince != nil || opts.IfUnmodifiedSince != nil {
		res, err := c.inner.Get(ctx, path, core.GetOptions{Head: true})
		if err != nil {
			return nil, nil, err
		}
		res.Body.Close()
		e := c.newEntry(path, res.Meta, res.Attributes, sent)
		c.remember(e, gen)
		return e, nil, nil
	}
	res, err := c.inner.Get(ctx, path, core.GetOptions{Range: aligned})
	if err != nil {
		return nil, nil, err
	}
	e := c.newEntry(path, res.Meta, res.Attributes, sent)
	if !c.cacheable(e) || res.Start%uint64(c.opts.BlockBytes) != 0 || (res.End != e.meta.Size && res.End%uint64(c.opts.BlockBytes) != 0) {
		res.Body.Close()
		c.remember(e, gen)
		return e, nil, nil
	}
	// Claim the blocks before the entry is known: a reader finding the
	// entry must find its blocks' flights too, or it would fetch them again.
	run := c.startRun(e, res, true)
	c.remember(e, gen)
	return e, run, nil
}

// alignedRange widens the caller's range to whole blocks (nil: the whole
// object, or for a suffix, nothing that can be named yet).
func (c *Store) alignedRange(opts core.GetOptions) *core.Range {
	r := opts.Range
	if r == nil {
		return nil
	}
	bs := uint64(c.opts.BlockBytes)
	switch r.Kind {
	case core.RangeBounded:
		a := core.Bounded(r.Start/bs*bs, (r.End+bs-1)/bs*bs)
		return &a
	case core.RangeOffset:
		a := core.Offset(r.Start / bs * bs)
		return &a
	}
	return nil
}

func (c *Store) Head(ctx context.Context, path core.Path) (core.ObjectMeta, error) {
	e, _, err := c.current(ctx, path, core.GetOptions{Head: true})
	if err != nil {
		return core.ObjectMeta{}, err
	}
	if e.meta.ETag == "" {
		c.stats.passedThrough.Add(1)
		return c.inner.Head(ctx, path)
	}
	return e.meta, nil
}

func (c *Store) Put(ctx context.Context, path core.Path, data []byte, opts core.PutOptions) (core.PutResult, error) {
	defer c.forget(path)
	return c.inner.Put(ctx, path, data, opts)
}

func (c *Store) PutMultipart(ctx context.Context, path core.Path, opts core.MultipartOptions) (core.MultipartUpload, error) {
	u, err := c.inner.PutMultipart(ctx, path, opts)
	if err != nil {
		return nil, err
	}
	return &upload{MultipartUpload: u, c: c, path: path}, nil
}

// upload forgets its object when it completes.
type upload struct {
	core.MultipartUpload
	c    *Store
	path core.Path
}

func (u *upload) Complete(ctx context.Context) (core.PutResult, error) {
	defer u.c.forget(u.path)
	return u.MultipartUpload.Complete(ctx)
}

func (c *Store) Delete(ctx context.Context, path core.Path) error {
	defer c.forget(path)
	return c.inner.Delete(ctx, path)
}

func (c *Store) List(ctx context.Context, prefix core.Path, opts core.ListOptions) iter.Seq2[core.ObjectMeta, error] {
	return c.inner.List(ctx, prefix, opts)
}

func (c *Store) ListWithDelimiter(ctx context.Context, prefix core.Path) (core.ListResult, error) {
	return c.inner.ListWithDelimiter(ctx, prefix)
}

func (c *Store) Copy(ctx context.Context, from, to core.Path, opts core.CopyOptions) error {
	defer c.forget(to)
	return c.inner.Copy(ctx, from, to, opts)
}

func (c *Store) Rename(ctx context.Context, from, to core.Path, opts core.CopyOptions) error {
	defer c.forget(from, to)
	return core.Rename(ctx, c.inner, from, to, opts)
}

func (c *Store) DeleteMany(ctx context.Context, paths []core.Path) []error {
	defer c.forget(paths...)
	return core.DeleteMany(ctx, c.inner, paths)
}

func (c *Store) Sign(ctx context.Context, method string, path core.Path, expiresIn time.Duration) (string, error) {
	return core.Sign(ctx, c.inner, method, path, expiresIn)
}

func (c *Store) ListUploads(ctx context.Context, prefix core.Path) iter.Seq2[core.PendingUpload, error] {
	return core.ListUploads(ctx, c.inner, prefix)
}

func (c *Store) AbortUpload(ctx context.Context, u core.PendingUpload) error {
	return core.AbortUpload(ctx, c.inner, u)
}

// Close closes the inner store. The disk tier stays for the next process.
func (c *Store) Close() error { return c.inner.Close() }
