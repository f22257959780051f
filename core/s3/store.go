package s3

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"iter"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/driver"
)

// Store is an S3 bucket. It is safe for concurrent use.
type Store struct {
	c *client
}

var (
	_ core.Store       = (*Store)(nil)
	_ core.BulkDeleter = (*Store)(nil)
	_ core.Signer      = (*Store)(nil)
)

// newStore opens the bucket a normalized document names, without any I/O.
func newStore(c core.Config, env map[string]string, o driver.OpenOptions) (*Store, error) {
	r, err := resolve(c, env)
	if err != nil {
		return nil, err
	}
	r.provider = o.Credentials
	cl, err := newClient(r)
	if err != nil {
		return nil, err
	}
	return &Store{c: cl}, nil
}

// Close closes the client's idle connections.
func (s *Store) Close() error {
	if s.c.credentials != nil {
		s.c.credentials.Close()
	}
	driver.CloseIdle(s.c.http.Transport)
	return nil
}

// deleteBatch is S3's DeleteObjects limit.
const deleteBatch = 1000

// deleteConcurrency bounds the DeleteObjects (or single deletes) in flight.
const deleteConcurrency = 4

func (s *Store) Get(ctx context.Context, path core.Path, opts core.GetOptions) (*core.GetResult, error) {
	res, sum, err := s.get(ctx, path, opts)
	// HTTP dates have whole seconds, and so does Last-Modified; a server
	// comparing them with sub-second modification times (versitygw) refuses
	// an If-Unmodified-Since equal to Last-Modified and ignores an equal
	// If-Modified-Since. Both are settled here at whole seconds (RFC 9110),
	// which changes nothing on servers that compare correctly.
	if opts.IfUnmodifiedSince != nil && opts.IfMatch == "" && core.IsKind(err, core.Precondition) {
		head, herr := s.headResult(ctx, path, core.GetOptions{Head: true, Version: opts.Version})
		if herr == nil && !head.Meta.LastModified.After(opts.IfUnmodifiedSince.Truncate(time.Second)) {
			// Pin the read to the version just checked.
			retry := opts
			retry.IfUnmodifiedSince, retry.IfMatch = nil, head.Meta.ETag
			res, sum, err = s.get(ctx, path, retry)
		}
	}
	if err == nil && opts.IfModifiedSince != nil && opts.IfNoneMatch == "" &&
		!res.Meta.LastModified.After(opts.IfModifiedSince.Truncate(time.Second)) {
		res.Body.Close()
		return nil, &core.Error{Kind: core.NotModified, Store: storeName, Path: string(path), Msg: "object was not modified after if_modified_since"}
	}
	if err != nil || opts.Head {
		return res, err
	}
	// A body that breaks or stalls resumes where it stopped, pinned to the
	// same object by etag (and version); the whole object's stored
	// checksum, when the service sent one, is checked over every byte.
	if res.Meta.ETag != "" || res.Meta.Version != "" {
		driver.ResumeWithGet(ctx, res, s.c.retry, core.GetOptions{IfMatch: res.Meta.ETag, Version: res.Meta.Version},
			func(ctx context.Context, o core.GetOptions) (*core.GetResult, error) {
				again, _, err := s.get(ctx, path, o)
				return again, err
			})
	}
	if sum.Algorithm != 0 && res.Start == 0 && res.End == res.Meta.Size {
		driver.VerifyBody(res, sum)
	}
	return res, nil
}

// sdkGet is GetObject through the SDK. After a fast-path attempt that
// failed on the wire (fastErr; the SDK retries every such failure), the
// SDK has one attempt less to make, so that the retry policy bounds the
// two together.
func (c *client) sdkGet(ctx context.Context, in *s3.GetObjectInput, fastErr error) (*s3.GetObjectOutput, error) {
	if fastErr == nil {
		return c.api.GetObject(ctx, in)
	}
	if c.retry.MaxRetries == 0 || ctx.Err() != nil {
		return nil, fastErr
	}
	return c.api.GetObject(ctx, in, func(o *s3.Options) { o.RetryMaxAttempts = c.retry.MaxRetries })
}

