package s3

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/libobjstore/objstore/core"
)

// Multipart uploads: CreateMultipartUpload (without orphans, see
// uploads.go), parts uploaded concurrently with their checksums, and
// Complete, which recognizes a first attempt whose answer was lost. Copy
// if-not-exists in "multipart" mode is a copy into such an upload.

// maxCopyPart is the largest part UploadPartCopy copies.
const maxCopyPart = 5 << 30

// PutMultipart starts an upload with the object's attributes, tags,
// encryption and checksum algorithm; parts are numbered from 1 on S3.
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
	return s.putObject(ctx, path, nil, h, nil, nil, opRead)
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
