package core

import (
	"context"
	"errors"
	"io"
	"time"
)

// Reopener requests the bytes [start, end) of the object a GetResult came
// from again, pinned to the same object (its etag or version), so that a
// resumed body can never splice two different objects.
type Reopener func(ctx context.Context, start, end uint64) (io.ReadCloser, error)

// ResumeBody makes res.Body survive a connection that breaks mid-stream,
// as object_store retries streaming gets: the rest of the range is
// requested again with reopen, under the retry policy p (every resume
// counts as one retry; waits back off as in Do). A body that ends early,
// or fails otherwise, is resumed; the caller's cancellation is not, and an
// object that changed meanwhile surfaces as reopen's (Precondition) error.
func ResumeBody(ctx context.Context, res *GetResult, p Policy, reopen Reopener) {
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
	started  time.Time // of the first resume
	wait     time.Duration
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
	for {
		if b.ctx.Err() != nil {
			return Wrap(Cancelled, "", "", b.ctx.Err())
		}
		if b.started.IsZero() {
			b.started = time.Now()
		}
		if b.retries >= b.policy.MaxRetries || time.Since(b.started) >= b.policy.RetryTimeout {
			return &Error{Kind: Generic, Msg: "reading the body failed and retries are exhausted", Err: cause}
		}
		b.retries++
		timer := time.NewTimer(b.wait)
		select {
		case <-b.ctx.Done():
			timer.Stop()
			return Wrap(Cancelled, "", "", b.ctx.Err())
		case <-timer.C:
		}
		b.wait = b.policy.nextBackoff(b.wait)
		b.cur.Close()
		body, err := b.reopen(b.ctx, b.pos, b.end)
		if err == nil {
			b.cur = body
			return nil
		}
		if k := KindOf(err); k != Generic && k != Timeout {
			return err // e.g. Precondition: the object changed; NotFound: it is gone
		}
		b.cur = io.NopCloser(eofReader{})
		cause = err
	}
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

func (b *resumingBody) Close() error { return b.cur.Close() }
