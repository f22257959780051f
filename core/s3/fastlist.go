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
// the SDK, with the error of the attempt when it failed on the wire. early
// (nil: none) is given the page's continuation token as soon as the body is
// read, before it is parsed.
func (f *fastGetter) list(ctx context.Context, q listQuery, buf *bytes.Buffer, page *listPage, early func(string)) (handled bool, err error) {
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
	if buf.Len() > maxListBody {
		return false, nil
	}
	if early != nil {
		if token, ok := peekNextToken(buf.Bytes()); ok {
			early(token)
		}
	}
	if parseListPage(buf.Bytes(), page) != nil {
		return false, nil
	}
	return true, nil
}

// peekNextToken finds a page's continuation token without parsing the page
// (markup cannot occur in character data, so the tag is found only as a
// tag); the caller checks it against the parsed page.
func peekNextToken(body []byte) (string, bool) {
	const open, end = "<NextContinuationToken>", "</NextContinuationToken>"
	i := bytes.Index(body, []byte(open))
	if i < 0 {
		return "", false
	}
	rest := body[i+len(open):]
	j := bytes.Index(rest, []byte(end))
	if j < 0 {
		return "", false
	}
	token, err := xmlText(rest[:j])
	return token, err == nil && token != ""
}

// listPage fetches one page: on the fast path where it applies, else (or
// when it declines) through the SDK, which then has one attempt less after
// a fast attempt that failed on the wire.
func (c *client) listPage(ctx context.Context, q listQuery, buf *bytes.Buffer, page *listPage, early func(string)) error {
	ctx, admitted, err := c.throttle.Admit(ctx)
	if err != nil {
		return err
	}
	defer admitted()
	var fastErr error
	if c.fast != nil {
		handled, err := c.fast.list(ctx, q, buf, page, early)
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

// listFetch is one page's request in flight.
type listFetch struct {
	k      int         // which of the two pages and bodies it fills
	token  string      // the token it asks with
	early  chan string // the next token, as soon as the body is read ("" when not known early)
	done   chan error  // the request's outcome, after early
	cancel func()
}

// listPages calls fn with each page of a listing, in order, until the last
// page or fn returns false. The next page is asked for as soon as its
// token is known, on the fast path before this page is even parsed, so
// that the request overlaps the parsing and fn's work (two pages and
// bodies, used in turn). An error is the service's (unmapped).
func (c *client) listPages(ctx context.Context, q listQuery, fn func(*listPage) bool) error {
	var (
		pages [2]listPage
		bufs  [2]bytes.Buffer
	)
	start := func(token string, k int) *listFetch {
		fctx, cancel := context.WithCancel(ctx)
		f := &listFetch{k: k, token: token, early: make(chan string, 1), done: make(chan error, 1), cancel: cancel}
		fq := q
		fq.token = token
		go func() {
			sent := false
			err := c.listPage(fctx, fq, &bufs[k], &pages[k], func(next string) { f.early <- next; sent = true })
			if !sent {
				f.early <- ""
			}
			f.done <- err
		}()
		return f
	}
	stop := func(f *listFetch) { // before its page and body are used again
		if f != nil {
			f.cancel()
			<-f.done
		}
	}
	cur := start(q.token, 0)
	for {
		var next *listFetch
		if token := <-cur.early; token != "" && token != cur.token {
			next = start(token, cur.k^1)
		}
		err := <-cur.done
		cur.cancel()
		if err != nil {
			stop(next)
			return err
		}
		page := &pages[cur.k]
		// As the SDK's paginator: a truncated page without a token, or
		// the same token again, ends the listing rather than loop.
		more := page.IsTruncated && page.NextToken != "" && page.NextToken != cur.token
		if next != nil && (!more || next.token != page.NextToken) {
			stop(next) // the early token was not the page's
			next = nil
		}
		if more && next == nil {
			next = start(page.NextToken, cur.k^1)
		}
		if !fn(page) || !more {
			stop(next)
			return nil
		}
		cur = next
	}
}
