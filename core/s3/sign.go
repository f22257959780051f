package s3

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/libobjstore/objstore/core"
)

// maxPresignExpiry is SigV4's limit for presigned URLs.
const maxPresignExpiry = 7 * 24 * time.Hour

// Sign presigns a SigV4 URL for GET, HEAD, PUT or DELETE on path, valid
// for expiresIn (more than 0, at most 7 days): offline, with the store's
// credentials.
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
