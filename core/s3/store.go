package s3

import (
	"bytes"
	"context"
	"crypto/md5" //nolint:gosec // SSE-C key digests and multipart ETags are MD5
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/libobjstore/objstore/core"
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
func newStore(c core.Config, env map[string]string) (*Store, error) {
	r, err := resolve(c, env)
	if err != nil {
		return nil, err
	}
	cl, err := newClient(r)
	if err != nil {
		return nil, err
	}
	return &Store{c: cl}, nil
}

// deleteBatch is S3's DeleteObjects limit.
const deleteBatch = 1000

// deleteConcurrency bounds the DeleteObjects (or single deletes) in flight.
const deleteConcurrency = 4

// maxCopyPart is the largest part UploadPartCopy copies.
const maxCopyPart = 5 << 30

// ---- reads ----

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
		core.ResumeWithGet(ctx, res, s.c.retry, core.GetOptions{IfMatch: res.Meta.ETag, Version: res.Meta.Version},
			func(ctx context.Context, o core.GetOptions) (*core.GetResult, error) {
				again, _, err := s.get(ctx, path, o)
				return again, err
			})
	}
	if sum.Algorithm != 0 && res.Start == 0 && res.End == res.Meta.Size {
		core.VerifyBody(res, sum)
	}
	return res, nil
}

// checksumModeHeader asks S3 for the checksum it stored with the object
// (x-amz-checksum-*), which it sends only for reads of the whole object.
const checksumModeHeader = "X-Amz-Checksum-Mode"

// checksumModeEnabled is its value, shared by every request (read only).
var checksumModeEnabled = []string{"ENABLED"}

