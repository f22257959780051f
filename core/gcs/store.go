package gcs

import (
	"context"
	"crypto/md5"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"cloud.google.com/go/storage"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/iterator"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/driver"
)

// Store is a GCS bucket.
//
// ETag and Version are both the object's generation, as a decimal string.
// Every condition GCS evaluates natively is on the generation
// (ifGenerationMatch, ifGenerationNotMatch), so if_match / if_none_match and
// update-mode puts are sent as generation conditions; the service's own etag
// also changes on metadata-only updates and cannot be used as a write
// condition. A new generation is made by every write of the content, so this
// ETag changes exactly when the content is replaced.
type Store struct {
	provided  *driver.CredentialCache // a credential provider's tokens, or nil
	client    *storage.Client
	transport http.RoundTripper // the client's, under the SDK's own
	throttle  *driver.Throttle  // every request goes through its transport
	retry     driver.Policy     // for the single-request uploads the SDK does not retry, and resumed reads
	bucket    *storage.BucketHandle
	name      string
	timeouts  driver.Timeouts // bound each attempt (the transport) and object bodies
	signer    *serviceAccount
	endpoint  string // custom base URL, "" for the public service
}

var (
	_ core.Store       = (*Store)(nil)
	_ core.BulkDeleter = (*Store)(nil)
	_ core.Signer      = (*Store)(nil)
)

// open builds the store a normalized document describes; settings missing
// from the document are read from env, never from the process environment.
// wrap, when set, wraps the HTTP transport (tests record the requests
// sent).
func open(ctx context.Context, c core.Config, env map[string]string, wrap func(http.RoundTripper) http.RoundTripper) (*Store, error) {
	return openWithOptions(ctx, c, env, driver.OpenOptions{}, wrap)
}

// openWithOptions is open with options: a credential provider replaces
// every credential of the document and the environment (its tokens
// authorize every request; such a store cannot sign URLs).
func openWithOptions(ctx context.Context, c core.Config, env map[string]string, o driver.OpenOptions, wrap func(http.RoundTripper) http.RoundTripper) (*Store, error) {
	set, err := resolveSettings(c, env)
	if err != nil {
		return nil, err
	}
	var creds credentials
	if o.Credentials != nil {
		copts, err := driver.ParseClientOptions(c.ClientOptions)
		if err != nil {
			return nil, err
		}
		creds.provided = driver.NewCredentialCache(kind, o.Credentials, copts.Timeout, checkToken)
	} else if creds, err = resolveCredentials(ctx, set, env); err != nil {
		return nil, err
	}
	endpoint := set.baseURL
	if endpoint == "" {
		endpoint = creds.baseURL
	}
	throttle := driver.NewThrottle(driver.PolicyOf(c.RetryConfig))
	client, copts, transport, err := newClient(ctx, c, endpoint, creds, throttle, wrap)
	if err != nil {
		return nil, err
	}
	return &Store{
		provided:  creds.provided,
		client:    client,
		transport: transport,
		throttle:  throttle,
		retry:     driver.PolicyOf(c.RetryConfig),
		bucket:    client.Bucket(set.bucket),
		name:      set.bucket,
		timeouts:  copts.Timeouts(),
		signer:    creds.signer,
		endpoint:  endpoint,
	}, nil
}

// Close closes the SDK client and the idle connections of its transport.
func (s *Store) Close() error {
	if s.provided != nil {
		s.provided.Close()
	}
	err := s.client.Close()
	driver.CloseIdle(s.transport)
	return err
}

// object is the handle of one call on an object (see retrying).
func (s *Store) object(ctx context.Context, path core.Path) *storage.ObjectHandle {
	return s.objectNamed(ctx, string(path))
}

// objectNamed is object for a name that is no path (a temporary part).
func (s *Store) objectNamed(ctx context.Context, name string) *storage.ObjectHandle {
	return s.bucket.Object(name).Retryer(s.retrying(ctx))
}

