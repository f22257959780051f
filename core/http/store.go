package httpstore

import (
	"context"
	"fmt"
	"io"
	"iter"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/driver"
)

// Store is an HTTP/WebDAV store.
type Store struct {
	c *client
}

var _ core.Renamer = (*Store)(nil)

func newStore(c *client) *Store { return &Store{c: c} }

// Close closes the client's idle connections.
func (s *Store) Close() error {
	driver.CloseIdle(s.c.http.Transport)
	return nil
}

// listConcurrency bounds the PROPFINDs ListWithDelimiter sends at once to
// learn which sub-collections hold objects.
const listConcurrency = 8

func (s *Store) errorf(k core.Kind, path core.Path, format string, args ...any) error {
	return &core.Error{Kind: k, Store: kind, Path: string(path), Msg: fmt.Sprintf(format, args...)}
}

// Get reads an object with GET (HEAD for opts.Head). Conditions go to the
// server as headers and are checked again on the answer, so a server that
// ignores them still gives object_store's results. A server that ignores
// Range is caught too: its whole body is cut to the range when its length
// is known, else the read fails. A body that breaks or stalls resumes
// where it stopped, pinned to the object's ETag, when that pin is safe
// (see pinnable); otherwise the read fails rather than risk splicing.
func (s *Store) Get(ctx context.Context, path core.Path, opts core.GetOptions) (*core.GetResult, error) {
	res, pin, err := s.get(ctx, path, opts)
	if err != nil || opts.Head {
		return res, err
	}
	if pin {
		driver.ResumeWithGet(ctx, res, s.c.retry, core.GetOptions{IfMatch: res.Meta.ETag}, func(ctx context.Context, o core.GetOptions) (*core.GetResult, error) {
			again, _, err := s.get(ctx, path, o)
			return again, err
		})
	}
	return res, nil
}

// pinnable reports whether If-Match on this answer's ETag tells a replaced
// object from the one being read. Web servers derive ETags from the file's
// modification time in whole seconds and its size (nginx: "mtime-size"),
// so an object replaced by one of the same size within the same second
// keeps its ETag. A replacement made after this answer began has a
// modification time of at least the answer's Date; if the object was last
// modified in an earlier second, the replacement's ETag differs. A weak
// ETag never pins.
func pinnable(h http.Header, meta core.ObjectMeta) bool {
	if meta.ETag == "" || strings.HasPrefix(meta.ETag, "W/") || meta.LastModified.IsZero() {
		return false
	}
	date, err := http.ParseTime(h.Get("Date"))
	return err == nil && meta.LastModified.Unix() < date.Unix()
}

// get sends one GET (or HEAD), bounded by a driver.ReadAttempt; pin says
// whether a resume can be pinned to the answer's ETag.
func (s *Store) get(ctx context.Context, path core.Path, opts core.GetOptions) (res *core.GetResult, pin bool, err error) {
	if opts.Version != "" {
		return nil, false, s.errorf(core.NotSupported, path, "HTTP stores keep no object versions")
	}
	r := request{method: http.MethodGet, path: path, idempotent: true, header: http.Header{}}
	if opts.Head {
		r.method = http.MethodHead
	}
	// Bytes exactly as stored: no transparent decompression.
	r.header.Set("Accept-Encoding", "identity")
	if opts.IfMatch != "" {
		r.header.Set("If-Match", opts.IfMatch)
	}
	if opts.IfNoneMatch != "" {
		r.header.Set("If-None-Match", opts.IfNoneMatch)
	}
	if opts.IfModifiedSince != nil {
		r.header.Set("If-Modified-Since", opts.IfModifiedSince.UTC().Format(http.TimeFormat))
	}
	if opts.IfUnmodifiedSince != nil {
		r.header.Set("If-Unmodified-Since", opts.IfUnmodifiedSince.UTC().Format(http.TimeFormat))
	}
	ranged := opts.Range != nil && !opts.Head
	if ranged {
		r.header.Set("Range", opts.Range.String())
	}
	var attempt *driver.ReadAttempt
	if !opts.Head {
		ctx, attempt = s.c.timeouts.BeginRead(ctx)
	}
	resp, err := s.c.do(ctx, r, nil)
	if err != nil {
		attempt.Abandon()
		return nil, false, err
	}
	res, err = s.readAnswer(r, resp, opts, ranged)
	if err != nil {
		drain(resp)
		attempt.Abandon()
		return nil, false, err
	}
	if !opts.Head {
		res.Body = attempt.Body(res.Body)
	}
	return res, pinnable(resp.Header, res.Meta), nil
}