// checksumOf picks the whole-object checksum of an answer. Composite
// checksums of multipart uploads ("…-N", type COMPOSITE) are checksums of
// the parts' checksums and cannot be checked against the bytes alone.
func checksumOf(out *s3.GetObjectOutput) core.Checksum {
	if out.ChecksumType == types.ChecksumTypeComposite {
		return core.Checksum{}
	}
	for _, c := range []struct {
		alg   core.ChecksumAlgorithm
		value *string
	}{
		{core.CRC64NVME, out.ChecksumCRC64NVME}, {core.CRC32C, out.ChecksumCRC32C}, {core.CRC32, out.ChecksumCRC32},
		{core.SHA256, out.ChecksumSHA256}, {core.SHA1, out.ChecksumSHA1},
	} {
		if c.value != nil {
			if sum, ok := core.ParseChecksum(c.alg, *c.value); ok {
				return sum
			}
		}
	}
	return core.Checksum{}
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
// bound it, and its body, by a core.ReadAttempt. sum is the service's
// checksum of the whole object, if it sent one that can be checked.
func (s *Store) get(ctx context.Context, path core.Path, opts core.GetOptions) (res *core.GetResult, sum core.Checksum, err error) {
	if opts.Range != nil {
		if err := opts.Range.Validate(); err != nil {
			return nil, sum, core.Wrap(core.InvalidArgument, storeName, path, err)
		}
	}
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
		var total uint64
		if start, end, total, err = parseContentRange(cr); err != nil {
			body.Close()
			return nil, sum, &core.Error{Kind: core.Generic, Store: storeName, Path: string(path), Msg: "GetObject: " + err.Error()}
		}
		size, partial = total, true
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

// parseContentRange reads "bytes START-END/TOTAL" into [start, end+1) and
// the object size.
func parseContentRange(v string) (start, end, total uint64, err error) {
	spec, ok := strings.CutPrefix(v, "bytes ")
	if !ok {
		return 0, 0, 0, fmt.Errorf("unexpected Content-Range %q", v)
	}
	rng, tot, ok := strings.Cut(spec, "/")
	if rng == "0--1" && tot == "0" {
		// MinIO's answer to a suffix range of an empty object: the empty read.
		return 0, 0, 0, nil
	}
	first, last, ok2 := strings.Cut(rng, "-")
	if !ok || !ok2 {
		return 0, 0, 0, fmt.Errorf("unexpected Content-Range %q", v)
	}
	s, err1 := strconv.ParseUint(first, 10, 64)
	e, err2 := strconv.ParseUint(last, 10, 64)
	t, err3 := strconv.ParseUint(tot, 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || e < s {
		return 0, 0, 0, fmt.Errorf("unexpected Content-Range %q", v)
	}
	return s, e + 1, t, nil
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
	return core.JoinAttributes(core.HTTPAttributes{
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

// ---- writes ----

// objectHeaders are the attribute, metadata, tagging and encryption fields
// shared by PutObject and CreateMultipartUpload.
type objectHeaders struct {
	contentType, disposition, encoding, language, cacheControl *string
	metadata                                                   map[string]string
	tagging                                                    *string
}

func (s *Store) headersFor(path core.Path, attrs core.Attributes, tags map[string]string) (objectHeaders, error) {
	std, metadata := attrs.Split()
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
	}
	mode := opRead
	switch opts.Mode.Kind {
	case core.PutCreate:
		if s.c.s.conditionalPutDisabled {
			return core.PutResult{}, &core.Error{Kind: core.NotImplemented, Store: storeName, Path: string(path), Msg: "create-only puts are disabled (conditional_put = disabled)"}
		}
		in.IfNoneMatch, mode = aws.String("*"), opPutCreate
	case core.PutUpdate:
		if s.c.s.conditionalPutDisabled {
			return core.PutResult{}, &core.Error{Kind: core.NotImplemented, Store: storeName, Path: string(path), Msg: "conditional updates are disabled (conditional_put = disabled)"}
		}
		if opts.Mode.ETag == "" {
			return core.PutResult{}, &core.Error{Kind: core.InvalidArgument, Store: storeName, Path: string(path), Msg: "S3 conditional updates need an ETag (S3 cannot condition a put on a version)"}
		}
		in.IfMatch, mode = aws.String(opts.Mode.ETag), opPutUpdate
	}
	sum := s.c.checksumOf(data)
	sum.set(s.c.s.checksumAlgorithm, &in.ChecksumCRC32, &in.ChecksumCRC32C, &in.ChecksumCRC64NVME, &in.ChecksumSHA1, &in.ChecksumSHA256)
	s.c.encryption(&in.ServerSideEncryption, &in.SSEKMSKeyId, &in.BucketKeyEnabled)
	s.c.customerKey(&in.SSECustomerAlgorithm, &in.SSECustomerKey, &in.SSECustomerKeyMD5)
	out, err := s.c.api.PutObject(ctx, in, s.c.payloadHash(sum))
	if err != nil {
		return core.PutResult{}, s.c.mapError("PutObject", path, err, mode)
	}
	return core.PutResult{ETag: aws.ToString(out.ETag), Version: aws.ToString(out.VersionId)}, nil
}

func (s *Store) PutMultipart(ctx context.Context, path core.Path, opts core.MultipartOptions) (core.MultipartUpload, error) {
	h, err := s.headersFor(path, opts.Attributes, opts.Tags)
	if err != nil {
		return nil, err
	}
	in := &s3.CreateMultipartUploadInput{
		Bucket:             &s.c.bucket,
		Key:                aws.String(string(path)),
		ContentType:        h.contentType,
		ContentDisposition: h.disposition,
		ContentEncoding:    h.encoding,
		ContentLanguage:    h.language,
		CacheControl:       h.cacheControl,
		Metadata:           h.metadata,
		Tagging:            h.tagging,
	}
	if s.c.s.checksumAlgorithm != "" {
		in.ChecksumAlgorithm = types.ChecksumAlgorithm(s.c.s.checksumAlgorithm)
	}
	s.c.encryption(&in.ServerSideEncryption, &in.SSEKMSKeyId, &in.BucketKeyEnabled)
	s.c.customerKey(&in.SSECustomerAlgorithm, &in.SSECustomerKey, &in.SSECustomerKeyMD5)
	out, err := s.createUpload(ctx, in)
	if err != nil {
		return nil, s.c.mapError("CreateMultipartUpload", path, err, opRead)
	}
	return &upload{s: s, path: path, id: aws.ToString(out.UploadId), parts: map[int32]types.CompletedPart{}, headers: h}, nil
}

// upload is one multipart upload; PutPart may be called concurrently.
type upload struct {
	s       *Store
	path    core.Path
	id      string
	headers objectHeaders

	mu    sync.Mutex
	parts map[int32]types.CompletedPart
}

func (u *upload) PutPart(ctx context.Context, index int, data []byte) error {
	if index < 0 || index >= 10000 {
		return &core.Error{Kind: core.InvalidArgument, Store: storeName, Path: string(u.path), Msg: fmt.Sprintf("part index %d is outside S3's 0..9999", index)}
	}
	number := int32(index + 1)
	in := &s3.UploadPartInput{
		Bucket:        &u.s.c.bucket,
		Key:           aws.String(string(u.path)),
		UploadId:      &u.id,
		PartNumber:    &number,
		Body:          bytes.NewReader(data),
		ContentLength: aws.Int64(int64(len(data))),
	}
	sum := u.s.c.checksumOf(data)
	sum.set(u.s.c.s.checksumAlgorithm, &in.ChecksumCRC32, &in.ChecksumCRC32C, &in.ChecksumCRC64NVME, &in.ChecksumSHA1, &in.ChecksumSHA256)
	u.s.c.customerKey(&in.SSECustomerAlgorithm, &in.SSECustomerKey, &in.SSECustomerKeyMD5)
	out, err := u.s.c.api.UploadPart(ctx, in, u.s.c.payloadHash(sum))
	if err != nil {
		return u.s.c.mapError("UploadPart", u.path, err, opRead)
	}
	// Complete lists each part's checksum: the one sent, whether or not
	// the service echoed it.
	part := types.CompletedPart{PartNumber: &number, ETag: out.ETag}
	sum.set(u.s.c.s.checksumAlgorithm, &part.ChecksumCRC32, &part.ChecksumCRC32C, &part.ChecksumCRC64NVME, &part.ChecksumSHA1, &part.ChecksumSHA256)
	u.mu.Lock()
	u.parts[number] = part
	u.mu.Unlock()
	return nil
}

func (u *upload) Complete(ctx context.Context) (core.PutResult, error) {
	u.mu.Lock()
	parts := make([]types.CompletedPart, 0, len(u.parts))
	for _, p := range u.parts {
		parts = append(parts, p)
	}
	u.mu.Unlock()
	if len(parts) == 0 {
		// S3 cannot complete an upload of no parts: drop it and write the
		// empty object with the same attributes.
		if err := u.Abort(ctx); err != nil {
			return core.PutResult{}, err
		}
		return u.s.putEmpty(ctx, u.path, u.headers)
	}
	sort.Slice(parts, func(i, j int) bool { return *parts[i].PartNumber < *parts[j].PartNumber })
	out, err := u.s.c.api.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket:          &u.s.c.bucket,
		Key:             aws.String(string(u.path)),
		UploadId:        &u.id,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
	})
	if err != nil {
		mapped := u.s.c.mapError("CompleteMultipartUpload", u.path, err, opRead)
		if core.IsKind(mapped, core.NotFound) {
			// A retried Complete whose first answer was lost finds the
			// upload gone: if the object has exactly the ETag these parts
			// make, that first attempt completed it.
			if res, ok := u.completedEarlier(ctx, parts); ok {
				return res, nil
			}
		}
		return core.PutResult{}, mapped
	}
	return core.PutResult{ETag: aws.ToString(out.ETag), Version: aws.ToString(out.VersionId)}, nil
}

// completedEarlier reports whether the object now is this upload's result:
// its ETag is the MD5 of the parts' MD5s, a dash and the part count.
func (u *upload) completedEarlier(ctx context.Context, parts []types.CompletedPart) (core.PutResult, bool) {
	digests := md5.New()
	for _, p := range parts {
		sum, err := hex.DecodeString(strings.Trim(aws.ToString(p.ETag), `"`))
		if err != nil || len(sum) != md5.Size {
			return core.PutResult{}, false // not MD5 part ETags (e.g. SSE-KMS): cannot tell
		}
		digests.Write(sum)
	}
	want := fmt.Sprintf("%x-%d", digests.Sum(nil), len(parts))
	meta, err := u.s.Head(ctx, u.path)
	if err != nil || strings.Trim(meta.ETag, `"`) != want {
		return core.PutResult{}, false
	}
	return core.PutResult{ETag: meta.ETag, Version: meta.Version}, true
}

func (s *Store) putEmpty(ctx context.Context, path core.Path, h objectHeaders) (core.PutResult, error) {
	in := &s3.PutObjectInput{
		Bucket: &s.c.bucket, Key: aws.String(string(path)), Body: bytes.NewReader(nil), ContentLength: aws.Int64(0),
		ContentType: h.contentType, ContentDisposition: h.disposition, ContentEncoding: h.encoding,
		ContentLanguage: h.language, CacheControl: h.cacheControl, Metadata: h.metadata, Tagging: h.tagging,
	}
	sum := s.c.checksumOf(nil)
	sum.set(s.c.s.checksumAlgorithm, &in.ChecksumCRC32, &in.ChecksumCRC32C, &in.ChecksumCRC64NVME, &in.ChecksumSHA1, &in.ChecksumSHA256)
	s.c.encryption(&in.ServerSideEncryption, &in.SSEKMSKeyId, &in.BucketKeyEnabled)
	s.c.customerKey(&in.SSECustomerAlgorithm, &in.SSECustomerKey, &in.SSECustomerKeyMD5)
	out, err := s.c.api.PutObject(ctx, in, s.c.payloadHash(sum))
	if err != nil {
		return core.PutResult{}, s.c.mapError("PutObject", path, err, opRead)
	}
	return core.PutResult{ETag: aws.ToString(out.ETag), Version: aws.ToString(out.VersionId)}, nil
}

func (u *upload) Abort(ctx context.Context) error {
	_, err := u.s.c.api.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{
		Bucket: &u.s.c.bucket, Key: aws.String(string(u.path)), UploadId: &u.id,
	})
	if err != nil && !core.IsKind(u.s.c.mapError("AbortMultipartUpload", u.path, err, opRead), core.NotFound) {
		return u.s.c.mapError("AbortMultipartUpload", u.path, err, opRead)
	}
	return nil
}

// ---- listing ----

// listPrefix is the S3 string prefix for a whole-segment prefix.
func listPrefix(prefix core.Path) *string {
	if prefix == "" {
		return nil
	}
	return aws.String(string(prefix) + "/")
}

func (s *Store) List(ctx context.Context, prefix core.Path, opts core.ListOptions) iter.Seq2[core.ObjectMeta, error] {
	return func(yield func(core.ObjectMeta, error) bool) {
		in := &s3.ListObjectsV2Input{Bucket: &s.c.bucket, Prefix: listPrefix(prefix)}
		if opts.Offset != "" {
			in.StartAfter = aws.String(string(opts.Offset)) // exclusive, as our contract
		}
		pages := s3.NewListObjectsV2Paginator(s.c.api, in)
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			if err != nil {
				yield(core.ObjectMeta{}, s.c.mapError("ListObjectsV2", prefix, err, opRead))
				return
			}
			for _, obj := range page.Contents {
				meta, ok, err := objectMeta(obj)
				if !ok {
					continue
				}
				if err == nil && opts.Offset != "" && meta.Location <= opts.Offset {
					continue // a server ignoring start-after must not break the contract
				}
				if !yield(meta, err) || err != nil {
					return
				}
			}
		}
	}
}

// objectMeta converts a listed object; ok is false for keys that are not
// objects of this model (directory markers ending in "/").
func objectMeta(obj types.Object) (core.ObjectMeta, bool, error) {
	key := aws.ToString(obj.Key)
	if strings.HasSuffix(key, "/") {
		return core.ObjectMeta{}, false, nil
	}
	p, err := core.ParsePath(key)
	if err != nil || string(p) != key {
		return core.ObjectMeta{}, true, &core.Error{Kind: core.InvalidPath, Store: storeName, Path: key, Msg: "the bucket holds a key that is not a valid path"}
	}
	return core.ObjectMeta{
		Location:     p,
		LastModified: aws.ToTime(obj.LastModified),
		Size:         uint64(aws.ToInt64(obj.Size)),
		ETag:         aws.ToString(obj.ETag),
	}, true, nil
}

func (s *Store) ListWithDelimiter(ctx context.Context, prefix core.Path) (core.ListResult, error) {
	var res core.ListResult
	pages := s3.NewListObjectsV2Paginator(s.c.api, &s3.ListObjectsV2Input{
		Bucket: &s.c.bucket, Prefix: listPrefix(prefix), Delimiter: aws.String("/"),
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return core.ListResult{}, s.c.mapError("ListObjectsV2", prefix, err, opRead)
		}
		for _, cp := range page.CommonPrefixes {
			key := strings.TrimSuffix(aws.ToString(cp.Prefix), "/")
			p, err := core.ParsePath(key)
			if err != nil || string(p) != key {
				return core.ListResult{}, &core.Error{Kind: core.InvalidPath, Store: storeName, Path: key, Msg: "the bucket holds a key that is not a valid path"}
			}
			res.CommonPrefixes = append(res.CommonPrefixes, p)
		}
		for _, obj := range page.Contents {
			meta, ok, err := objectMeta(obj)
			if err != nil {
				return core.ListResult{}, err
			}
			if ok {
				res.Objects = append(res.Objects, meta)
			}
		}
	}
	res.Sort()
	return res, nil
}

// ---- copy and delete ----

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

// copyMultipart is copy_if_not_exists = multipart: the source is copied
// into a multipart upload that is completed with If-None-Match: *. The
// source's attributes and metadata are carried over (object_store drops
// them); its tags are not.
func (s *Store) copyMultipart(ctx context.Context, from, to core.Path) error {
	head, err := s.headResult(ctx, from, core.GetOptions{Head: true})
	if err != nil {
		return err
	}
	src := head.Meta
	h, err := s.headersFor(to, head.Attributes, nil)
	if err != nil {
		return err
	}
	create := &s3.CreateMultipartUploadInput{
		Bucket: &s.c.bucket, Key: aws.String(string(to)),
		ContentType: h.contentType, ContentDisposition: h.disposition, ContentEncoding: h.encoding,
		ContentLanguage: h.language, CacheControl: h.cacheControl, Metadata: h.metadata,
	}
	s.c.encryption(&create.ServerSideEncryption, &create.SSEKMSKeyId, &create.BucketKeyEnabled)
	s.c.customerKey(&create.SSECustomerAlgorithm, &create.SSECustomerKey, &create.SSECustomerKeyMD5)
	created, err := s.createUpload(ctx, create)
	if err != nil {
		return s.c.mapError("CreateMultipartUpload", to, err, opRead)
	}
	up := &upload{s: s, path: to, id: aws.ToString(created.UploadId)}
	fail := func(err error) error {
		_ = up.Abort(context.WithoutCancel(ctx))
		return err
	}
	var parts []types.CompletedPart
	for offset, n := uint64(0), int32(1); offset < src.Size || n == 1; n++ {
		in := &s3.UploadPartCopyInput{
			Bucket: &s.c.bucket, Key: aws.String(string(to)), UploadId: created.UploadId, PartNumber: aws.Int32(n),
			CopySource: aws.String(copySource(s.c.bucket, string(from))),
			// The copied bytes must be the ones just examined.
			CopySourceIfMatch: optString(src.ETag),
		}
		if src.Size > 0 {
			end := min(offset+maxCopyPart, src.Size)
			in.CopySourceRange = aws.String(fmt.Sprintf("bytes=%d-%d", offset, end-1))
			offset = end
		}
		s.c.customerKey(&in.SSECustomerAlgorithm, &in.SSECustomerKey, &in.SSECustomerKeyMD5)
		s.c.customerKey(&in.CopySourceSSECustomerAlgorithm, &in.CopySourceSSECustomerKey, &in.CopySourceSSECustomerKeyMD5)
		out, err := s.c.api.UploadPartCopy(ctx, in)
		if err != nil {
			return fail(s.c.mapError("UploadPartCopy", from, err, opRead))
		}
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(n), ETag: out.CopyPartResult.ETag})
		if src.Size == 0 {
			break
		}
	}
	_, err = s.c.api.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket: &s.c.bucket, Key: aws.String(string(to)), UploadId: created.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
		IfNoneMatch:     aws.String("*"),
	})
	if err != nil {
		return fail(s.c.mapError("CompleteMultipartUpload", to, err, opCopyIfNotExists))
	}
	return nil
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