// retrying is the retry decision of one call, made with its context: the
// SDK's own judgement of the error (storage.ShouldRetry, which counts the
// client options' attempt timeouts as transient), and before a retry the
// wait the retry policy sets for it, as S3's retryer waits. The SDK's own
// backoff is cut to nothing (retryOptions): it draws each wait anywhere
// between zero and its bound, so a few retries could come at once and all
// fall inside one short outage.
func (s *Store) retrying(ctx context.Context) storage.RetryOption {
	return storage.WithErrorFuncWithContext(func(err error, rc *storage.RetryContext) bool {
		if !storage.ShouldRetry(err) {
			return false
		}
		attempt := 1
		if rc != nil {
			attempt = rc.Attempt
		}
		wait := time.NewTimer(s.retry.Backoff(attempt))
		defer wait.Stop()
		select {
		case <-ctx.Done():
			return false
		case <-wait.C:
			return true
		}
	})
}

func generationString(g int64) string { return strconv.FormatInt(g, 10) }

// parseGeneration reads an etag or version of this store.
func parseGeneration(v string) (int64, bool) {
	g, err := strconv.ParseInt(strings.Trim(strings.TrimSpace(v), `"`), 10, 64)
	return g, err == nil && g > 0
}

func metaOf(a *storage.ObjectAttrs) (core.ObjectMeta, error) {
	p, err := core.ParsePath(a.Name)
	if err != nil {
		return core.ObjectMeta{}, err
	}
	g := generationString(a.Generation)
	return core.ObjectMeta{Location: p, LastModified: a.Updated, Size: uint64(a.Size), ETag: g, Version: g}, nil
}

func attributesOf(a *storage.ObjectAttrs) core.Attributes {
	return driver.JoinAttributes(driver.HTTPAttributes{
		ContentType: a.ContentType, ContentDisposition: a.ContentDisposition, ContentEncoding: a.ContentEncoding,
		ContentLanguage: a.ContentLanguage, CacheControl: a.CacheControl,
	}, a.Metadata)
}

// applyAttributes copies attributes onto the attributes of an object to be
// written. Keys are matched case-insensitively; anything else is metadata.
func applyAttributes(dst *storage.ObjectAttrs, attrs core.Attributes) {
	h, metadata := driver.SplitAttributes(attrs)
	dst.ContentType, dst.ContentDisposition, dst.ContentEncoding = h.ContentType, h.ContentDisposition, h.ContentEncoding
	dst.ContentLanguage, dst.CacheControl = h.ContentLanguage, h.CacheControl
	if metadata != nil {
		dst.Metadata = metadata
	}
}

// getConditions are the generation conditions GCS can check itself for a
// read: a single-generation if_match or if_none_match. They are sent as
// well as checked locally, since emulators may ignore them on reads.
func getConditions(opts core.GetOptions) (storage.Conditions, bool) {
	var c storage.Conditions
	if g, ok := parseGeneration(opts.IfMatch); ok {
		c.GenerationMatch = g
	} else if g, ok := parseGeneration(opts.IfNoneMatch); ok && opts.IfMatch == "" {
		c.GenerationNotMatch = g
	}
	return c, c != (storage.Conditions{})
}

// staleReadRetries bounds how often Get starts over when the object is
// replaced between opening its content and reading its metadata.
const staleReadRetries = 5

