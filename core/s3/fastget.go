package s3

import (
	"context"
	"encoding/xml"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	smithyauth "github.com/aws/smithy-go/auth"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// The SDK's middleware stack (about thirty steps: endpoint rules, ARN
// lookups, user agent, retry bookkeeping...) costs more client CPU per small
// GET than the request itself. fastGet sends the common GET — whole object
// or one range, no conditions, no version, no SSE-C, no S3 Express — as one
// signed net/http request on the same transport, to the bucket's URL as the
// SDK's own endpoint rules resolve it once per store (AWS's regional,
// virtual-hosted or path-style, or a custom endpoint). Anything it
// does not handle, and every response but 200/206 (errors, redirects,
// throttling), goes through the SDK unchanged, which keeps error mapping
// and retries exactly as they are; only the happy path is shortened.

// emptyPayloadHash is the SHA-256 of an empty body, the payload hash of a GET.
const emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

type fastGetter struct {
	http      *http.Client
	base      string // endpoint + "/" + escaped bucket
	region    string
	creds     aws.CredentialsProvider
	anonymous bool
	signer    *v4.Signer
	userAgent string
	payer     bool
}

// newFastGetter returns nil where the fast path does not apply. Its
// credentials are the SDK client's: the same provider chain and cache.
func newFastGetter(r resolved, api *s3.Client, httpClient *http.Client) *fastGetter {
	s := r.settings
	if s.s3Express || s.sseCustomerKey != "" {
		return nil
	}
	o := api.Options()
	base, region, ok := bucketURL(o, r.bucket)
	if !ok {
		return nil
	}
	creds := o.Credentials
	_, anonymous := creds.(aws.AnonymousCredentials)
	anonymous = anonymous || creds == nil
	return &fastGetter{
		http:      httpClient,
		base:      base,
		region:    region,
		creds:     creds,
		anonymous: anonymous,
		signer:    v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }),
		userAgent: r.client.UserAgent,
		payer:     s.requestPayer,
	}
}

// bucketURL is the bucket's base URL and signing region as the SDK's
// endpoint rules resolve them for a GetObject with the client's options;
// ok is false where the answer is anything but a plain SigV4 "s3" endpoint
// (S3 Express, SigV4a multi-region access points, extra headers).
func bucketURL(o s3.Options, bucket string) (base, region string, ok bool) {
	if o.EndpointResolverV2 == nil {
		return "", "", false
	}
	params := s3.EndpointParameters{
		Bucket:                         aws.String(bucket),
		Region:                         aws.String(o.Region),
		UseFIPS:                        aws.Bool(o.EndpointOptions.UseFIPSEndpoint == aws.FIPSEndpointStateEnabled),
		UseDualStack:                   aws.Bool(o.EndpointOptions.UseDualStackEndpoint == aws.DualStackEndpointStateEnabled),
		Endpoint:                       o.BaseEndpoint,
		ForcePathStyle:                 aws.Bool(o.UsePathStyle),
		Accelerate:                     aws.Bool(o.UseAccelerate),
		DisableMultiRegionAccessPoints: aws.Bool(o.DisableMultiRegionAccessPoints),
		UseArnRegion:                   aws.Bool(o.UseARNRegion),
		DisableS3ExpressSessionAuth:    o.DisableS3ExpressSessionAuth,
	}
	ep, err := o.EndpointResolverV2.ResolveEndpoint(context.Background(), params)
	if err != nil || len(ep.Headers) != 0 || ep.URI.RawQuery != "" || ep.URI.Fragment != "" {
		return "", "", false
	}
	region = o.Region
	schemes, _ := smithyauth.GetAuthOptions(&ep.Properties)
	for i, scheme := range schemes {
		// The rules name the scheme "sigv4"; smithy's ID is the long form.
		if i > 0 || (scheme.SchemeID != "sigv4" && scheme.SchemeID != smithyauth.SchemeIDSigV4) {
			return "", "", false
		}
		if name, _ := smithyhttp.GetSigV4SigningName(&scheme.SignerProperties); name != "" && name != "s3" {
			return "", "", false
		}
		if r, _ := smithyhttp.GetSigV4SigningRegion(&scheme.SignerProperties); r != "" {
			region = r
		}
	}
	return strings.TrimRight(ep.URI.String(), "/"), region, true
}

func (f *fastGetter) handles(in *s3.GetObjectInput) bool {
	return f != nil && in.IfMatch == nil && in.IfNoneMatch == nil && in.IfModifiedSince == nil &&
		in.IfUnmodifiedSince == nil && in.VersionId == nil && in.SSECustomerKey == nil
}