// ---- signing ----

// maxPresignExpiry is SigV4's limit for presigned URLs.
const maxPresignExpiry = 7 * 24 * time.Hour

func (s *Store) Sign(ctx context.Context, method string, path core.Path, expiresIn time.Duration) (string, error) {
	if expiresIn <= 0 || expiresIn > maxPresignExpiry {
		return "", &core.Error{Kind: core.InvalidArgument, Store: storeName, Path: string(path), Msg: "presigned URLs expire after more than 0 s and at most 7 days"}
	}
	expires := s3.WithPresignExpires(expiresIn)
	key := aws.String(string(path))
	var (
		req *v4.PresignedHTTPRequest
		err error
	)
	switch strings.ToUpper(method) {
	case http.MethodGet:
		req, err = (s.c.presign.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: &s.c.bucket, Key: key}, expires))
	case http.MethodHead:
		req, err = (s.c.presign.PresignHeadObject(ctx, &s3.HeadObjectInput{Bucket: &s.c.bucket, Key: key}, expires))
	case http.MethodPut:
		req, err = (s.c.presign.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: &s.c.bucket, Key: key}, expires))
	case http.MethodDelete:
		req, err = (s.c.presign.PresignDeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &s.c.bucket, Key: key}, expires))
	default:
		return "", &core.Error{Kind: core.NotSupported, Store: storeName, Path: string(path), Msg: "cannot sign HTTP method " + method + " (GET, HEAD, PUT, DELETE)"}
	}
	if err != nil {
		return "", s.c.mapError("Presign", path, err, opRead)
	}
	return req.URL, nil
}

