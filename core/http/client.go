package httpstore

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/driver"
)

// client sends the HTTP and WebDAV requests of one store.
type client struct {
	http      *http.Client
	base      *url.URL // ends with "/"
	baseSegs  []string // the decoded segments of base's path
	retry     driver.Policy
	throttle  *driver.Throttle // every request goes through its transport
	timeouts  driver.Timeouts  // the transport bounds each attempt; object reads use BeginRead
	userAgent string
}

// errIsCollection stops a GET or HEAD that the server redirects from
// "path" to "path/": the path names a collection, which is no object.
var errIsCollection = errors.New("the path is a collection (directory), not an object")

func newClient(h *http.Client, base *url.URL, opts driver.ClientOptions, retry driver.Policy) *client {
	c := &client{
		base:      base,
		baseSegs:  decodeSegments(base.EscapedPath()),
		retry:     retry,
		throttle:  driver.NewThrottle(retry),
		timeouts:  opts.Timeouts(),
		userAgent: opts.UserAgent,
	}
	// Own copy of the client: its redirect policy and transport differ.
	hc := *h
	hc.Transport = c.throttle.Transport(h.Transport)
	hc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		if prev := via[len(via)-1].URL; req.URL.Path == prev.Path+"/" {
			return errIsCollection
		}
		return nil
	}
	c.http = &hc
	return c
}

// url returns the URL of path under the base URL, each segment
// percent-encoded; with collection, it ends in "/".
func (c *client) url(p core.Path, collection bool) string {
	var b strings.Builder
	b.WriteString(c.base.Scheme)
	b.WriteString("://")
	b.WriteString(c.base.Host)
	b.WriteString(c.base.EscapedPath())
	for i, seg := range p.Parts() {
		if i > 0 {
			b.WriteByte('/')
		}
		b.WriteString(url.PathEscape(seg))
	}
	if collection && p != "" {
		b.WriteByte('/')
	}
	return b.String()
}

// request is one HTTP call, replayable for retries.
type request struct {
	method     string
	path       core.Path
	collection bool
	rawURL     string // when set, the URL to use instead of path's
	header     http.Header
	body       []byte // nil: no body
	// idempotent requests are retried after transport errors and any
	// transient status; the others only after 429 and 503, which say the
	// server did nothing.
	idempotent bool
}

// send makes one attempt; the client's transport bounds it (timeout,
// read_timeout).
func (c *client) send(ctx context.Context, r request) (*http.Response, error) {
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	target := r.rawURL
	if target == "" {
		target = c.url(r.path, r.collection)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, target, body)
	if err != nil {
		return nil, err
	}
	for k, v := range r.header {
		req.Header[k] = v
	}
	if c.userAgent != "" {
		req.Header.Set("User-Agent", c.userAgent)
	}
	return c.http.Do(req)
}

// do sends r with the store's retry policy and returns the first response
// whose status is not transient. Statuses for which final returns true are
// returned at once, even transient ones, for the caller to handle.
func (c *client) do(ctx context.Context, r request, final func(status int) bool) (*http.Response, error) {
	ctx, admitted, err := c.throttle.Admit(ctx)
	if err != nil {
		return nil, core.Wrap(core.Generic, kind, r.path, err)
	}
	defer admitted()
	var resp *http.Response
	err = c.retry.Do(ctx, func(ctx context.Context) error {
		var err error
		resp, err = c.attempt(ctx, r, final)
		return err
	})
	return resp, err
}

// attempt is one try of do.
func (c *client) attempt(ctx context.Context, r request, final func(status int) bool) (*http.Response, error) {
	res, err := c.send(ctx, r)
	if err != nil {
		if errors.Is(err, errIsCollection) {
			return nil, &core.Error{Kind: core.NotFound, Store: kind, Path: string(r.path), Msg: errIsCollection.Error()}
		}
		e := core.Wrap(core.Generic, kind, r.path, fmt.Errorf("%s: %w", r.method, stripURL(err)))
		if ctx.Err() != nil || !r.idempotent {
			return nil, e // the caller's cancellation, or maybe done already
		}
		return nil, driver.Retryable(e)
	}
	if final != nil && final(res.StatusCode) {
		return res, nil
	}
	if transient(res.StatusCode, r.idempotent) {
		drain(res)
		return nil, driver.Retryable(statusError(r, res.StatusCode))
	}
	return res, nil
}