// get returns handled=false when the caller must use the SDK instead,
// with the error of the attempt when it failed on the wire. The common
// refusals (404 and 416 with an S3 error document) come back as the
// service's error, so a missing object costs one request, not two.
func (f *fastGetter) get(ctx context.Context, in *s3.GetObjectInput) (out *s3.GetObjectOutput, handled bool, err error) {
	key := aws.ToString(in.Key)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.base+"/"+escapeKey(key), nil)
	if err != nil {
		return nil, false, nil
	}
	h := req.Header
	if in.Range != nil {
		h["Range"] = []string{*in.Range}
	} else {
		h[checksumModeHeader] = checksumModeEnabled
	}
	if !f.prepare(ctx, req) {
		return nil, false, nil
	}
	resp, err := f.http.Do(req)
	if err != nil {
		// The SDK retries connection failures; this was the first attempt.
		return nil, false, err
	}
	switch resp.StatusCode {
	case http.StatusOK, http.StatusPartialContent:
		return outputOf(resp), true, nil
	case http.StatusNotFound, http.StatusRequestedRangeNotSatisfiable:
		defer resp.Body.Close()
		if apiErr := serviceError(resp.Body); apiErr != nil {
			return nil, true, apiErr
		}
	}
	resp.Body.Close()
	return nil, false, nil
}

// prepare adds the headers every request of the fast path carries and
// signs it; false when it cannot (the SDK then sends the request).
func (f *fastGetter) prepare(ctx context.Context, req *http.Request) bool {
	return f.preparePayload(ctx, req, emptyPayloadHash)
}

// preparePayload is prepare for a request whose body has the SigV4 payload
// hash payloadHash.
func (f *fastGetter) preparePayload(ctx context.Context, req *http.Request, payloadHash string) bool {
	h := req.Header
	if f.userAgent != "" {
		h["User-Agent"] = []string{f.userAgent}
	}
	if f.payer {
		h["X-Amz-Request-Payer"] = []string{"requester"}
	}
	if f.anonymous {
		return true
	}
	creds, err := f.creds.Retrieve(ctx)
	if err != nil {
		return false
	}
	h["X-Amz-Content-Sha256"] = []string{payloadHash}
	return f.signer.SignHTTP(ctx, creds, req, payloadHash, "s3", f.region, time.Now()) == nil
}

// serviceError reads an S3 error document (<Error><Code>…</Code>…), or nil
// when the body is not one.
func serviceError(body io.Reader) error {
	var doc struct {
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	}
	if xml.NewDecoder(io.LimitReader(body, 16<<10)).Decode(&doc) != nil || doc.Code == "" {
		return nil
	}
	return &smithy.GenericAPIError{Code: doc.Code, Message: doc.Message}
}

// outputOf reads the headers the store uses into a GetObjectOutput.
func outputOf(resp *http.Response) *s3.GetObjectOutput {
	h := resp.Header
	out := &s3.GetObjectOutput{Body: resp.Body}
	out.ContentLength = aws.Int64(resp.ContentLength)
	if v := h.Get("Content-Length"); v != "" && resp.ContentLength < 0 {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			out.ContentLength = aws.Int64(n)
		}
	}
	str := func(name string) *string {
		if v, ok := h[name]; ok && len(v) > 0 {
			return aws.String(v[0])
		}
		return nil
	}
	out.ContentRange = str("Content-Range")
	out.ChecksumCRC32 = str("X-Amz-Checksum-Crc32")
	out.ChecksumCRC32C = str("X-Amz-Checksum-Crc32c")
	out.ChecksumCRC64NVME = str("X-Amz-Checksum-Crc64nvme")
	out.ChecksumSHA1 = str("X-Amz-Checksum-Sha1")
	out.ChecksumSHA256 = str("X-Amz-Checksum-Sha256")
	if v := str("X-Amz-Checksum-Type"); v != nil {
		out.ChecksumType = types.ChecksumType(*v)
	}
	out.ETag = str("Etag")
	out.VersionId = str("X-Amz-Version-Id")
	out.ContentType = str("Content-Type")
	out.ContentDisposition = str("Content-Disposition")
	out.ContentEncoding = str("Content-Encoding")
	out.ContentLanguage = str("Content-Language")
	out.CacheControl = str("Cache-Control")
	if v := h.Get("Last-Modified"); v != "" {
		if t, err := http.ParseTime(v); err == nil {
			out.LastModified = aws.Time(t)
		}
	}
	for name, vals := range h {
		if len(name) > len("X-Amz-Meta-") && strings.EqualFold(name[:len("X-Amz-Meta-")], "X-Amz-Meta-") && len(vals) > 0 {
			if out.Metadata == nil {
				out.Metadata = map[string]string{}
			}
			out.Metadata[strings.ToLower(name[len("X-Amz-Meta-"):])] = vals[0]
		}
	}
	return out
}

// escapeKey percent-encodes everything but unreserved characters and "/",
// as SigV4 canonical URIs of S3 require (signed as sent).
func escapeKey(key string) string {
	const hex = "0123456789ABCDEF"
	clean := true
	for i := 0; i < len(key); i++ {
		if !unreservedOrSlash(key[i]) {
			clean = false
			break
		}
	}
	if clean {
		return key
	}
	var b strings.Builder
	b.Grow(len(key) * 3)
	for i := 0; i < len(key); i++ {
		c := key[i]
		if unreservedOrSlash(c) {
			b.WriteByte(c)
		} else {
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}

func unreservedOrSlash(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '~' || c == '/'
}
