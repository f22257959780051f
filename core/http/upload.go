package httpstore

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/driver"
)

// HTTP has no multipart upload, so a multipart upload here is ONE PUT whose
// body streams the parts in index order as they arrive. The part that is
// due next is written straight into the request; parts that arrive early
// are copied aside until their turn (the writer keeps only a few in
// flight, so this stays bounded). The server writes the body to a
// temporary file and renames it at the end, so nothing is visible before
// Complete and an aborted request leaves nothing behind.
type streamedUpload struct {
	s    *Store
	path core.Path

	mu      sync.Mutex
	next    int            // index of the part the body needs next
	early   map[int][]byte // parts that arrived before their turn
	failed  error          // the first error; the upload is then dead
	body    *io.PipeWriter
	cancel  context.CancelFunc
	answer  chan putAnswer // the PUT's outcome, once the body is closed
	settled bool           // completed or aborted
}

type putAnswer struct {
	result core.PutResult
	err    error
}

func (s *Store) PutMultipart(ctx context.Context, path core.Path, opts core.MultipartOptions) (core.MultipartUpload, error) {
	if len(opts.Attributes) > 0 {
		return nil, s.errorf(core.NotImplemented, path, "HTTP stores do not keep attributes")
	}
	if len(opts.Tags) > 0 {
		return nil, s.errorf(core.NotImplemented, path, "HTTP stores do not keep tags")
	}
	// A streamed body cannot be sent twice, so the parent collections are
	// made first instead of on a 409.
	if strings.Contains(string(path), "/") {
		if err := s.c.makeCollections(ctx, path); err != nil {
			return nil, err
		}
	}
	// The upload outlives this call: it is bound to its own context, ended
	// by Complete or Abort. Its request stays open for as long as the
	// caller feeds it parts, so it holds no place in the throttle's window.
	uploadCtx, cancel := context.WithCancel(driver.Unthrottled(context.WithoutCancel(ctx)))
	pr, pw := io.Pipe()
	u := &streamedUpload{s: s, path: path, early: map[int][]byte{}, body: pw, cancel: cancel, answer: make(chan putAnswer, 1)}
	go u.send(uploadCtx, pr)
	return u, nil
}

func (u *streamedUpload) send(ctx context.Context, body *io.PipeReader) {
	r := request{method: http.MethodPut, path: u.path}
	req, err := http.NewRequestWithContext(ctx, r.method, u.s.c.url(u.path, false), body)
	if err != nil {
		body.CloseWithError(err)
		u.answer <- putAnswer{err: core.Wrap(core.Generic, kind, u.path, err)}
		return
	}
	if u.s.c.userAgent != "" {
		req.Header.Set("User-Agent", u.s.c.userAgent)
	}
	resp, err := u.s.c.http.Do(req)
	if err != nil {
		body.CloseWithError(err)
		u.answer <- putAnswer{err: core.Wrap(core.Generic, kind, u.path, stripURL(err))}
		return
	}
	defer drain(resp)
	switch resp.StatusCode {
	case http.StatusOK, http.StatusCreated, http.StatusNoContent:
		u.answer <- putAnswer{result: core.PutResult{ETag: resp.Header.Get("ETag")}}
	default:
		// The server answered before reading everything: unblock writers.
		err := statusError(r, resp.StatusCode)
		body.CloseWithError(err)
		u.answer <- putAnswer{err: err}
	}
}

func (u *streamedUpload) PutPart(ctx context.Context, index int, data []byte) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	switch {
	case u.failed != nil:
		return u.failed
	case u.settled:
		return core.Errorf(core.InvalidArgument, "upload of %q is already completed or aborted", u.path)
	case index < u.next || u.early[index] != nil:
		return core.Errorf(core.InvalidArgument, "part %d of %q was already uploaded", index, u.path)
	case index > u.next:
		u.early[index] = append(make([]byte, 0, len(data)+1), data...) // non-nil even when empty
		return nil
	}
	if err := u.write(data); err != nil {
		return err
	}
	for {
		part, ok := u.early[u.next]
		if !ok {
			return nil
		}
		delete(u.early, u.next)
		if err := u.write(part); err != nil {
			return err
		}
	}
}

// write sends the part due next into the body; u.mu is held, so parts go
// out in order.
func (u *streamedUpload) write(data []byte) error {
	if _, err := u.body.Write(data); err != nil {
		u.failed = core.Wrap(core.Generic, kind, u.path, err)
		return u.failed
	}
	u.next++
	return nil
}

func (u *streamedUpload) Complete(ctx context.Context) (core.PutResult, error) {
	u.mu.Lock()
	if u.settled {
		u.mu.Unlock()
		return core.PutResult{}, core.Errorf(core.InvalidArgument, "upload of %q is already completed or aborted", u.path)
	}
	u.settled = true
	if u.failed == nil && len(u.early) > 0 {
		u.failed = core.Errorf(core.InvalidArgument, "upload of %q is missing part %d", u.path, u.next)
	}
	failed := u.failed
	u.mu.Unlock()
	if failed != nil {
		u.body.CloseWithError(failed)
		u.cancel()
		<-u.answer
		return core.PutResult{}, failed
	}
	u.body.Close()
	select {
	case a := <-u.answer:
		u.cancel()
		return a.result, a.err
	case <-ctx.Done():
		u.cancel()
		<-u.answer
		return core.PutResult{}, core.Wrap(core.Cancelled, kind, u.path, ctx.Err())
	}
}

// Abort cuts the request off: the server drops the partial body.
func (u *streamedUpload) Abort(ctx context.Context) error {
	u.mu.Lock()
	if u.settled {
		u.mu.Unlock()
		return nil
	}
	u.settled = true
	u.early = nil
	u.mu.Unlock()
	u.cancel()
	u.body.CloseWithError(context.Canceled)
	<-u.answer
	return nil
}