// query sends an idempotent r whose answer read consumes within the
// attempt: an answer cut short (a timeout, a broken connection) while it
// is read is retried like a request that failed.
func (c *client) query(ctx context.Context, r request, read func(*http.Response) error) error {
	ctx, admitted, err := c.throttle.Admit(ctx)
	if err != nil {
		return core.Wrap(core.Generic, kind, r.path, err)
	}
	defer admitted()
	return c.retry.Do(ctx, func(ctx context.Context) error {
		resp, err := c.attempt(ctx, r, nil)
		if err != nil {
			return err
		}
		defer drain(resp)
		err = read(resp)
		if err != nil && ctx.Err() == nil && (driver.IsAttemptTimeout(err) || errors.Is(err, io.ErrUnexpectedEOF)) {
			return driver.Retryable(core.Wrap(core.Generic, kind, r.path, fmt.Errorf("%s: %w", r.method, err)))
		}
		return err
	})
}

// stripURL drops the URL that net/http puts in its errors: the cause is
// what matters, and error texts stay short.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func transient(status int, idempotent bool) bool {
	switch status {
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		return true
	case http.StatusRequestTimeout, http.StatusInternalServerError, http.StatusBadGateway, http.StatusGatewayTimeout:
		return idempotent
	}
	return false
}

// drain reads a little of an unwanted body, so the connection can be
// reused, and closes it.
func drain(resp *http.Response) {
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
}

// statusError maps an unexpected HTTP status to the library's error kinds.
func statusError(r request, status int) error {
	k := core.Generic
	switch status {
	case http.StatusNotFound, http.StatusGone:
		k = core.NotFound
	case http.StatusNotModified:
		k = core.NotModified
	case http.StatusPreconditionFailed:
		k = core.Precondition
	case http.StatusRequestedRangeNotSatisfiable:
		k = core.InvalidArgument
	case http.StatusUnauthorized:
		k = core.Unauthenticated
	case http.StatusForbidden:
		k = core.PermissionDenied
	case http.StatusMethodNotAllowed, http.StatusNotImplemented:
		k = core.NotSupported
	case http.StatusRequestTimeout, http.StatusGatewayTimeout:
		k = core.Timeout
	}
	msg := fmt.Sprintf("%s answered %d %s", r.method, status, http.StatusText(status))
	if status == http.StatusRequestedRangeNotSatisfiable {
		msg = driver.RangeRefused(msg)
	}
	return &core.Error{Kind: k, Store: kind, Path: string(r.path), Msg: msg}
}

// decodeSegments splits an escaped URL path into its decoded segments,
// dropping empty ones. A segment that is not valid percent-encoding (a
// server that did not escape "%") is kept as it is.
func decodeSegments(escaped string) []string {
	var segs []string
	for _, s := range strings.Split(escaped, "/") {
		if s == "" {
			continue
		}
		if d, err := url.PathUnescape(s); err == nil {
			s = d
		}
		segs = append(segs, s)
	}
	return segs
}

// pathOfHref turns a PROPFIND href (an absolute URL or an absolute path,
// percent-encoded) into a store path, relative to the base URL.
func (c *client) pathOfHref(href string) (core.Path, error) {
	href = strings.TrimSpace(href)
	if i := strings.Index(href, "://"); i >= 0 {
		rest := href[i+3:]
		j := strings.IndexByte(rest, '/')
		if j < 0 {
			rest = "/"
		} else {
			rest = rest[j:]
		}
		href = rest
	}
	if i := strings.IndexAny(href, "?#"); i >= 0 {
		href = href[:i]
	}
	segs := decodeSegments(href)
	if len(segs) < len(c.baseSegs) {
		return "", core.Errorf(core.Generic, "server listed %q, outside the store's base URL", href)
	}
	for i, b := range c.baseSegs {
		if segs[i] != b {
			return "", core.Errorf(core.Generic, "server listed %q, outside the store's base URL", href)
		}
	}
	p, err := core.ParsePath(strings.Join(segs[len(c.baseSegs):], "/"))
	if err != nil {
		return "", core.Wrap(core.Generic, kind, "", fmt.Errorf("server listed %q, which is no valid path: %w", href, err))
	}
	return p, nil
}

