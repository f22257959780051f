// Package limit is the wrapping kind "limit": a store that holds every
// operation on another store within limits — operations in flight,
// operations a second, bytes a second — as a config document:
//
//	{"kind":"limit","config":{"max_in_flight":8,"requests_per_second":50,
//	 "bytes_per_second":"20MiB"},"inner":{"kind":"s3",...}}
//
// An operation is one call of the store API (a get, a put, one part of an
// upload, a list however many pages it reads, a rename). It holds its
// place in flight until it is done: a get until its body is closed, a list
// until its iteration ends, as object_store's LimitStore does. Bytes are
// counted as a get's body streams (read in pieces of a tenth of a
// second's worth, so the network is paced, not only the caller) and before
// a put or a part is sent. Opened from a document, one limit store is
// shared by the handles of equal documents in a process, so its limits
// are that process's for that store.
package limit

import (
	"context"
	"io"
	"iter"
	"math"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/driver"
)

const storeName = "limit"

// Config keys.
const (
	keyMaxInFlight       = "max_in_flight"
	keyRequestsPerSecond = "requests_per_second"
	keyBytesPerSecond    = "bytes_per_second"
)

var configKeys = driver.KeyTable{{Name: keyMaxInFlight}, {Name: keyRequestsPerSecond}, {Name: keyBytesPerSecond}}

// Backend registers the kind with core/stores.
var Backend = driver.Backend{
	Kind:      "limit",
	Normalize: normalize,
	Wrap: func(ctx context.Context, c core.Config, inner driver.Inner) (core.Store, error) {
		l, err := parseLimits(c.Config)
		if err != nil {
			return nil, err
		}
		return New(inner.Store, l), nil
	},
}

// Limits are a limit store's bounds; a zero field bounds nothing.
type Limits struct {
	MaxInFlight       int
	RequestsPerSecond float64
	BytesPerSecond    float64
}

func normalize(c core.Config) (core.Config, error) {
	c, err := driver.NormalizeWrapper(c, "limit", configKeys)
	if err != nil {
		return c, err
	}
	_, err = parseLimits(c.Config)
	return c, err
}

func parseLimits(o core.Options) (Limits, error) {
	var l Limits
	if v, ok := o[keyMaxInFlight]; ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return l, core.Errorf(core.InvalidArgument, "config key %q: %q is not a whole number of at least 1", keyMaxInFlight, v)
		}
		l.MaxInFlight = n
	}
	if v, ok := o[keyRequestsPerSecond]; ok {
		n, err := strconv.ParseFloat(v, 64)
		if err != nil || !(n > 0) || math.IsInf(n, 0) {
			return l, core.Errorf(core.InvalidArgument, "config key %q: %q is not a number above 0", keyRequestsPerSecond, v)
		}
		l.RequestsPerSecond = n
	}
	if v, ok := o[keyBytesPerSecond]; ok {
		n, err := driver.ParseSize(keyBytesPerSecond, v)
		if err != nil {
			return l, err
		}
		if n == 0 {
			return l, core.Errorf(core.InvalidArgument, "config key %q must be above 0", keyBytesPerSecond)
		}
		l.BytesPerSecond = float64(n)
	}
	if l == (Limits{}) {
		return l, core.Errorf(core.InvalidArgument, "a limit document sets no limit: give %s, %s or %s", keyMaxInFlight, keyRequestsPerSecond, keyBytesPerSecond)
	}
	return l, nil
}

// Store holds the operations on its inner store within Limits.
type Store struct {
	inner    core.Store
	slots    chan struct{} // one per operation in flight; nil: unbounded
	requests *bucket       // nil: unbounded
	bytes    *bucket       // nil: unbounded
	// readPiece is the most a get's body reads from the inner body at once
	// under a byte rate, so that the network, not only the caller, is paced.
	readPiece int
	stats     counters
}

// counters are what a limit store did, for Stats.
type counters struct {
	operations, bytes, waitNanos atomic.Int64
	inFlight, peakInFlight       atomic.Int64
}

// Stats is a snapshot of what a limit store did.
type Stats struct {
	Operations   int64         // operations admitted
	Bytes        int64         // bytes counted against bytes_per_second
	Waited       time.Duration // time operations and bodies spent waiting for the limits, summed
	InFlight     int64         // operations in flight now
	PeakInFlight int64         // the most ever in flight at once
}