// Get opens the content (with the conditions GCS evaluates natively and the
// range in GCS's own form), takes the metadata of exactly the generation
// being served from the response's headers (or, where they do not carry
// all of it, from a second request for that generation), checks every
// condition locally and returns both.
// Metadata, attributes and bytes therefore always belong to one version of
// the object. If that generation is gone by the time its metadata is read
// (overwritten in a bucket without versioning), Get starts over.
//
// A Head (opts.Head) reads the metadata only.
func (s *Store) Get(ctx context.Context, path core.Path, opts core.GetOptions) (*core.GetResult, error) {
	var version int64
	if opts.Version != "" {
		g, ok := parseGeneration(opts.Version)
		if !ok {
			return nil, &core.Error{Kind: core.InvalidArgument, Store: kind, Path: string(path), Msg: "version " + strconv.Quote(opts.Version) + " is not a GCS generation"}
		}
		version = g
	}
	for attempt := 0; ; attempt++ {
		res, sum, err := s.get(ctx, path, opts, version)
		if err == nil && !opts.Head {
			s.resumeAndVerify(ctx, path, res, sum)
		}
		if err == nil || !errors.Is(err, errReplaced) || attempt == staleReadRetries {
			return res, err
		}
	}
}

// resumeAndVerify lets res's body resume where it broke or stalled, pinned
// to the generation being read, and checks a whole-object read against the
// CRC32C (or MD5) GCS stores for the object.
func (s *Store) resumeAndVerify(ctx context.Context, path core.Path, res *core.GetResult, sum driver.Checksum) {
	gen, _ := parseGeneration(res.Meta.Version)
	driver.ResumeWithGet(ctx, res, s.retry, core.GetOptions{}, func(ctx context.Context, o core.GetOptions) (*core.GetResult, error) {
		again, _, err := s.get(ctx, path, o, gen)
		if core.IsKind(err, core.NotFound) {
			// The generation being read is gone: the object was replaced
			// or deleted meanwhile.
			return nil, &core.Error{Kind: core.Precondition, Store: kind, Path: string(path), Msg: "the object changed while it was read (generation " + res.Meta.Version + " is gone)"}
		}
		return again, err
	})
	if res.Start == 0 && res.End == res.Meta.Size {
		driver.VerifyBody(res, sum)
	}
}

// storedChecksum is the checksum GCS keeps for an object: its CRC32C (which
// every object has, composed ones too), else its MD5; zero if neither was
// sent (a CRC32C of 0 is taken as missing: only empty content has it, save
// by chance).
func storedChecksum(a *storage.ObjectAttrs) driver.Checksum {
	if a.CRC32C != 0 {
		return driver.CRC32CChecksum(a.CRC32C)
	}
	if len(a.MD5) == md5.Size {
		return driver.Checksum{Algorithm: driver.MD5, Sum: a.MD5}
	}
	return driver.Checksum{}
}

var errReplaced = errors.New("object was replaced while it was being read")

