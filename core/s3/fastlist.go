package s3

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// A listing page costs the SDK its middleware stack and its XML
// deserializer; on the fast GET's terms (a path-style custom endpoint) a
// page is one signed net/http request whose body parseListPage reads.
// Every answer but a 200 the parser reads goes to the SDK, which keeps its
// error mapping and retries.

// listQuery is what one ListObjectsV2 request asks.
type listQuery struct {
	prefix, delimiter, startAfter, token string
}

func (q listQuery) sdkInput(bucket *string) *s3.ListObjectsV2Input {
	return &s3.ListObjectsV2Input{Bucket: bucket, Prefix: optString(q.prefix), Delimiter: optString(q.delimiter),
		StartAfter: optString(q.startAfter), ContinuationToken: optString(q.token)}
}

// maxListBody bounds a page's body (1,000 keys of 1 KiB are ~1.5 MiB).
const maxListBody = 64 << 20

// list sends one page's request. handled is false when the caller must ask
// the SDK, with the error of the attempt when it failed on the wire.
func (f *fastGetter) list(ctx context.Context, q listQuery, buf *bytes.Buffer, page *listPage) (handled bool, err error) {
	v := url.Values{"list-type": {"2"}}
	for name, value := range map[string]string{"prefix": q.prefix, "delimiter": q.delimiter,
		"start-after": q.startAfter, "continuation-token": q.token} {
		if value != "" {
			v.Set(name, value)
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.base+"?"+v.Encode(), nil)
	if err != nil {
		return false, nil
	}
	if !f.prepare(ctx, req) {
		return false, nil
	}
	resp, err := f.http.Do(req)
	if err != nil {
		return false, err // the SDK retries connection failures; this was the first attempt
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false, nil
	}
	buf.Reset()
	if _, err := buf.ReadFrom(io.LimitReader(resp.Body, maxListBody+1)); err != nil {
		return false, err
	}
	if buf.Len() > maxListBody || parseListPage(buf.Bytes(), page) != nil {
		return false, nil
	}
	return true, nil
}

// listPage fetches one page: on the fast path where it applies, else (or
// when it declines) through the SDK, which then has one attempt less after
// a fast attempt that failed on the wire.
func (c *client) listPage(ctx context.Context, q listQuery, buf *bytes.Buffer, page *listPage) error {
	ctx, admitted, err := c.throttle.Admit(ctx)
	if err != nil {
		return err
	}
	defer admitted()
	var fastErr error
	if c.fast != nil {
		handled, err := c.fast.list(ctx, q, buf, page)
		if handled {
			return nil
		}
		fastErr = err
	}
	in := q.sdkInput(&c.bucket)
	var out *s3.ListObjectsV2Output
	if fastErr == nil {
		out, err = c.api.ListObjectsV2(ctx, in)
	} else if c.retry.MaxRetries == 0 || ctx.Err() != nil {
		return fastErr
	} else {
		out, err = c.api.ListObjectsV2(ctx, in, func(o *s3.Options) { o.RetryMaxAttempts = c.retry.MaxRetries })
	}
	if err != nil {
		return err
	}
	page.Objects = page.Objects[:0]
	page.CommonPrefixes = page.CommonPrefixes[:0]
	for _, obj := range out.Contents {
		page.Objects = append(page.Objects, listedObject{Key: aws.ToString(obj.Key), LastModified: aws.ToTime(obj.LastModified),
			Size: aws.ToInt64(obj.Size), ETag: aws.ToString(obj.ETag)})
	}
	for _, cp := range out.CommonPrefixes {
		page.CommonPrefixes = append(page.CommonPrefixes, aws.ToString(cp.Prefix))
	}
	page.IsTruncated = aws.ToBool(out.IsTruncated)
	page.NextToken = aws.ToString(out.NextContinuationToken)
	return nil
}

// listPages calls fn with each page of a listing, in order, until the last
// page or fn returns false. The next page is asked for as soon as its
// token is known, so that the request overlaps fn's work on this one (two
// pages and bodies, used in turn). An error is the service's (unmapped).
func (c *client) listPages(ctx context.Context, q listQuery, fn func(*listPage) bool) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // a prefetch nobody will read stops
	var (
		pages [2]listPage
		bufs  [2]bytes.Buffer
	)
	fetch := func(q listQuery, k int) <-chan error {
		done := make(chan error, 1)
		go func() { done <- c.listPage(ctx, q, &bufs[k], &pages[k]) }()
		return done
	}
	k := 0
	next := fetch(q, k)
	for {
		if err := <-next; err != nil {
			return err
		}
		page := &pages[k]
		// As the SDK's paginator: a truncated page without a token, or
		// the same token again, ends the listing rather than loop.
		more := page.IsTruncated && page.NextToken != "" && page.NextToken != q.token
		if more {
			q.token = page.NextToken
			k ^= 1
			next = fetch(q, k)
		}
		if !fn(page) || !more {
			return nil
		}
	}
}
