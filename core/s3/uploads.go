package s3

import (
	"context"
	"errors"
	"iter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/middleware"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/driver"
)

var _ core.UploadCleaner = (*Store)(nil)

// ListUploads lists the multipart uploads in progress under prefix
// (ListMultipartUploads, every page). MinIO matches a prefix only when it
// is a whole key (it lists nothing for "dir/"), so a prefix that lists
// nothing is tried again as a listing of the bucket, filtered here.
func (s *Store) ListUploads(ctx context.Context, prefix core.Path) iter.Seq2[core.PendingUpload, error] {
	return func(yield func(core.PendingUpload, error) bool) {
		found, stopped := s.listUploads(ctx, prefix, optString(listPrefix(prefix)), yield)
		if !found && !stopped && prefix != "" {
			s.listUploads(ctx, prefix, nil, yield)
		}
	}
}

// listUploads yields the uploads under prefix of one listing (server-side
// prefix serverPrefix); found says whether there were any, stopped whether
// the listing ended early (an error, or yield asked to stop).
func (s *Store) listUploads(ctx context.Context, prefix core.Path, serverPrefix *string, yield func(core.PendingUpload, error) bool) (found, stopped bool) {
	pages := s3.NewListMultipartUploadsPaginator(s.c.api, &s3.ListMultipartUploadsInput{Bucket: &s.c.bucket, Prefix: serverPrefix})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			yield(core.PendingUpload{}, s.c.mapError("ListMultipartUploads", prefix, err, opRead))
			return found, true
		}
		for _, u := range page.Uploads {
			key := aws.ToString(u.Key)
			p, err := core.ParsePath(key)
			if err != nil || string(p) != key {
				continue // not an object of this model (e.g. "a//b"): not ours to abort
			}
			if prefix != "" && (p == prefix || !p.HasPrefix(prefix)) {
				continue
			}
			found = true
			if !yield(core.PendingUpload{Path: p, ID: aws.ToString(u.UploadId), Initiated: aws.ToTime(u.Initiated)}, nil) {
				return found, true
			}
		}
	}
	return found, false
}

// AbortUpload aborts one upload (AbortMultipartUpload); NoSuchUpload is fine.
func (s *Store) AbortUpload(ctx context.Context, u core.PendingUpload) error {
	return (&upload{s: s, path: u.Path, id: u.ID}).Abort(ctx)
}

// createUpload is CreateMultipartUpload without orphans. The SDK retries a
// create whose answer was lost (a timeout, a reset, a 5xx other than a
// throttling 503): the first attempt may have started an upload whose id
// never arrived, which nobody would ever complete or abort. So when an
// attempt failed that way, the uploads of this key that began while the
// call ran (by the service's clock: between our own upload's Initiated and
// the call's length before it) other than ours are aborted. Another writer
// starting a multipart upload of the same key within those seconds would
// lose its upload to this (its Complete fails with NotFound): a race that
// one of the two writers loses anyway.
func (s *Store) createUpload(ctx context.Context, in *s3.CreateMultipartUploadInput) (*s3.CreateMultipartUploadOutput, error) {
	var lost bool // an attempt's answer may have been lost
	start := time.Now()
	out, err := s.c.api.CreateMultipartUpload(ctx, in, func(o *s3.Options) {
		o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
			return st.Finalize.Insert(middleware.FinalizeMiddlewareFunc("objstoreLostAnswer",
				func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
					out, md, err := next.HandleFinalize(ctx, in)
					lost = lost || answerMayBeLost(err)
					return out, md, err
				}), "Retry", middleware.After)
		})
	})
	if err != nil || !lost {
		return out, err
	}
	s.abortLostCreates(ctx, aws.ToString(in.Key), aws.ToString(out.UploadId), time.Since(start))
	return out, nil
}

// answerMayBeLost reports whether an attempt that failed with err may have
// been carried out by the service: anything but an HTTP answer that says it
// was not (a 4xx, or a throttling 503/429).
func answerMayBeLost(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	var resp *awshttp.ResponseError
	if errors.As(err, &resp) {
		status := resp.HTTPStatusCode()
		return status >= 500 && !driver.Throttling(status)
	}
	return true
}

// abortLostCreates aborts the uploads of key other than keep that began in
// the window before keep's, of the call's length plus a second of the
// service's timestamp rounding. Best effort: what it misses,
// CleanupUploads finds later.
func (s *Store) abortLostCreates(ctx context.Context, key, keep string, took time.Duration) {
	ctx = context.WithoutCancel(ctx)
	var ours time.Time
	var others []core.PendingUpload
	pages := s3.NewListMultipartUploadsPaginator(s.c.api, &s3.ListMultipartUploadsInput{Bucket: &s.c.bucket, Prefix: &key})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return
		}
		for _, u := range page.Uploads {
			if aws.ToString(u.Key) != key {
				continue
			}
			if aws.ToString(u.UploadId) == keep {
				ours = aws.ToTime(u.Initiated)
				continue
			}
			others = append(others, core.PendingUpload{Path: core.Path(key), ID: aws.ToString(u.UploadId), Initiated: aws.ToTime(u.Initiated)})
		}
	}
	if ours.IsZero() {
		return
	}
	from := ours.Add(-took - time.Second)
	for _, u := range others {
		if !u.Initiated.Before(from) && !u.Initiated.After(ours.Add(time.Second)) {
			_ = s.AbortUpload(ctx, u)
		}
	}
}