// get opens one read. The content request and its body are bounded by a
// driver.ReadAttempt: a bound that passes cancels the context the SDK reads
// with, which also stops the SDK from reopening the read on its own. sum
// is the object's stored checksum.
func (s *Store) get(ctx context.Context, path core.Path, opts core.GetOptions, version int64) (*core.GetResult, driver.Checksum, error) {
	var sum driver.Checksum
	ctx, admitted, err := s.throttle.Admit(ctx)
	if err != nil {
		return nil, sum, mapError(err, path)
	}
	defer admitted()
	obj := s.object(ctx, path)
	if version != 0 {
		obj = obj.Generation(version)
	}
	if conds, ok := getConditions(opts); ok {
		obj = obj.If(conds)
	}
	if opts.Head {
		attrs, err := obj.Attrs(ctx)
		if err != nil {
			return nil, sum, mapError(err, path)
		}
		res, err := result(path, attrs, opts)
		if err != nil {
			return nil, sum, err
		}
		res.Body = http.NoBody
		return res, sum, nil
	}

	offset, length := int64(0), int64(-1)
	if r := opts.Range; r != nil {
		switch r.Kind {
		case core.RangeSuffix:
			offset = -int64(min(r.Length, 1<<62)) // GCS's suffix form: the last n bytes
			if r.Length == 0 {
				offset, length = 0, 0
			}
		case core.RangeBounded:
			offset, length = int64(r.Start), int64(r.End-r.Start)
		default:
			offset = int64(r.Start)
		}
	}
	rctx, attempt := s.timeouts.BeginRead(ctx)
	headers := &mediaHeaders{}
	rd, err := obj.NewRangeReader(withMediaHeaders(rctx, headers), offset, length)
	if err != nil {
		attempt.Abandon()
		var ge *googleapi.Error
		if opts.Range != nil && errors.As(err, &ge) && ge.Code == http.StatusRequestedRangeNotSatisfiable {
			res, err := s.unsatisfiable(ctx, path, obj, opts)
			return res, sum, err
		}
		return nil, sum, mapError(err, path)
	}
	body := attempt.Body(&reader{r: rd, path: path})
	ok := false
	defer func() {
		if !ok {
			body.Close()
		}
	}()
	attrs, complete := attrsFromMedia(path, headers.load())
	if !complete || attrs.Generation != rd.Attrs.Generation {
		attrs, err = s.object(ctx, path).Generation(rd.Attrs.Generation).Attrs(ctx)
	}
	if err == nil && (attrs.Generation != rd.Attrs.Generation || version != 0 && rd.Attrs.Generation != version) {
		// A server that ignored the generation asked for answered with
		// another one: the object was replaced.
		err = storage.ErrObjectNotExist
	}
	if err != nil {
		err = mapError(err, path)
		if core.IsKind(err, core.NotFound) && version == 0 {
			return nil, sum, &core.Error{Kind: core.NotFound, Store: kind, Path: string(path), Err: errReplaced}
		}
		return nil, sum, err
	}
	res, err := result(path, attrs, opts)
	if err != nil {
		return nil, sum, err
	}
	size := uint64(attrs.Size)
	res.End = size
	if opts.Range != nil {
		start, end, err := opts.Range.Resolve(size)
		if err != nil {
			return nil, sum, core.Wrap(core.InvalidArgument, kind, path, err)
		}
		res.Start, res.End = start, end
	}
	if res.Len() == 0 {
		res.Body = http.NoBody // nothing to read (a zero-byte object)
		return res, sum, nil   // the deferred Close ends the attempt
	}
	if rd.Attrs.StartOffset != int64(res.Start) || rd.Remain() != int64(res.Len()) {
		return nil, sum, &core.Error{Kind: core.Generic, Store: kind, Path: string(path), Msg: fmt.Sprintf("service answered bytes %d+%d, expected [%d, %d)", rd.Attrs.StartOffset, rd.Remain(), res.Start, res.End)}
	}
	res.Body = body
	ok = true
	return res, storedChecksum(attrs), nil
}

// unsatisfiable answers a range GCS refused (416): an error for a start at
// or past the end, but an empty read for a suffix of a zero-byte object,
// which object_store's semantics allow.
func (s *Store) unsatisfiable(ctx context.Context, path core.Path, obj *storage.ObjectHandle, opts core.GetOptions) (*core.GetResult, error) {
	attrs, err := obj.Attrs(ctx)
	if err != nil {
		return nil, mapError(err, path)
	}
	res, err := result(path, attrs, opts)
	if err != nil {
		return nil, err
	}
	start, end, err := opts.Range.Resolve(uint64(attrs.Size))
	if err != nil {
		return nil, core.Wrap(core.InvalidArgument, kind, path, err)
	}
	if start != end {
		return nil, &core.Error{Kind: core.Generic, Store: kind, Path: string(path), Msg: "service refused range " + opts.Range.String() + " of a non-empty object"}
	}
	res.Start, res.End, res.Body = start, end, http.NoBody
	return res, nil
}

// result is the metadata part of a get, after the conditions GCS could not
// evaluate (or an emulator ignored) are checked locally.
func result(path core.Path, attrs *storage.ObjectAttrs, opts core.GetOptions) (*core.GetResult, error) {
	m, err := metaOf(attrs)
	if err != nil {
		return nil, err
	}
	if err := opts.CheckPreconditions(m); err != nil {
		return nil, core.Wrap(core.Generic, kind, path, err)
	}
	return &core.GetResult{Meta: m, Attributes: attributesOf(attrs)}, nil
}