// ---- helpers ----

func optString(v string) *string {
	if v == "" {
		return nil
	}
	return &v
}

// encryption fills the server-side encryption fields of a write.
func (c *client) encryption(sse *types.ServerSideEncryption, kmsKey **string, bucketKey **bool) {
	if c.s.serverSideEncryption == "" || c.s.serverSideEncryption == "sse-c" {
		return
	}
	*sse = types.ServerSideEncryption(c.s.serverSideEncryption)
	if c.s.sseKMSKeyID != "" {
		*kmsKey = aws.String(c.s.sseKMSKeyID)
	}
	if c.s.sseBucketKeyEnabled != nil {
		*bucketKey = aws.Bool(*c.s.sseBucketKeyEnabled)
	}
}

// customerKey fills SSE-C fields, which every read and write of an SSE-C
// object must carry.
func (c *client) customerKey(algorithm, key, keyMD5 **string) {
	if c.s.sseCustomerKey == "" {
		return
	}
	raw, _ := base64.StdEncoding.DecodeString(c.s.sseCustomerKey) // validated by parseSettings
	sum := md5.Sum(raw)                                           //nolint:gosec // required by the protocol
	*algorithm = aws.String("AES256")
	*key = aws.String(c.s.sseCustomerKey)
	*keyMD5 = aws.String(base64.StdEncoding.EncodeToString(sum[:]))
}

// Throttle is the store's request window (shared by every handle of its
// config), for diagnostics and tests.
func (s *Store) Throttle() *core.Throttle { return s.c.throttle }