// get sends one GET (or the HEAD standing in for one); the client options
// bound it, and its body, by a driver.ReadAttempt. sum is the service's
// checksum of the whole object, if it sent one that can be checked.
func (s *Store) get(ctx context.Context, path core.Path, opts core.GetOptions) (res *core.GetResult, sum driver.Checksum, err error) {
	if opts.Head || (opts.Range != nil && opts.Range.Kind == core.RangeSuffix && opts.Range.Length == 0) {
		// A HEAD with the same conditions; "the last 0 bytes" is an empty
		// read that S3 cannot express as a Range header.
		res, err := s.headResult(ctx, path, opts)
		return res, sum, err
	}
	in := &s3.GetObjectInput{
		Bucket:            &s.c.bucket,
		Key:               aws.String(string(path)),
		IfMatch:           optString(opts.IfMatch),
		IfNoneMatch:       optString(opts.IfNoneMatch),
		IfModifiedSince:   opts.IfModifiedSince,
		IfUnmodifiedSince: opts.IfUnmodifiedSince,
		VersionId:         optString(opts.Version),
	}
	if opts.Range != nil {
		in.Range = aws.String(opts.Range.String())
	}
	s.c.customerKey(&in.SSECustomerAlgorithm, &in.SSECustomerKey, &in.SSECustomerKeyMD5)
	// The fast path and the SDK it falls back to are one operation.
	ctx, admitted, err := s.c.throttle.Admit(ctx)
	if err != nil {
		return nil, sum, s.c.mapError("GetObject", path, err, opRead)
	}
	defer admitted()
	var (
		out     *s3.GetObjectOutput
		handled bool
	)
	ctx, attempt := s.c.opts.Timeouts().BeginRead(ctx)
	ok := false
	defer func() {
		if !ok {
			attempt.Abandon()
		}
	}()
	if s.c.fast.handles(in) {
		out, handled, err = s.c.fast.get(ctx, in)
	}
	if !handled {
		out, err = s.c.sdkGet(ctx, in, err)
	}
	if err != nil {
		if opts.Range != nil && opts.Range.Kind == core.RangeSuffix && core.IsKind(s.c.mapError("GetObject", path, err, opRead), core.InvalidArgument) {
			// Some servers refuse any range of an empty object; a suffix
			// of one is the empty read.
			if res, herr := s.headResult(ctx, path, opts); herr == nil && res.Meta.Size == 0 {
				return res, sum, nil
			}
		}
		return nil, sum, s.c.mapError("GetObject", path, err, opRead)
	}
	// From here the body is bounded, and closing it ends the attempt.
	body := attempt.Body(out.Body)
	ok = true
	size := uint64(aws.ToInt64(out.ContentLength))
	start, end := uint64(0), size
	partial := false
	if cr := aws.ToString(out.ContentRange); cr != "" {
		r, err := driver.ParseContentRange(cr)
		if err != nil {
			body.Close()
			return nil, sum, &core.Error{Kind: core.Generic, Store: storeName, Path: string(path), Msg: "GetObject", Err: err}
		}
		start, end, size, partial = r.Start, r.End, r.Size, true
	}
	if opts.Range != nil && !partial {
		// The server sent the whole object; serve the range from it.
		rs, re, err := opts.Range.Resolve(size)
		if err != nil {
			body.Close()
			return nil, sum, core.Wrap(core.InvalidArgument, storeName, path, err)
		}
		if _, err := io.CopyN(io.Discard, body, int64(rs)); err != nil {
			body.Close()
			return nil, sum, s.c.mapError("GetObject", path, err, opRead)
		}
		body = readCloser{io.LimitReader(body, int64(re-rs)), body}
		start, end = rs, re
	}
	return &core.GetResult{
		Meta: core.ObjectMeta{
			Location:     path,
			LastModified: aws.ToTime(out.LastModified),
			Size:         size,
			ETag:         aws.ToString(out.ETag),
			Version:      aws.ToString(out.VersionId),
		},
		Start:      start,
		End:        end,
		Attributes: attributesOf(out.ContentType, out.ContentDisposition, out.ContentEncoding, out.ContentLanguage, out.CacheControl, out.Metadata),
		Body:       body,
	}, checksumOf(out), nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

func (s *Store) headResult(ctx context.Context, path core.Path, opts core.GetOptions) (*core.GetResult, error) {
	in := &s3.HeadObjectInput{
		Bucket:            &s.c.bucket,
		Key:               aws.String(string(path)),
		IfMatch:           optString(opts.IfMatch),
		IfNoneMatch:       optString(opts.IfNoneMatch),
		IfModifiedSince:   opts.IfModifiedSince,
		IfUnmodifiedSince: opts.IfUnmodifiedSince,
		VersionId:         optString(opts.Version),
	}
	s.c.customerKey(&in.SSECustomerAlgorithm, &in.SSECustomerKey, &in.SSECustomerKeyMD5)
	out, err := s.c.api.HeadObject(ctx, in)
	if err != nil {
		return nil, s.c.mapError("HeadObject", path, err, opRead)
	}
	meta := core.ObjectMeta{
		Location:     path,
		LastModified: aws.ToTime(out.LastModified),
		Size:         uint64(aws.ToInt64(out.ContentLength)),
		ETag:         aws.ToString(out.ETag),
		Version:      aws.ToString(out.VersionId),
	}
	res := &core.GetResult{
		Meta:       meta,
		Attributes: attributesOf(out.ContentType, out.ContentDisposition, out.ContentEncoding, out.ContentLanguage, out.CacheControl, out.Metadata),
		Body:       io.NopCloser(bytes.NewReader(nil)),
	}
	if !opts.Head { // the empty suffix read
		res.Start, res.End = meta.Size, meta.Size
	}
	return res, nil
}

func (s *Store) Head(ctx context.Context, path core.Path) (core.ObjectMeta, error) {
	res, err := s.headResult(ctx, path, core.GetOptions{Head: true})
	if err != nil {
		return core.ObjectMeta{}, err
	}
	return res.Meta, nil
}

func attributesOf(contentType, disposition, encoding, language, cacheControl *string, metadata map[string]string) core.Attributes {
	return driver.JoinAttributes(driver.HTTPAttributes{
		ContentType: aws.ToString(contentType), ContentDisposition: aws.ToString(disposition), ContentEncoding: aws.ToString(encoding),
		ContentLanguage: aws.ToString(language), CacheControl: aws.ToString(cacheControl),
	}, metadata)
}

// optional is nil for an unset (empty) attribute.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// objectHeaders are the attribute, metadata, tagging and encryption fields
// shared by PutObject and CreateMultipartUpload.
type objectHeaders struct {
	contentType, disposition, encoding, language, cacheControl *string
	metadata                                                   map[string]string
	tagging                                                    *string
}

func (s *Store) headersFor(path core.Path, attrs core.Attributes, tags map[string]string) (objectHeaders, error) {
	std, metadata := driver.SplitAttributes(attrs)
	h := objectHeaders{
		contentType: optional(std.ContentType), disposition: optional(std.ContentDisposition), encoding: optional(std.ContentEncoding),
		language: optional(std.ContentLanguage), cacheControl: optional(std.CacheControl),
	}
	for k, v := range metadata {
		if !validHeaderToken(k) {
			return h, &core.Error{Kind: core.InvalidArgument, Store: storeName, Path: string(path),
				Msg: fmt.Sprintf("metadata key %q cannot be sent to S3: keys must be HTTP header tokens (letters, digits, -_. and similar, no spaces)", k)}
		}
		if h.metadata == nil {
			h.metadata = map[string]string{}
		}
		h.metadata[strings.ToLower(k)] = v
	}
	if h.contentType == nil && s.c.opts.DefaultContentType != "" {
		h.contentType = aws.String(s.c.opts.DefaultContentType)
	}
	if len(tags) > 0 && !s.c.s.disableTagging {
		q := url.Values{}
		for k, v := range tags {
			q.Set(k, v)
		}
		h.tagging = aws.String(q.Encode())
	}
	return h, nil
}

func validHeaderToken(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		ch := k[i]
		if ch <= ' ' || ch >= 0x7f || strings.IndexByte("\"(),/:;<=>?@[\\]{}", ch) >= 0 {
			return false
		}
	}
	return true
}