var (
	_ core.Renamer       = (*Store)(nil)
	_ core.BulkDeleter   = (*Store)(nil)
	_ core.Signer        = (*Store)(nil)
	_ core.UploadCleaner = (*Store)(nil)
)

// New holds every operation on inner within l. The store owns inner: Close
// closes it.
func New(inner core.Store, l Limits) *Store {
	s := &Store{inner: inner}
	if l.MaxInFlight > 0 {
		s.slots = make(chan struct{}, l.MaxInFlight)
	}
	// A tenth of a second's worth may pass at once: a rate over any second
	// stays within a tenth of the limit.
	if l.RequestsPerSecond > 0 {
		s.requests = newBucket(l.RequestsPerSecond, max(1, l.RequestsPerSecond/10))
	}
	if l.BytesPerSecond > 0 {
		burst := max(64<<10, l.BytesPerSecond/10)
		s.bytes = newBucket(l.BytesPerSecond, burst)
		s.readPiece = int(min(burst, 1<<20))
	}
	return s
}

// Stats reports what the store did so far.
func (s *Store) Stats() Stats {
	return Stats{
		Operations:   s.stats.operations.Load(),
		Bytes:        s.stats.bytes.Load(),
		Waited:       time.Duration(s.stats.waitNanos.Load()),
		InFlight:     s.stats.inFlight.Load(),
		PeakInFlight: s.stats.peakInFlight.Load(),
	}
}

// admit waits for a place in flight and then a request token; done gives
// the place back (once).
func (s *Store) admit(ctx context.Context) (done func(), err error) {
	start := time.Now()
	defer func() { s.stats.waitNanos.Add(int64(time.Since(start))) }()
	if s.slots != nil {
		select {
		case s.slots <- struct{}{}:
		case <-ctx.Done():
			return nil, core.Wrap(core.Cancelled, storeName, "", context.Cause(ctx))
		}
	}
	if s.requests != nil {
		if err := s.requests.take(ctx, 1); err != nil {
			s.leave()
			return nil, err
		}
	}
	s.stats.operations.Add(1)
	n := s.stats.inFlight.Add(1)
	for peak := s.stats.peakInFlight.Load(); n > peak && !s.stats.peakInFlight.CompareAndSwap(peak, n); peak = s.stats.peakInFlight.Load() {
	}
	var once atomic.Bool
	return func() {
		if once.CompareAndSwap(false, true) {
			s.stats.inFlight.Add(-1)
			s.leave()
		}
	}, nil
}

func (s *Store) leave() {
	if s.slots != nil {
		<-s.slots
	}
}

// spend counts n bytes against the byte rate, waiting as it says.
func (s *Store) spend(ctx context.Context, n int) error {
	if s.bytes == nil || n == 0 {
		return nil
	}
	s.stats.bytes.Add(int64(n))
	start := time.Now()
	err := s.bytes.take(ctx, float64(n))
	s.stats.waitNanos.Add(int64(time.Since(start)))
	return err
}

// do runs one operation within the limits.
func (s *Store) do(ctx context.Context, op func() error) error {
	done, err := s.admit(ctx)
	if err != nil {
		return err
	}
	defer done()
	return op()
}

func (s *Store) Get(ctx context.Context, path core.Path, opts core.GetOptions) (*core.GetResult, error) {
	done, err := s.admit(ctx)
	if err != nil {
		return nil, err
	}
	res, err := s.inner.Get(ctx, path, opts)
	if err != nil {
		done()
		return nil, err
	}
	res.Body = &body{ReadCloser: res.Body, s: s, ctx: ctx, done: done}
	return res, nil
}

// body counts a get's bytes as they stream and holds its operation's place
// in flight until it is closed.
type body struct {
	io.ReadCloser
	s    *Store
	ctx  context.Context
	done func()
}

func (b *body) Read(p []byte) (int, error) {
	if b.s.readPiece > 0 && len(p) > b.s.readPiece {
		p = p[:b.s.readPiece]
	}
	n, err := b.ReadCloser.Read(p)
	if spendErr := b.s.spend(b.ctx, n); spendErr != nil && err == nil {
		err = spendErr
	}
	return n, err
}

func (b *body) Close() error {
	defer b.done()
	return b.ReadCloser.Close()
}

// ReadWhole passes core.ReadWhole on to the inner body.
func (b *body) ReadWhole() { core.ReadWhole(b.ReadCloser) }

