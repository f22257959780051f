package observe

import (
	"context"
	"io"
	"iter"
	"sync/atomic"
	"time"

	"github.com/libobjstore/objstore/core"
)

// Observed is the store core/stores hands out: the store it wraps, whose
// every operation is counted in Metrics (and its kind's process totals),
// and reported to the hook when one is set. It keeps every optional
// interface of the store it wraps (as core.Scoped does).
type Observed struct {
	inner   core.Store
	Kind    string
	Bucket  string
	metrics Metrics
	hook    atomic.Pointer[Hook]
	tracer  Tracer // nil: not traced (see Traced)
	// inProcess: nothing below an operation looks for it in its context
	// (see InProcess).
	inProcess bool
}

var (
	_ core.Renamer       = (*Observed)(nil)
	_ core.BulkDeleter   = (*Observed)(nil)
	_ core.Signer        = (*Observed)(nil)
	_ core.UploadCleaner = (*Observed)(nil)
)

// Store wraps s, a store of kind (its document's "kind") on bucket (may be
// empty), so that its operations are counted.
func Store(s core.Store, kind, bucket string) *Observed {
	o := &Observed{inner: s, Kind: kind, Bucket: bucket}
	live.Store(o, struct{}{})
	return o
}

// InProcess says the store it counts does its work in this process
// (memory, local files): it sends no HTTP request, so nothing below its
// operations reports into them (AttemptStarting, Resumed), and an
// operation need not be the context of its calls. Its calls then get the
// caller's context as it is, and an operation that ends when its call
// returns (all but a read with a body, and a listing) is not allocated.
// A traced store's operations are contexts all the same: a span holds its
// operation. Set before the store is handed out.
func (o *Observed) InProcess() *Observed {
	o.inProcess = true
	return o
}

// Metrics are the store's own counters (not its kind's totals).
func (o *Observed) Metrics() *Metrics { return &o.metrics }

// Inner is the store it counts the operations of.
func (o *Observed) Inner() core.Store { return o.inner }

// op is one operation in progress: what its event says. One allocation
// per operation at most: it holds its body's counter, and is part of its
// opContext when it has one. An in-process store's operation has none
// (nothing looks for it), and lives on the stack when its call is all of
// it (runWriting).
type op struct {
	store   *Observed
	ctx     *opContext    // the context it is part of; nil for none
	start   time.Duration // monotonic (see now)
	ttfb    time.Duration
	pathLen int
	bytes   atomic.Int64 // body bytes in or out
	kind    Op
	done    atomic.Bool
	body    countedBody
}

// opContext is an operation that is the context of its calls: what its
// HTTP attempts report into (see opOf).
type opContext struct {
	context.Context
	op
	// Reported by core/driver from the HTTP attempts of the operation.
	attempts, retries atomic.Int32
	failed            atomic.Pointer[string] // the last retryable attempt that failed (method, URL)
	traced            func(Event)            // ends the operation's span, when traced
}

type opKey struct{}

// Value makes the operation findable from its context (and any derived).
func (c *opContext) Value(key any) any {
	if key == (opKey{}) {
		return c
	}
	return c.Context.Value(key)
}

// metrics are the counters of the operation's store.
func (p *op) metrics() *Metrics { return &p.store.metrics }

// epoch is what operations' times are measured from: time.Since(epoch)
// reads the monotonic clock alone (one vDSO call, ~30 ns here), where
// time.Now reads the wall clock too (~50 ns). Only a span needs its start
// on the wall clock.
var epoch = time.Now()

// now is the monotonic time since epoch.
func now() time.Duration { return time.Since(epoch) }

// begin starts an operation on the heap; the context its calls get is the
// operation itself (or the span's holding it), or for an in-process store
// ctx as it is.
func (o *Observed) begin(ctx context.Context, kind Op, path core.Path) (context.Context, *op) {
	if o.contextFree() {
		p := &op{}
		o.beginHere(p, kind, path)
		return ctx, p
	}
	c := &opContext{Context: ctx}
	p := &c.op
	p.ctx = c
	o.beginHere(p, kind, path)
	if o.tracer != nil {
		// The span's context holds the operation (Value reaches c); a span
		// starts on the wall clock.
		start := time.Now()
		p.start = start.Sub(epoch)
		ctx, c.traced = o.tracer.Begin(c, kind.String(), path, start)
		return ctx, p
	}
	return c, p
}

// contextFree says the store's operations are never contexts: an
// in-process store not traced.
func (o *Observed) contextFree() bool { return o.inProcess && o.tracer == nil }