func (s *Store) Put(ctx context.Context, path core.Path, data []byte, opts core.PutOptions) (core.PutResult, error) {
	h, err := s.headersFor(path, opts.Attributes, opts.Tags)
	if err != nil {
		return core.PutResult{}, err
	}
	var ifNoneMatch, ifMatch *string
	mode := opRead
	switch opts.Mode.Kind {
	case core.PutCreate:
		if s.c.s.conditionalPutDisabled {
			return core.PutResult{}, &core.Error{Kind: core.NotImplemented, Store: storeName, Path: string(path), Msg: "create-only puts are disabled (conditional_put = disabled)"}
		}
		ifNoneMatch, mode = aws.String("*"), opPutCreate
	case core.PutUpdate:
		if s.c.s.conditionalPutDisabled {
			return core.PutResult{}, &core.Error{Kind: core.NotImplemented, Store: storeName, Path: string(path), Msg: "conditional updates are disabled (conditional_put = disabled)"}
		}
		if opts.Mode.ETag == "" {
			return core.PutResult{}, &core.Error{Kind: core.InvalidArgument, Store: storeName, Path: string(path), Msg: "S3 conditional updates need an ETag (S3 cannot condition a put on a version)"}
		}
		ifMatch, mode = aws.String(opts.Mode.ETag), opPutUpdate
	}
	return s.putObject(ctx, path, data, h, ifNoneMatch, ifMatch, mode)
}

