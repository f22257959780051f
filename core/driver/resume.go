package driver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/observe"
)

// Reopener requests the bytes [start, end) of the object a core.GetResult came
// from again, pinned to the same object (its etag or version), so that a
// resumed body can never splice two different objects: an object that
// changed must make it fail with core.Precondition.
type Reopener func(ctx context.Context, start, end uint64) (io.ReadCloser, error)

// ResumeBody makes res.Body survive an answer that breaks or stalls
// mid-way, as object_store retries streaming gets: the rest of the range is
// requested again with reopen, under the retry policy p (every resume
// counts as one retry; waits back off as in Do). A body that ends early,
// fails, or times out (Timeouts) is resumed; the caller's cancellation is
// not, and an object that changed meanwhile surfaces as reopen's
// (core.Precondition) error. One exception to the count: an answer that was
// still delivering when the attempt deadline cut it (a whole read longer
// than the timeout) resumes without using up a retry, so a long read is
// never given up for being long — only for stalling or breaking.
func ResumeBody(ctx context.Context, res *core.GetResult, p Policy, reopen Reopener) {
	if res.End <= res.Start || res.Body == nil {
		return
	}
	res.Body = &resumingBody{ctx: ctx, cur: res.Body, pos: res.Start, end: res.End, policy: p, reopen: reopen, wait: p.InitBackoff}
}

type resumingBody struct {
	ctx      context.Context
	cur      io.ReadCloser
	pos, end uint64
	policy   Policy
	reopen   Reopener
	retries  int
	started  time.Time // of the first counted resume
	wait     time.Duration
	whole    bool // read whole: each new attempt gets the deadline too
}

func (b *resumingBody) ReadWhole() {
	b.whole = true
	core.ReadWhole(b.cur)
}

func (b *resumingBody) Read(p []byte) (int, error) {
	if b.pos >= b.end {
		return 0, io.EOF
	}
	if uint64(len(p)) > b.end-b.pos {
		p = p[:b.end-b.pos]
	}
	n, err := b.cur.Read(p)
	b.pos += uint64(n)
	switch {
	case err == nil:
		return n, nil
	case b.pos >= b.end && errors.Is(err, io.EOF):
		return n, io.EOF
	case b.pos >= b.end:
		return n, nil // all bytes are in; a failure after them does not matter
	}
	if rerr := b.resume(err); rerr != nil {
		return n, rerr
	}
	return n, nil
}

// resume replaces the broken body with one for the rest of the range, or
// returns the error to report.
func (b *resumingBody) resume(cause error) error {
	if errors.Is(cause, io.EOF) {
		cause = io.ErrUnexpectedEOF // the body ended before the announced length
	}
	counted := !progressingTimeout(cause)
	for {
		if b.ctx.Err() != nil {
			return core.Wrap(core.Cancelled, "", "", b.ctx.Err())
		}
		if counted {
			if b.started.IsZero() {
				b.started = time.Now()
			}
			if b.retries >= b.policy.MaxRetries || time.Since(b.started) >= b.policy.RetryTimeout {
				return b.exhausted(cause)
			}
			b.retries++
			timer := time.NewTimer(b.wait)
			select {
			case <-b.ctx.Done():
				timer.Stop()
				return core.Wrap(core.Cancelled, "", "", b.ctx.Err())
			case <-timer.C:
			}
			b.wait = b.policy.nextBackoff(b.wait)
		}
		b.cur.Close()
		observe.Resumed(b.ctx)
		body, err := b.reopen(b.ctx, b.pos, b.end)
		if err == nil {
			b.cur = body
			if b.whole {
				core.ReadWhole(body)
			}
			return nil
		}
		if k := core.KindOf(err); k != core.Generic && k != core.Timeout {
			return err // e.g. Precondition: the object changed; NotFound: it is gone
		}
		b.cur = io.NopCloser(eofReader{})
		cause, counted = err, true
	}
}

// exhausted is the error once no retry is left: a core.Timeout if the last
// attempt timed out, else core.Generic, with the last cause.
func (b *resumingBody) exhausted(cause error) error {
	kind := core.Generic
	if core.KindOf(cause) == core.Timeout {
		kind = core.Timeout
	}
	return &core.Error{Kind: kind, Msg: "reading the body failed and retries are exhausted", Err: cause}
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

func (b *resumingBody) Close() error { return b.cur.Close() }

// ResumeWithGet is ResumeBody for a store whose ranged, conditional get
// reopens the read: the rest is asked for with pin's conditions (the etag
// or version of the first answer) and must come back as exactly that range
// of the same object. An answer with another etag or size — from a server
// that ignores the condition — fails with core.Precondition, never spliced in.
func ResumeWithGet(ctx context.Context, res *core.GetResult, p Policy, pin core.GetOptions, get func(context.Context, core.GetOptions) (*core.GetResult, error)) {
	etag, size, path := res.Meta.ETag, res.Meta.Size, res.Meta.Location
	ResumeBody(ctx, res, p, func(ctx context.Context, start, end uint64) (io.ReadCloser, error) {
		opts := pin
		rest := core.Bounded(start, end)
		opts.Range = &rest
		again, err := get(ctx, opts)
		if err != nil {
			return nil, err
		}
		if etag != "" && again.Meta.ETag != etag || again.Meta.Size != size {
			again.Body.Close()
			return nil, &core.Error{Kind: core.Precondition, Path: string(path),
				Msg: fmt.Sprintf("the object changed while it was read (etag %s and size %d, now %s and %d)", etag, size, again.Meta.ETag, again.Meta.Size)}
		}
		if again.Start != start || again.End != end {
			again.Body.Close()
			return nil, &core.Error{Kind: core.Generic, Path: string(path),
				Msg: fmt.Sprintf("resumed read returned bytes %d-%d, not %d-%d", again.Start, again.End, start, end)}
		}
		return again.Body, nil
	})
}