func (s *Store) Head(ctx context.Context, path core.Path) (m core.ObjectMeta, err error) {
	err = s.do(ctx, func() error { m, err = s.inner.Head(ctx, path); return err })
	return m, err
}

func (s *Store) Put(ctx context.Context, path core.Path, data []byte, opts core.PutOptions) (r core.PutResult, err error) {
	err = s.do(ctx, func() error {
		if err := s.spend(ctx, len(data)); err != nil {
			return err
		}
		r, err = s.inner.Put(ctx, path, data, opts)
		return err
	})
	return r, err
}

func (s *Store) PutMultipart(ctx context.Context, path core.Path, opts core.MultipartOptions) (core.MultipartUpload, error) {
	var u core.MultipartUpload
	err := s.do(ctx, func() (err error) { u, err = s.inner.PutMultipart(ctx, path, opts); return err })
	if err != nil {
		return nil, err
	}
	return &upload{inner: u, s: s}, nil
}

// upload holds each part, and the completion or abort, within the limits.
type upload struct {
	inner core.MultipartUpload
	s     *Store
}

func (u *upload) PutPart(ctx context.Context, index int, data []byte) error {
	return u.s.do(ctx, func() error {
		if err := u.s.spend(ctx, len(data)); err != nil {
			return err
		}
		return u.inner.PutPart(ctx, index, data)
	})
}

func (u *upload) Complete(ctx context.Context) (r core.PutResult, err error) {
	err = u.s.do(ctx, func() error { r, err = u.inner.Complete(ctx); return err })
	return r, err
}

func (u *upload) Abort(ctx context.Context) error {
	return u.s.do(ctx, func() error { return u.inner.Abort(ctx) })
}

func (s *Store) Delete(ctx context.Context, path core.Path) error {
	return s.do(ctx, func() error { return s.inner.Delete(ctx, path) })
}

func (s *Store) List(ctx context.Context, prefix core.Path, opts core.ListOptions) iter.Seq2[core.ObjectMeta, error] {
	return limited(ctx, s, func() iter.Seq2[core.ObjectMeta, error] { return s.inner.List(ctx, prefix, opts) })
}

// limited runs an iteration as one operation, which holds its place in
// flight until the iteration ends.
func limited[T any](ctx context.Context, s *Store, seq func() iter.Seq2[T, error]) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		done, err := s.admit(ctx)
		if err != nil {
			var zero T
			yield(zero, err)
			return
		}
		defer done()
		for v, err := range seq() {
			if !yield(v, err) || err != nil {
				return
			}
		}
	}
}

func (s *Store) ListWithDelimiter(ctx context.Context, prefix core.Path) (r core.ListResult, err error) {
	err = s.do(ctx, func() error { r, err = s.inner.ListWithDelimiter(ctx, prefix); return err })
	return r, err
}

func (s *Store) Copy(ctx context.Context, from, to core.Path, opts core.CopyOptions) error {
	return s.do(ctx, func() error { return s.inner.Copy(ctx, from, to, opts) })
}

func (s *Store) Rename(ctx context.Context, from, to core.Path, opts core.CopyOptions) error {
	return s.do(ctx, func() error { return core.Rename(ctx, s.inner, from, to, opts) })
}

func (s *Store) DeleteMany(ctx context.Context, paths []core.Path) []error {
	var errs []error
	if err := s.do(ctx, func() error { errs = core.DeleteMany(ctx, s.inner, paths); return nil }); err != nil {
		errs = make([]error, len(paths))
		for i := range errs {
			errs[i] = err
		}
	}
	return errs
}

// Sign passes through: signing sends no request.
func (s *Store) Sign(ctx context.Context, method string, path core.Path, expiresIn time.Duration) (string, error) {
	return core.Sign(ctx, s.inner, method, path, expiresIn)
}

func (s *Store) ListUploads(ctx context.Context, prefix core.Path) iter.Seq2[core.PendingUpload, error] {
	return limited(ctx, s, func() iter.Seq2[core.PendingUpload, error] { return core.ListUploads(ctx, s.inner, prefix) })
}

func (s *Store) AbortUpload(ctx context.Context, u core.PendingUpload) error {
	return s.do(ctx, func() error { return core.AbortUpload(ctx, s.inner, u) })
}

// Close closes the inner store.
func (s *Store) Close() error { return s.inner.Close() }