// putObject writes data in one PutObject with the headers h, the
// conditions given (nil: none), and what every write carries: the body's
// checksum and the encryption fields.
func (s *Store) putObject(ctx context.Context, path core.Path, data []byte, h objectHeaders, ifNoneMatch, ifMatch *string, mode opKind) (core.PutResult, error) {
	sum := s.c.checksumOf(data)
	if s.c.putsLean() {
		etag, version, handled := s.c.fast.put(ctx, putRequest{
			key: string(path), data: data, h: h, ifNoneMatch: ifNoneMatch, ifMatch: ifMatch,
			checksumHeader: checksumHeader(s.c.s.checksumAlgorithm), sum: sum, signPayload: s.c.s.signPayload,
		})
		if handled {
			return core.PutResult{ETag: etag, Version: version}, nil
		}
	}
	in := &s3.PutObjectInput{
		Bucket:             &s.c.bucket,
		Key:                aws.String(string(path)),
		Body:               bytes.NewReader(data),
		ContentLength:      aws.Int64(int64(len(data))),
		ContentType:        h.contentType,
		ContentDisposition: h.disposition,
		ContentEncoding:    h.encoding,
		ContentLanguage:    h.language,
		CacheControl:       h.cacheControl,
		Metadata:           h.metadata,
		Tagging:            h.tagging,
		IfNoneMatch:        ifNoneMatch,
		IfMatch:            ifMatch,
	}
	sum.set(s.c.s.checksumAlgorithm, &in.ChecksumCRC32, &in.ChecksumCRC32C, &in.ChecksumCRC64NVME, &in.ChecksumSHA1, &in.ChecksumSHA256)
	s.c.encryption(&in.ServerSideEncryption, &in.SSEKMSKeyId, &in.BucketKeyEnabled)
	s.c.customerKey(&in.SSECustomerAlgorithm, &in.SSECustomerKey, &in.SSECustomerKeyMD5)
	out, err := s.c.api.PutObject(ctx, in, s.c.payloadHash(sum))
	if err != nil {
		return core.PutResult{}, s.c.mapError("PutObject", path, err, mode)
	}
	return core.PutResult{ETag: aws.ToString(out.ETag), Version: aws.ToString(out.VersionId)}, nil
}

// listPrefix is the S3 string prefix for a whole-segment prefix.
func listPrefix(prefix core.Path) string {
	if prefix == "" {
		return ""
	}
	return string(prefix) + "/"
}