// reader maps the errors of a streaming read.
type reader struct {
	r    *storage.Reader
	path core.Path
}

func (b *reader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err != nil && err != io.EOF {
		err = mapError(err, b.path)
	}
	return n, err
}

func (b *reader) Close() error { return b.r.Close() }

func (s *Store) Head(ctx context.Context, path core.Path) (core.ObjectMeta, error) {
	ctx, admitted, err := s.throttle.Admit(ctx)
	if err != nil {
		return core.ObjectMeta{}, mapError(err, path)
	}
	defer admitted()
	attrs, err := s.object(ctx, path).Attrs(ctx)
	if err != nil {
		return core.ObjectMeta{}, mapError(err, path)
	}
	return metaOf(attrs)
}

// putConditions maps a put mode to generation conditions.
func putConditions(path core.Path, mode core.PutMode) (storage.Conditions, error) {
	switch mode.Kind {
	case core.PutCreate:
		return storage.Conditions{DoesNotExist: true}, nil
	case core.PutUpdate:
		v := mode.Version
		if v == "" {
			v = mode.ETag
		}
		if v == "" {
			return storage.Conditions{}, &core.Error{Kind: core.InvalidArgument, Store: kind, Path: string(path), Msg: "update mode needs the etag or version of the object it replaces"}
		}
		g, ok := parseGeneration(v)
		if !ok {
			// No object has this generation, so the condition cannot hold.
			return storage.Conditions{}, &core.Error{Kind: core.Precondition, Store: kind, Path: string(path), Msg: "etag/version " + strconv.Quote(v) + " is not a GCS generation"}
		}
		return storage.Conditions{GenerationMatch: g}, nil
	}
	return storage.Conditions{}, nil
}