// entry is one resource of a PROPFIND answer.
type entry struct {
	meta       core.ObjectMeta
	collection bool
}

// The parts of a WebDAV multistatus answer (RFC 4918 §14) a listing needs.
type multistatus struct {
	Responses []davResponse `xml:"DAV: response"`
}

type davResponse struct {
	Href      []string   `xml:"DAV: href"`
	Status    string     `xml:"DAV: status"`
	Propstats []propstat `xml:"DAV: propstat"`
}

type propstat struct {
	Status string `xml:"DAV: status"`
	Prop   struct {
		ResourceType *struct {
			Collection *struct{} `xml:"DAV: collection"`
		} `xml:"DAV: resourcetype"`
		ContentLength string `xml:"DAV: getcontentlength"`
		LastModified  string `xml:"DAV: getlastmodified"`
		ETag          string `xml:"DAV: getetag"`
	} `xml:"DAV: prop"`
}

const propfindBody = `<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:"><D:prop><D:resourcetype/><D:getcontentlength/><D:getlastmodified/><D:getetag/></D:prop></D:propfind>`

// statusOK reports whether a multistatus "HTTP/1.1 200 OK" line is a 2xx.
func statusOK(line string) bool {
	f := strings.Fields(line)
	return len(f) >= 2 && len(f[1]) == 3 && f[1][0] == '2'
}