// beginHere starts p: what every operation sets at its start (begin adds
// the context, when the operation is one).
func (o *Observed) beginHere(p *op, kind Op, path core.Path) {
	p.store, p.kind, p.pathLen = o, kind, len(path)
	o.metrics.inFlight.Add(1)
	p.start = now()
}

// end counts the finished operation once, and sends its event when the
// store has a hook. A body's operation may end more than once (at its end,
// then at its Close): the first counts.
func (p *op) end(err error) {
	if p.done.Load() || !p.done.CompareAndSwap(false, true) {
		return
	}
	p.finish(err)
}

// finish counts the operation, which ends this once.
func (p *op) finish(err error) {
	total := now() - p.start
	read := p.kind == OpGet || p.kind == OpGetRange
	if !read || p.ttfb == 0 {
		p.ttfb = total
	}
	m := p.metrics()
	m.inFlight.Add(-1)
	m.request(p.kind, err, p.ttfb, total, read)
	if err != nil && read && core.KindOf(err) == core.Integrity {
		m.checksumFailures.Add(1)
	}
	var traced func(Event)
	if p.ctx != nil {
		traced = p.ctx.traced
	}
	h, ph := p.store.hook.Load(), processHook.Load()
	if h == nil && ph == nil && traced == nil {
		return
	}
	e := p.event(err, total)
	if traced != nil {
		traced(e)
	}
	if h != nil {
		(*h)(e)
	}
	if ph != nil {
		(*ph)(e)
	}
}

// run counts one operation that is done when f returns.
func run[T any](o *Observed, ctx context.Context, kind Op, path core.Path, f func(context.Context) (T, error)) (T, error) {
	return runWriting(o, ctx, kind, path, 0, f)
}

// runWriting is run for an operation that writes n bytes when it succeeds.
func runWriting[T any](o *Observed, ctx context.Context, kind Op, path core.Path, n int, f func(context.Context) (T, error)) (T, error) {
	if o.contextFree() {
		var p op // nothing below finds it: it stays on the stack
		o.beginHere(&p, kind, path)
		v, err := f(ctx)
		if err == nil {
			p.wrote(n)
		}
		p.finish(err)
		return v, err
	}
	ctx, p := o.begin(ctx, kind, path)
	v, err := f(ctx)
	if err == nil {
		p.wrote(n)
	}
	p.finish(err)
	return v, err
}

func (o *Observed) Get(ctx context.Context, path core.Path, opts core.GetOptions) (*core.GetResult, error) {
	kind := OpGet
	switch {
	case opts.Head:
		kind = OpHead
	case opts.Range != nil:
		kind = OpGetRange
	}
	ctx, p := o.begin(ctx, kind, path)
	res, err := o.inner.Get(ctx, path, opts)
	if err != nil || kind == OpHead {
		p.end(err)
		return res, err
	}
	p.ttfb = now() - p.start
	if res.Body == nil || res.Len() == 0 {
		p.end(nil)
		return res, nil
	}
	p.body = countedBody{r: res.Body, p: p}
	res.Body = &p.body
	return res, nil
}

// countedBody counts a read's bytes as they stream, and ends its operation
// at the body's end, its first error, or its Close.
type countedBody struct {
	r io.ReadCloser
	p *op
}

func (b *countedBody) Read(buf []byte) (int, error) {
	n, err := b.r.Read(buf)
	if n > 0 {
		b.p.metrics().bytesIn.Add(int64(n))
		b.p.bytes.Add(int64(n))
	}
	switch {
	case err == io.EOF:
		b.p.end(nil)
	case err != nil:
		b.p.end(err)
	}
	return n, err
}

// ReadWhole passes the hint on (see core.WholeReader).
func (b *countedBody) ReadWhole() { core.ReadWhole(b.r) }

func (b *countedBody) Close() error {
	err := b.r.Close()
	b.p.end(nil) // a body closed early is the reader's choice, not a failure
	return err
}

func (o *Observed) Head(ctx context.Context, path core.Path) (core.ObjectMeta, error) {
	return run(o, ctx, OpHead, path, func(ctx context.Context) (core.ObjectMeta, error) { return o.inner.Head(ctx, path) })
}

func (o *Observed) Put(ctx context.Context, path core.Path, data []byte, opts core.PutOptions) (core.PutResult, error) {
	return runWriting(o, ctx, OpPut, path, len(data), func(ctx context.Context) (core.PutResult, error) {
		return o.inner.Put(ctx, path, data, opts)
	})
}

// wrote counts bytes the operation wrote.
func (p *op) wrote(n int) {
	if n > 0 {
		p.metrics().bytesOut.Add(int64(n))
		p.bytes.Add(int64(n))
	}
}