func (s *Store) List(ctx context.Context, prefix core.Path, opts core.ListOptions) iter.Seq2[core.ObjectMeta, error] {
	return func(yield func(core.ObjectMeta, error) bool) {
		// start-after is exclusive, as our contract
		q := listQuery{prefix: listPrefix(prefix), startAfter: string(opts.Offset)}
		stopped := false
		err := s.c.listPages(ctx, q, func(page *listPage) bool {
			for i := range page.Objects {
				meta, ok, err := objectMeta(&page.Objects[i])
				if !ok {
					continue
				}
				if err == nil && opts.Offset != "" && meta.Location <= opts.Offset {
					continue // a server ignoring start-after must not break the contract
				}
				if !yield(meta, err) || err != nil {
					stopped = true
					return false
				}
			}
			return true
		})
		if err != nil && !stopped {
			yield(core.ObjectMeta{}, s.c.mapError("ListObjectsV2", prefix, err, opRead))
		}
	}
}

// objectMeta converts a listed object; ok is false for keys that are not
// objects of this model (directory markers ending in "/").
func objectMeta(obj *listedObject) (core.ObjectMeta, bool, error) {
	key := obj.Key
	if strings.HasSuffix(key, "/") {
		return core.ObjectMeta{}, false, nil
	}
	p, err := core.ParsePath(key)
	if err != nil || string(p) != key {
		return core.ObjectMeta{}, true, &core.Error{Kind: core.InvalidPath, Store: storeName, Path: key, Msg: "the bucket holds a key that is not a valid path"}
	}
	return core.ObjectMeta{
		Location:     p,
		LastModified: obj.LastModified,
		Size:         uint64(obj.Size),
		ETag:         obj.ETag,
	}, true, nil
}

func (s *Store) ListWithDelimiter(ctx context.Context, prefix core.Path) (core.ListResult, error) {
	var (
		res    core.ListResult
		badKey error
	)
	err := s.c.listPages(ctx, listQuery{prefix: listPrefix(prefix), delimiter: "/"}, func(page *listPage) bool {
		for _, cp := range page.CommonPrefixes {
			key := strings.TrimSuffix(cp, "/")
			p, err := core.ParsePath(key)
			if err != nil || string(p) != key {
				badKey = &core.Error{Kind: core.InvalidPath, Store: storeName, Path: key, Msg: "the bucket holds a key that is not a valid path"}
				return false
			}
			res.CommonPrefixes = append(res.CommonPrefixes, p)
		}
		for i := range page.Objects {
			meta, ok, err := objectMeta(&page.Objects[i])
			if err != nil {
				badKey = err
				return false
			}
			if ok {
				res.Objects = append(res.Objects, meta)
			}
		}
		return true
	})
	if err != nil {
		return core.ListResult{}, s.c.mapError("ListObjectsV2", prefix, err, opRead)
	}
	if badKey != nil {
		return core.ListResult{}, badKey
	}
	res.Sort()
	return res, nil
}

func (s *Store) Copy(ctx context.Context, from, to core.Path, opts core.CopyOptions) error {
	if opts.IfNotExists {
		switch s.c.s.copyMode {
		case copyMultipart:
			return s.copyMultipart(ctx, from, to)
		case copyHeader:
			return s.copyWithHeader(ctx, from, to)
		}
	}
	in := s.copyInput(from, to)
	mode := opRead
	if opts.IfNotExists {
		in.IfNoneMatch, mode = aws.String("*"), opCopyIfNotExists
	}
	_, err := s.c.api.CopyObject(ctx, in)
	return s.copyError(from, err, mode)
}

func (s *Store) copyInput(from, to core.Path) *s3.CopyObjectInput {
	in := &s3.CopyObjectInput{
		Bucket:     &s.c.bucket,
		Key:        aws.String(string(to)),
		CopySource: aws.String(copySource(s.c.bucket, string(from))),
	}
	s.c.encryption(&in.ServerSideEncryption, &in.SSEKMSKeyId, &in.BucketKeyEnabled)
	s.c.customerKey(&in.SSECustomerAlgorithm, &in.SSECustomerKey, &in.SSECustomerKeyMD5)
	s.c.customerKey(&in.CopySourceSSECustomerAlgorithm, &in.CopySourceSSECustomerKey, &in.CopySourceSSECustomerKeyMD5)
	return in
}

