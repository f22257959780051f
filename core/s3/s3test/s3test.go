// Package s3test holds what tests of S3-compatible servers share, inside and
// outside core: clean-up done with a plain SDK client (not this library's
// code), so that a bug in the store under test cannot hide its own leftovers.
package s3test

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// RemoveBucket aborts the bucket's open multipart uploads, deletes every
// object in it and removes it. Errors are ignored: it runs at the end of a
// test, when the bucket may already be gone.
func RemoveBucket(api *s3.Client, bucket string) {
	ctx := context.Background()
	if uploads, err := api.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: &bucket}); err == nil {
		for _, u := range uploads.Uploads {
			_, _ = api.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &bucket, Key: u.Key, UploadId: u.UploadId})
		}
	}
	pages := s3.NewListObjectsV2Paginator(api, &s3.ListObjectsV2Input{Bucket: &bucket})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			break
		}
		for _, o := range page.Contents {
			_, _ = api.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &bucket, Key: o.Key})
		}
	}
	_, _ = api.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: &bucket})
}