func (s *Store) readAnswer(r request, resp *http.Response, opts core.GetOptions, ranged bool) (*core.GetResult, error) {
	path := r.path
	meta := core.ObjectMeta{Location: path, ETag: resp.Header.Get("ETag")}
	if lm := resp.Header.Get("Last-Modified"); lm != "" {
		t, err := http.ParseTime(lm)
		if err != nil {
			return nil, s.errorf(core.Generic, path, "server sent a bad Last-Modified %q", lm)
		}
		meta.LastModified = t
	} else {
		meta.LastModified = answerTime(resp)
	}
	res := &core.GetResult{Meta: meta, Attributes: attributesOf(resp.Header), Body: resp.Body}
	switch resp.StatusCode {
	case http.StatusOK:
		if resp.ContentLength < 0 {
			if ranged || opts.Head {
				return nil, s.errorf(core.Generic, path, "server did not say how long the object is (no Content-Length)")
			}
			// A whole-object read of unknown length: the size is what
			// the body turns out to be, which a GetResult cannot say up
			// front.
			return nil, s.errorf(core.NotSupported, path, "server sent the object without a Content-Length")
		}
		res.Meta.Size = uint64(resp.ContentLength)
		res.End = res.Meta.Size
	case http.StatusPartialContent:
		if !ranged {
			return nil, s.errorf(core.Generic, path, "server answered 206 Partial Content to a request without Range")
		}
		cr, err := driver.ParseContentRange(resp.Header.Get("Content-Range"))
		if err != nil {
			return nil, core.Wrap(core.Generic, kind, path, err)
		}
		start, end, size := cr.Start, cr.End, cr.Size
		wantStart, wantEnd, err := opts.Range.Resolve(size)
		if err != nil {
			return nil, core.Wrap(core.InvalidArgument, kind, path, err)
		}
		if start != wantStart || end != wantEnd {
			return nil, s.errorf(core.Generic, path, "asked for %s of %d bytes, the server sent bytes %d-%d", opts.Range, size, start, end-1)
		}
		if resp.ContentLength >= 0 && uint64(resp.ContentLength) != end-start {
			return nil, s.errorf(core.Generic, path, "Content-Range says %d bytes, Content-Length %d", end-start, resp.ContentLength)
		}
		res.Meta.Size, res.Start, res.End = size, start, end
	default:
		return nil, statusError(r, resp.StatusCode)
	}
	if err := checkableOnly(opts, res.Meta).CheckPreconditions(res.Meta); err != nil {
		return nil, core.Wrap(core.Precondition, kind, path, err)
	}
	if opts.Head {
		res.Start, res.End = 0, 0
		resp.Body.Close()
		res.Body = http.NoBody
		return res, nil
	}
	if ranged && resp.StatusCode == http.StatusOK {
		// The server ignored Range and sent the whole object, whose
		// length Content-Length states (net/http fails the read if the
		// body is shorter): cut the range out of it here.
		start, end, err := opts.Range.Resolve(res.Meta.Size)
		if err != nil {
			return nil, core.Wrap(core.InvalidArgument, kind, path, err)
		}
		res.Start, res.End = start, end
		res.Body = &sliceBody{body: resp.Body, skip: start, left: end - start}
	}
	return res, nil
}

// checkableOnly keeps the conditions that the answer's metadata can
// decide: without an ETag or Last-Modified from the server, the server's
// own verdict (it answered 200/206) stands.
func checkableOnly(opts core.GetOptions, m core.ObjectMeta) *core.GetOptions {
	o := core.GetOptions{}
	if m.ETag != "" {
		o.IfMatch, o.IfNoneMatch = opts.IfMatch, opts.IfNoneMatch
	}
	if !m.LastModified.IsZero() {
		o.IfModifiedSince, o.IfUnmodifiedSince = opts.IfModifiedSince, opts.IfUnmodifiedSince
		if m.ETag == "" {
			// RFC 9110: If-None-Match / If-Match take precedence over the
			// dates; without an etag the server judged those alone.
			if opts.IfNoneMatch != "" {
				o.IfModifiedSince = nil
			}
			if opts.IfMatch != "" {
				o.IfUnmodifiedSince = nil
			}
		}
	}
	return &o
}

// sliceBody yields bytes [skip, skip+left) of body.
type sliceBody struct {
	body       io.ReadCloser
	skip, left uint64
}