// Put uploads the object in one request (a JSON API multipart upload,
// ChunkSize 0), with a CRC32C the service verifies.
func (s *Store) Put(ctx context.Context, path core.Path, data []byte, opts core.PutOptions) (core.PutResult, error) {
	if len(opts.Tags) > 0 {
		return core.PutResult{}, &core.Error{Kind: core.NotSupported, Store: kind, Path: string(path), Msg: "GCS has no object tags"}
	}
	conds, err := putConditions(path, opts.Mode)
	if err != nil {
		return core.PutResult{}, err
	}
	obj := s.object(ctx, path)
	if conds != (storage.Conditions{}) {
		obj = obj.If(conds)
	}
	attrs, err := s.write(ctx, obj, data, opts.Attributes)
	if err != nil {
		if opts.Mode.Kind == core.PutCreate {
			return core.PutResult{}, createError(err, path)
		}
		return core.PutResult{}, mapError(err, path)
	}
	g := generationString(attrs.Generation)
	return core.PutResult{ETag: g, Version: g}, nil
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// write uploads data in one request (ChunkSize 0: no buffer copy), which
// the SDK sends once and never retries; so the attempts are made here,
// under the retry policy (each bounded by the client options, as every
// request). Replaying is safe: the bytes are in memory, and a write either
// replaces the object whole or is conditional on its generation.
func (s *Store) write(ctx context.Context, obj *storage.ObjectHandle, data []byte, attrs core.Attributes) (*storage.ObjectAttrs, error) {
	ctx, admitted, err := s.throttle.Admit(ctx)
	if err != nil {
		return nil, err
	}
	defer admitted()
	var written *storage.ObjectAttrs
	err = s.retry.Do(ctx, func(ctx context.Context) error {
		a, err := s.writeOnce(ctx, obj, data, attrs)
		if err == nil {
			written = a
			return nil
		}
		if ctx.Err() == nil && (storage.ShouldRetry(err) || driver.IsAttemptTimeout(err)) {
			return driver.Retryable(err)
		}
		return err
	})
	return written, err
}

func (s *Store) writeOnce(ctx context.Context, obj *storage.ObjectHandle, data []byte, attrs core.Attributes) (*storage.ObjectAttrs, error) {
	w := obj.NewWriter(ctx)
	w.ChunkSize = 0
	applyAttributes(&w.ObjectAttrs, attrs)
	// No sniffing: an object without a Content-Type attribute is stored
	// without one, as on every other backend.
	w.ForceEmptyContentType = w.ContentType == ""
	w.CRC32C = crc32.Checksum(data, castagnoli)
	w.SendCRC32C = true
	if _, err := w.Write(data); err != nil {
		w.Close()
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return w.Attrs(), nil
}

func (s *Store) Delete(ctx context.Context, path core.Path) error {
	ctx, admitted, err := s.throttle.Admit(ctx)
	if err != nil {
		return mapError(err, path)
	}
	defer admitted()
	return mapError(s.object(ctx, path).Delete(ctx), path)
}

// deleteConcurrency bounds the deletes in flight of one DeleteMany: GCS
// has no batch delete in its JSON API client, and single deletes are cheap.
const deleteConcurrency = 32

// DeleteMany deletes with bounded concurrency; a missing object is NotFound.
func (s *Store) DeleteMany(ctx context.Context, paths []core.Path) []error {
	return core.DeleteConcurrently(ctx, s, paths, deleteConcurrency)
}

// listPrefix is the service prefix of a whole-segment prefix.
func listPrefix(prefix core.Path) string {
	if prefix == "" {
		return ""
	}
	return string(prefix) + "/"
}

// hidden reports names the store keeps out of listings: the parts of
// uploads in progress (see multipart.go), and directory placeholder
// objects ("dir/"), which are not valid paths.
func hidden(name string) bool {
	return strings.HasPrefix(name, partsPrefix+"/") || strings.HasSuffix(name, "/")
}

// objects iterates over a bucket listing; it stops at the first error,
// which it yields.
func (s *Store) objects(ctx context.Context, q *storage.Query) iter.Seq2[*storage.ObjectAttrs, error] {
	return func(yield func(*storage.ObjectAttrs, error) bool) {
		it := s.bucket.Retryer(s.retrying(ctx)).Objects(ctx, q)
		for {
			a, err := it.Next()
			if err == iterator.Done {
				return
			}
			if !yield(a, err) || err != nil {
				return
			}
		}
	}
}

// listFields are the only object fields a listing asks for.
var listFields = []string{"Name", "Size", "Updated", "Generation"}

// List pages through the bucket. GCS's startOffset is inclusive, so the
// object named exactly offset is dropped to make the offset exclusive.
func (s *Store) List(ctx context.Context, prefix core.Path, opts core.ListOptions) iter.Seq2[core.ObjectMeta, error] {
	return func(yield func(core.ObjectMeta, error) bool) {
		q := &storage.Query{Prefix: listPrefix(prefix), StartOffset: string(opts.Offset), Projection: storage.ProjectionNoACL}
		if err := q.SetAttrSelection(listFields); err != nil {
			yield(core.ObjectMeta{}, mapError(err, prefix))
			return
		}
		for a, err := range s.objects(ctx, q) {
			if err != nil {
				yield(core.ObjectMeta{}, mapError(err, prefix))
				return
			}
			if hidden(a.Name) || (opts.Offset != "" && a.Name <= string(opts.Offset)) {
				continue
			}
			m, err := metaOf(a)
			if !yield(m, err) || err != nil {
				return
			}
		}
	}
}

func (s *Store) ListWithDelimiter(ctx context.Context, prefix core.Path) (core.ListResult, error) {
	var res core.ListResult
	q := &storage.Query{Prefix: listPrefix(prefix), Delimiter: core.Delimiter, Projection: storage.ProjectionNoACL}
	if err := q.SetAttrSelection(listFields); err != nil {
		return res, mapError(err, prefix)
	}
	for a, err := range s.objects(ctx, q) {
		if err != nil {
			return core.ListResult{}, mapError(err, prefix)
		}
		if a.Prefix != "" {
			name := strings.TrimSuffix(a.Prefix, "/")
			if name == partsPrefix {
				continue
			}
			p, err := core.ParsePath(name)
			if err != nil {
				return core.ListResult{}, core.Wrap(core.InvalidPath, kind, prefix, err)
			}
			res.CommonPrefixes = append(res.CommonPrefixes, p)
			continue
		}
		if hidden(a.Name) {
			continue
		}
		m, err := metaOf(a)
		if err != nil {
			return core.ListResult{}, core.Wrap(core.InvalidPath, kind, prefix, err)
		}
		res.Objects = append(res.Objects, m)
	}
	res.Sort()
	return res, nil
}

// Copy is a server-side rewrite (the Copier loops until the service has
// copied everything). With IfNotExists the destination must not exist
// (ifGenerationMatch=0).
func (s *Store) Copy(ctx context.Context, from, to core.Path, opts core.CopyOptions) error {
	dst := s.object(ctx, to)
	if opts.IfNotExists {
		dst = dst.If(storage.Conditions{DoesNotExist: true})
	}
	ctx, admitted, err := s.throttle.Admit(ctx)
	if err != nil {
		return mapError(err, from)
	}
	defer admitted()
	_, err = dst.CopierFrom(s.object(ctx, from)).Run(ctx)
	if err == nil {
		return nil
	}
	if opts.IfNotExists {
		return createError(err, from)
	}
	return mapError(err, from)
}

// maxSignExpiry is V4 signing's limit.
const maxSignExpiry = 7 * 24 * time.Hour

// Sign makes a V4 signed URL with the service account's private key, offline.
// With a custom base_url the URL points there (path style).
func (s *Store) Sign(ctx context.Context, method string, path core.Path, expiresIn time.Duration) (string, error) {
	if s.signer == nil {
		return "", &core.Error{Kind: core.NotSupported, Store: kind, Path: string(path), Msg: "signing URLs needs a service-account key (service_account, service_account_key, or application_credentials naming a service-account file)"}
	}
	method = strings.ToUpper(method)
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodPost:
	default:
		return "", &core.Error{Kind: core.InvalidArgument, Store: kind, Path: string(path), Msg: "cannot sign method " + strconv.Quote(method)}
	}
	if expiresIn <= 0 || expiresIn > maxSignExpiry {
		return "", &core.Error{Kind: core.InvalidArgument, Store: kind, Path: string(path), Msg: "expiry must be more than 0 and at most 7 days"}
	}
	// The SDK writes X-Goog-Expires as whole seconds from its own clock,
	// rounded down, and X-Goog-Date rounded down too: expiring at the next
	// whole second plus expiresIn makes X-Goog-Expires what was asked.
	now := time.Now()
	expires := now.Add(expiresIn)
	if expiresIn <= maxSignExpiry-time.Second {
		expires = now.Truncate(time.Second).Add(time.Second + expiresIn)
	}
	opts := &storage.SignedURLOptions{
		GoogleAccessID: s.signer.ClientEmail,
		PrivateKey:     []byte(s.signer.PrivateKey),
		Method:         method,
		Expires:        expires,
		Scheme:         storage.SigningSchemeV4,
		Style:          storage.PathStyle(),
	}
	if s.endpoint != "" {
		u, err := url.Parse(s.endpoint)
		if err != nil {
			return "", core.Wrap(core.InvalidArgument, kind, path, err)
		}
		opts.Hostname = u.Host
		opts.Insecure = u.Scheme == "http"
	}
	signed, err := storage.SignedURL(s.name, string(path), opts)
	if err != nil {
		// The SDK's message never includes the key.
		return "", &core.Error{Kind: core.InvalidArgument, Store: kind, Path: string(path), Msg: "cannot sign URL", Err: err}
	}
	return signed, nil
}