func (o *Observed) PutMultipart(ctx context.Context, path core.Path, opts core.MultipartOptions) (core.MultipartUpload, error) {
	return run(o, ctx, OpPutMultipart, path, func(ctx context.Context) (core.MultipartUpload, error) {
		u, err := o.inner.PutMultipart(ctx, path, opts)
		if err != nil {
			return nil, err
		}
		return &countedUpload{u: u, o: o, path: path}, nil
	})
}

type countedUpload struct {
	u    core.MultipartUpload
	o    *Observed
	path core.Path
}

func (u *countedUpload) PutPart(ctx context.Context, index int, data []byte) error {
	_, err := runWriting(u.o, ctx, OpPutPart, u.path, len(data), func(ctx context.Context) (struct{}, error) {
		return struct{}{}, u.u.PutPart(ctx, index, data)
	})
	return err
}

func (u *countedUpload) Complete(ctx context.Context) (core.PutResult, error) {
	return run(u.o, ctx, OpCompleteMultipart, u.path, u.u.Complete)
}

func (u *countedUpload) Abort(ctx context.Context) error {
	return u.o.do(ctx, OpAbortMultipart, u.path, u.u.Abort)
}

// do counts an operation that returns only an error.
func (o *Observed) do(ctx context.Context, kind Op, path core.Path, f func(context.Context) error) error {
	_, err := run(o, ctx, kind, path, func(ctx context.Context) (struct{}, error) { return struct{}{}, f(ctx) })
	return err
}

func (o *Observed) Delete(ctx context.Context, path core.Path) error {
	return o.do(ctx, OpDelete, path, func(ctx context.Context) error { return o.inner.Delete(ctx, path) })
}

func (o *Observed) List(ctx context.Context, prefix core.Path, opts core.ListOptions) iter.Seq2[core.ObjectMeta, error] {
	return counted(o, ctx, OpList, prefix, func(ctx context.Context) iter.Seq2[core.ObjectMeta, error] {
		return o.inner.List(ctx, prefix, opts)
	})
}

// counted counts one listing as one operation, from its first pull to its
// end (or the consumer stopping).
func counted[T any](o *Observed, ctx context.Context, kind Op, prefix core.Path, list func(context.Context) iter.Seq2[T, error]) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		ctx, p := o.begin(ctx, kind, prefix)
		var failed error
		defer func() { p.end(failed) }()
		for v, err := range list(ctx) {
			failed = err
			if !yield(v, err) || err != nil {
				return
			}
		}
	}
}

func (o *Observed) ListWithDelimiter(ctx context.Context, prefix core.Path) (core.ListResult, error) {
	return run(o, ctx, OpListWithDelimiter, prefix, func(ctx context.Context) (core.ListResult, error) {
		return o.inner.ListWithDelimiter(ctx, prefix)
	})
}

func (o *Observed) Copy(ctx context.Context, from, to core.Path, opts core.CopyOptions) error {
	return o.do(ctx, OpCopy, from, func(ctx context.Context) error { return o.inner.Copy(ctx, from, to, opts) })
}

func (o *Observed) Rename(ctx context.Context, from, to core.Path, opts core.CopyOptions) error {
	return o.do(ctx, OpRename, from, func(ctx context.Context) error { return core.Rename(ctx, o.inner, from, to, opts) })
}

func (o *Observed) DeleteMany(ctx context.Context, paths []core.Path) []error {
	errs, _ := run(o, ctx, OpDeleteMany, "", func(ctx context.Context) ([]error, error) {
		errs := core.DeleteMany(ctx, o.inner, paths)
		for _, err := range errs {
			if err != nil {
				return errs, err
			}
		}
		return errs, nil
	})
	return errs
}

func (o *Observed) Sign(ctx context.Context, method string, path core.Path, expiresIn time.Duration) (string, error) {
	return run(o, ctx, OpSign, path, func(ctx context.Context) (string, error) {
		return core.Sign(ctx, o.inner, method, path, expiresIn)
	})
}

func (o *Observed) ListUploads(ctx context.Context, prefix core.Path) iter.Seq2[core.PendingUpload, error] {
	return counted(o, ctx, OpListUploads, prefix, func(ctx context.Context) iter.Seq2[core.PendingUpload, error] {
		return core.ListUploads(ctx, o.inner, prefix)
	})
}

func (o *Observed) AbortUpload(ctx context.Context, u core.PendingUpload) error {
	return o.do(ctx, OpAbortUpload, u.Path, func(ctx context.Context) error { return core.AbortUpload(ctx, o.inner, u) })
}

// Close closes the store it counts, and folds its counters into its kind's
// process totals.
func (o *Observed) Close() error {
	if _, ok := live.LoadAndDelete(o); ok {
		closedTotals(o.Kind).fold(&o.metrics)
	}
	return o.inner.Close()
}