func (b *sliceBody) Read(p []byte) (int, error) {
	if b.skip > 0 {
		n, err := io.CopyN(io.Discard, b.body, int64(b.skip))
		b.skip -= uint64(n)
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return 0, err
		}
	}
	if b.left == 0 {
		return 0, io.EOF
	}
	if uint64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.body.Read(p)
	b.left -= uint64(n)
	if err == io.EOF {
		if b.left > 0 {
			return n, io.ErrUnexpectedEOF
		}
		err = nil // the next Read reports io.EOF
	}
	return n, err
}

func (b *sliceBody) Close() error { return b.body.Close() }

// attributesOf returns the well-known attributes the server sent.
func attributesOf(h http.Header) core.Attributes {
	var a core.Attributes
	for _, k := range core.WellKnownAttributes {
		if v := h.Get(k); v != "" {
			if a == nil {
				a = core.Attributes{}
			}
			a[k] = v
		}
	}
	return a
}

func (s *Store) Head(ctx context.Context, path core.Path) (core.ObjectMeta, error) {
	res, err := s.Get(ctx, path, core.GetOptions{Head: true})
	if err != nil {
		return core.ObjectMeta{}, err
	}
	res.Body.Close()
	return res.Meta, nil
}

// Put writes the object with one PUT. Parent collections are created when
// the server wants them (409 Conflict; nginx answers 500 when a COPY or
// MOVE destination lacks them).
func (s *Store) Put(ctx context.Context, path core.Path, data []byte, opts core.PutOptions) (core.PutResult, error) {
	if opts.Mode.Kind != core.PutOverwrite {
		// WebDAV servers do not honour If-None-Match: * or If-Match on PUT
		// reliably (nginx overwrites regardless): refuse rather than race.
		return core.PutResult{}, s.errorf(core.NotSupported, path, "HTTP stores cannot put conditionally (create or update mode)")
	}
	if len(opts.Attributes) > 0 {
		return core.PutResult{}, s.errorf(core.NotImplemented, path, "HTTP stores do not keep attributes")
	}
	if len(opts.Tags) > 0 {
		return core.PutResult{}, s.errorf(core.NotImplemented, path, "HTTP stores do not keep tags")
	}
	if data == nil {
		data = []byte{}
	}
	r := request{method: http.MethodPut, path: path, body: data, idempotent: true}
	resp, err := s.write(ctx, r, path)
	if err != nil {
		return core.PutResult{}, err
	}
	defer drain(resp)
	switch resp.StatusCode {
	case http.StatusOK, http.StatusCreated, http.StatusNoContent:
		return core.PutResult{ETag: resp.Header.Get("ETag")}, nil
	}
	return core.PutResult{}, statusError(r, resp.StatusCode)
}

// write sends a request that creates target (PUT, COPY, MOVE); when the
// server says its parent collections are missing, it creates them and
// sends the request again.
func (s *Store) write(ctx context.Context, r request, target core.Path) (*http.Response, error) {
	maybeMissingParents := func(status int) bool {
		return strings.Contains(string(target), "/") &&
			(status == http.StatusConflict || status == http.StatusInternalServerError)
	}
	resp, err := s.c.do(ctx, r, maybeMissingParents)
	if err != nil || !maybeMissingParents(resp.StatusCode) {
		return resp, err
	}
	drain(resp)
	if err := s.c.makeCollections(ctx, target); err != nil {
		return nil, err
	}
	return s.c.do(ctx, r, nil)
}

// Delete removes an object. A missing object, or a path that names a
// collection (nginx answers 409 to DELETE of a directory without its
// trailing "/"), is NotFound: collections are never deleted.
func (s *Store) Delete(ctx context.Context, path core.Path) error {
	r := request{method: http.MethodDelete, path: path, idempotent: true}
	resp, err := s.c.do(ctx, r, nil)
	if err != nil {
		return err
	}
	drain(resp)
	switch resp.StatusCode {
	case http.StatusOK, http.StatusNoContent, http.StatusAccepted:
		return nil
	case http.StatusConflict:
		return s.errorf(core.NotFound, path, "no such object (the path is a directory)")
	}
	return statusError(r, resp.StatusCode)
}

func (s *Store) Copy(ctx context.Context, from, to core.Path, opts core.CopyOptions) error {
	return s.copyOrMove(ctx, "COPY", from, to, opts)
}

// Rename is a WebDAV MOVE.
func (s *Store) Rename(ctx context.Context, from, to core.Path, opts core.CopyOptions) error {
	return s.copyOrMove(ctx, "MOVE", from, to, opts)
}