// propfind lists the collection dir one level deep (Depth: 1). It returns
// the entries inside dir, not dir itself; a missing dir, or a dir that is
// an object rather than a collection, has none.
func (c *client) propfind(ctx context.Context, dir core.Path) ([]entry, error) {
	r := request{
		method: "PROPFIND", path: dir, collection: true, idempotent: true,
		header: http.Header{"Depth": {"1"}, "Content-Type": {"application/xml; charset=utf-8"}},
		body:   []byte(propfindBody),
	}
	var entries []entry
	err := c.query(ctx, r, func(resp *http.Response) error {
		entries = nil
		ms, err := readMultistatus(r, resp)
		if ms == nil || err != nil {
			return err // nil, nil: no such collection
		}
		answered := answerTime(resp)
		for _, res := range ms.Responses {
			for _, href := range res.Href {
				e, err := c.entryOf(href, res)
				if err != nil {
					return err
				}
				if e.meta.LastModified.IsZero() {
					e.meta.LastModified = answered
				}
				if e.meta.Location == dir {
					if !e.collection {
						entries = nil
						return nil // dir is an object: nothing is under it
					}
					continue
				}
				if _, inside := e.meta.Location.StripPrefix(dir); !inside {
					return core.Errorf(core.Generic, "PROPFIND of %q listed %q, outside it", dir, e.meta.Location)
				}
				entries = append(entries, e)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return entries, nil
}

// readMultistatus reads a PROPFIND answer: nil for 404, an error for a
// status other than 207 or a body that is not WebDAV XML.
func readMultistatus(r request, resp *http.Response) (*multistatus, error) {
	switch resp.StatusCode {
	case http.StatusMultiStatus:
	case http.StatusNotFound:
		return nil, nil
	default:
		return nil, statusError(r, resp.StatusCode)
	}
	var ms multistatus
	if err := xml.NewDecoder(resp.Body).Decode(&ms); err != nil {
		if driver.IsAttemptTimeout(err) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, err // cut short: query retries
		}
		return nil, core.Wrap(core.Generic, kind, r.path, fmt.Errorf("PROPFIND answer is not WebDAV XML: %w", err))
	}
	return &ms, nil
}

func (c *client) entryOf(href string, res davResponse) (entry, error) {
	p, err := c.pathOfHref(href)
	if err != nil {
		return entry{}, err
	}
	if res.Status != "" && !statusOK(res.Status) {
		return entry{}, core.Errorf(core.Generic, "PROPFIND listed %q with status %q", p, res.Status)
	}
	e, err := propsOf(href, res)
	e.meta.Location = p
	return e, err
}

// propsOf reads the properties of one PROPFIND response.
func propsOf(href string, res davResponse) (entry, error) {
	var e entry
	p := href // names the resource in messages
	typed := false
	for _, ps := range res.Propstats {
		if ps.Status != "" && !statusOK(ps.Status) {
			continue // properties the server does not have
		}
		if rt := ps.Prop.ResourceType; rt != nil {
			typed = true
			e.collection = rt.Collection != nil
		}
		if v := strings.TrimSpace(ps.Prop.ContentLength); v != "" {
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				return entry{}, core.Errorf(core.Generic, "PROPFIND gave %q a bad getcontentlength %q", p, v)
			}
			e.meta.Size = n
		}
		if v := strings.TrimSpace(ps.Prop.LastModified); v != "" {
			t, err := http.ParseTime(v)
			if err != nil {
				return entry{}, core.Errorf(core.Generic, "PROPFIND gave %q a bad getlastmodified %q", p, v)
			}
			e.meta.LastModified = t
		}
		if v := strings.TrimSpace(ps.Prop.ETag); v != "" {
			e.meta.ETag = v
		}
	}
	if !typed {
		// Without resourcetype, only the href tells: nginx echoes a
		// trailing "/" even for a file asked for as "file/", so the
		// property wins where there is one.
		e.collection = strings.HasSuffix(href, "/")
	}
	return e, nil
}

// makeCollections creates the missing parent collections of path, as a
// WebDAV server wants them (MKCOL of a/b needs a): the nearest parent
// first, and on 409 Conflict its own parent, up to the server's root, so
// the common case (only the last level missing) costs one request and the
// store's base collection is created too. A level that exists answers 405;
// whether it is a collection or an object is then asked with PROPFIND, so
// that writing below an object gives a clear error.
func (c *client) makeCollections(ctx context.Context, path core.Path) error {
	segs := strings.Split(strings.Trim(c.base.EscapedPath(), "/"), "/")
	if segs[0] == "" {
		segs = nil
	}
	parts := path.Parts()
	for _, p := range parts[:len(parts)-1] {
		segs = append(segs, url.PathEscape(p))
	}
	return c.makeCollection(ctx, segs, len(segs), path)
}

// makeCollection creates the collection named by the first n escaped
// segments of segs, and its missing parents.
func (c *client) makeCollection(ctx context.Context, segs []string, n int, path core.Path) error {
	if n == 0 {
		return nil // the server's root always exists
	}
	r := request{method: "MKCOL", path: path, idempotent: true,
		rawURL: c.base.Scheme + "://" + c.base.Host + "/" + strings.Join(segs[:n], "/") + "/"}
	for attempt := 0; ; attempt++ {
		resp, err := c.do(ctx, r, nil)
		if err != nil {
			return err
		}
		drain(resp)
		switch resp.StatusCode {
		case http.StatusCreated, http.StatusOK, http.StatusNoContent:
			return nil
		case http.StatusMethodNotAllowed:
			return c.checkCollection(ctx, r.rawURL, path)
		case http.StatusConflict:
			if attempt == 0 {
				if err := c.makeCollection(ctx, segs, n-1, path); err != nil {
					return err
				}
				continue
			}
		}
		return statusError(r, resp.StatusCode)
	}
}

// checkCollection fails with AlreadyExists when the resource at rawURL is
// an object rather than a collection.
func (c *client) checkCollection(ctx context.Context, rawURL string, path core.Path) error {
	r := request{
		method: "PROPFIND", path: path, rawURL: rawURL, idempotent: true,
		header: http.Header{"Depth": {"0"}, "Content-Type": {"application/xml; charset=utf-8"}},
		body:   []byte(propfindBody),
	}
	return c.query(ctx, r, func(resp *http.Response) error {
		if resp.StatusCode != http.StatusMultiStatus {
			return statusError(r, resp.StatusCode)
		}
		ms, err := readMultistatus(r, resp)
		if err != nil {
			return err
		}
		for _, res := range ms.Responses {
			for _, href := range res.Href {
				if e, err := propsOf(href, res); err == nil && !e.collection {
					return &core.Error{Kind: core.AlreadyExists, Store: kind, Path: string(path),
						Msg: fmt.Sprintf("cannot create it: a parent path is an object, not a directory (%s)", href)}
				}
			}
		}
		return nil
	})
}

// answerTime stands in for a Last-Modified the server did not send: the
// object was last modified no later than the answer's Date (or, without
// one, than now), and every ObjectMeta has a time, as object_store's.
func answerTime(resp *http.Response) time.Time {
	if t, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
		return t
	}
	return time.Now().UTC().Truncate(time.Second)
}