// copyError maps a copy failure; a missing source is NotFound naming the
// source.
func (s *Store) copyError(from core.Path, err error, mode opKind) error {
	return s.c.mapError("CopyObject", from, err, mode)
}

// copyWithHeader is copy_if_not_exists = header[-with-status]: a plain copy
// with the configured header, the configured status meaning "exists".
func (s *Store) copyWithHeader(ctx context.Context, from, to core.Path) error {
	name, value, status := s.c.s.copyHeaderName, s.c.s.copyHeaderValue, s.c.s.copyConflictStatus
	_, err := s.c.api.CopyObject(ctx, s.copyInput(from, to), func(o *s3.Options) {
		o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
			return st.Build.Add(middleware.BuildMiddlewareFunc("objstoreCopyHeader", func(ctx context.Context, in middleware.BuildInput, next middleware.BuildHandler) (middleware.BuildOutput, middleware.Metadata, error) {
				if req, ok := in.Request.(*smithyhttp.Request); ok {
					req.Header.Set(name, value)
				}
				return next.HandleBuild(ctx, in)
			}), middleware.After)
		})
	})
	if err != nil {
		if resp := responseStatus(err); resp == status {
			return &core.Error{Kind: core.AlreadyExists, Store: storeName, Path: string(to), Msg: "copy destination exists"}
		}
	}
	return s.copyError(from, err, opCopyIfNotExists)
}

func (s *Store) Delete(ctx context.Context, path core.Path) error {
	_, err := s.c.api.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &s.c.bucket, Key: aws.String(string(path))})
	return s.c.mapError("DeleteObject", path, err, opRead)
}

// DeleteMany deletes with DeleteObjects, 1,000 keys per request, a few
// requests in flight; disable_bulk_delete uses single deletes instead.
func (s *Store) DeleteMany(ctx context.Context, paths []core.Path) []error {
	errs := make([]error, len(paths))
	sem := make(chan struct{}, deleteConcurrency)
	var wg sync.WaitGroup
	run := func(f func()) {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			f()
		}()
	}
	if s.c.s.disableBulkDelete {
		for i, p := range paths {
			run(func() { errs[i] = s.Delete(ctx, p) })
		}
		wg.Wait()
		return errs
	}
	for start := 0; start < len(paths); start += deleteBatch {
		batch := paths[start:min(start+deleteBatch, len(paths))]
		run(func() { s.deleteBatch(ctx, batch, errs[start:start+len(batch)]) })
	}
	wg.Wait()
	return errs
}

func (s *Store) deleteBatch(ctx context.Context, paths []core.Path, errs []error) {
	objects := make([]types.ObjectIdentifier, len(paths))
	index := make(map[string][]int, len(paths))
	for i, p := range paths {
		objects[i] = types.ObjectIdentifier{Key: aws.String(string(p))}
		index[string(p)] = append(index[string(p)], i)
	}
	out, err := s.c.api.DeleteObjects(ctx, &s3.DeleteObjectsInput{
		Bucket: &s.c.bucket,
		Delete: &types.Delete{Objects: objects, Quiet: aws.Bool(true)},
	})
	if err != nil {
		mapped := s.c.mapError("DeleteObjects", "", err, opRead)
		for i := range errs {
			errs[i] = mapped
		}
		return
	}
	for _, e := range out.Errors {
		key := aws.ToString(e.Key)
		code := aws.ToString(e.Code)
		kind := core.Generic
		switch code {
		case "NoSuchKey":
			kind = core.NotFound
		case "AccessDenied":
			kind = core.PermissionDenied
		}
		for _, i := range index[key] {
			errs[i] = &core.Error{Kind: kind, Store: storeName, Path: key, Msg: "DeleteObjects: " + code + ": " + aws.ToString(e.Message)}
		}
	}
}

// Throttle is the store's request window (shared by every handle of its
// config), for diagnostics and tests.
func (s *Store) Throttle() *driver.Throttle { return s.c.throttle }