func (s *Store) copyOrMove(ctx context.Context, method string, from, to core.Path, opts core.CopyOptions) error {
	overwrite := "T"
	if opts.IfNotExists {
		overwrite = "F"
	}
	r := request{
		method: method, path: from, idempotent: method == "COPY",
		header: http.Header{"Destination": {s.c.url(to, false)}, "Overwrite": {overwrite}},
	}
	resp, err := s.write(ctx, r, to)
	if err != nil {
		return err
	}
	drain(resp)
	switch resp.StatusCode {
	case http.StatusOK, http.StatusCreated, http.StatusNoContent:
		return nil
	case http.StatusPreconditionFailed:
		if opts.IfNotExists {
			return s.errorf(core.AlreadyExists, to, "%s destination exists", method)
		}
	}
	return statusError(r, resp.StatusCode)
}

// List walks the collection tree under prefix with one PROPFIND (Depth: 1)
// per collection. Siblings are visited in the order of their full paths
// (a collection sorts as its name plus "/"), so objects come out in
// lexicographic order, and subtrees wholly before the offset are skipped.
func (s *Store) List(ctx context.Context, prefix core.Path, opts core.ListOptions) iter.Seq2[core.ObjectMeta, error] {
	return func(yield func(core.ObjectMeta, error) bool) {
		s.walk(ctx, prefix, string(opts.Offset), yield)
	}
}

func (s *Store) walk(ctx context.Context, dir core.Path, offset string, yield func(core.ObjectMeta, error) bool) bool {
	entries, err := s.c.propfind(ctx, dir)
	if err != nil {
		return yield(core.ObjectMeta{}, err)
	}
	sortEntries(entries)
	for _, e := range entries {
		loc := string(e.meta.Location)
		if e.collection {
			sub := loc + "/"
			if offset != "" && offset > sub && !strings.HasPrefix(offset, sub) {
				continue // every path in it sorts before the offset
			}
			if !s.walk(ctx, e.meta.Location, offset, yield) {
				return false
			}
			continue
		}
		if offset != "" && loc <= offset {
			continue
		}
		if !yield(e.meta, nil) {
			return false
		}
	}
	return true
}

func sortEntries(entries []entry) {
	key := func(e entry) string {
		if e.collection {
			return string(e.meta.Location) + "/"
		}
		return string(e.meta.Location)
	}
	slices.SortFunc(entries, func(a, b entry) int { return strings.Compare(key(a), key(b)) })
}

// ListWithDelimiter lists one level under prefix. WebDAV keeps
// collections that objects were once put into after those objects are
// deleted; an object store has no empty "directories", so only
// collections holding at least one object are common prefixes.
func (s *Store) ListWithDelimiter(ctx context.Context, prefix core.Path) (core.ListResult, error) {
	entries, err := s.c.propfind(ctx, prefix)
	if err != nil {
		return core.ListResult{}, err
	}
	sortEntries(entries)
	var res core.ListResult
	var dirs []core.Path
	for _, e := range entries {
		if e.collection {
			dirs = append(dirs, e.meta.Location)
		} else {
			res.Objects = append(res.Objects, e.meta)
		}
	}
	nonEmpty := make([]bool, len(dirs))
	errs := make([]error, len(dirs))
	var wg sync.WaitGroup
	slots := make(chan struct{}, listConcurrency)
	for i, d := range dirs {
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer func() { <-slots; wg.Done() }()
			nonEmpty[i], errs[i] = s.holdsObject(ctx, d)
		}()
	}
	wg.Wait()
	for i, d := range dirs {
		if errs[i] != nil {
			return core.ListResult{}, errs[i]
		}
		if nonEmpty[i] {
			res.CommonPrefixes = append(res.CommonPrefixes, d)
		}
	}
	// Sorted as paths ("wb-not" before "wb"), not as collections.
	slices.Sort(res.CommonPrefixes)
	return res, nil
}

// holdsObject reports whether any object lies under the collection dir,
// stopping at the first found.
func (s *Store) holdsObject(ctx context.Context, dir core.Path) (bool, error) {
	entries, err := s.c.propfind(ctx, dir)
	if err != nil {
		return false, err
	}
	for _, e := range entries {
		if !e.collection {
			return true, nil
		}
	}
	for _, e := range entries {
		found, err := s.holdsObject(ctx, e.meta.Location)
		if found || err != nil {
			return found, err
		}
	}
	return false, nil
}
