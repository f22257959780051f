package s3

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/logging"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/driver"
)

// client is the configured SDK client of one bucket.
type client struct {
	api     *s3.Client
	http    *http.Client // the SDK's and the fast path's, under the throttle
	presign *s3.PresignClient
	bucket  string
	s       settings
	opts    driver.ClientOptions
	fast    *fastGetter   // nil where the SDK handles every GET
	retry   driver.Policy // also resumes bodies broken mid-stream
	// throttle bounds the operations in flight when the service throttles;
	// every request of the client goes through its transport.
	throttle *driver.Throttle
	// credentials caches a credential provider's answers; nil when the
	// store has none.
	credentials *driver.CredentialCache
}

// newClient builds the aws.Config by hand — never config.LoadDefaultConfig,
// which would read shared config files and probe instance metadata.
func newClient(r resolved) (*client, error) {
	httpClient, err := r.client.HTTPClient()
	if err != nil {
		return nil, core.Wrap(core.InvalidArgument, storeName, "", err)
	}
	throttle := driver.NewThrottle(r.retry)
	httpClient.Transport = throttle.Transport(httpClient.Transport)
	policy := r.retry
	var cache *driver.CredentialCache
	if r.provider != nil {
		cache = driver.NewCredentialCache(storeName, r.provider, r.client.Timeout, checkCredential)
	}
	newRetryer := func() aws.Retryer { return &retryer{policy: policy, credentials: cache} }
	var creds aws.CredentialsProvider
	if cache != nil {
		creds = providerCredentials{cache}
	} else if creds, err = credentialsProvider(r.settings, httpClient, newRetryer); err != nil {
		return nil, err
	}
	cfg := aws.Config{
		Region:                     r.settings.region,
		Credentials:                creds,
		HTTPClient:                 httpClient,
		Retryer:                    newRetryer,
		Logger:                     logging.Nop{},
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	}
	endpoint := r.settings.endpoint
	if endpoint != "" && r.settings.virtualHosted {
		// object_store's virtual-hosted endpoints already name the bucket;
		// the SDK adds it itself.
		endpoint = stripBucketHost(endpoint, r.bucket)
	}
	userAgent := r.client.UserAgent
	api := s3.NewFromConfig(cfg, func(o *s3.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
		// object_store's default is path-style (https://s3.REGION.amazonaws.com/BUCKET/KEY),
		// on AWS too, for requests and presigned URLs alike; S3 Express
		// directory buckets exist only virtual-hosted.
		o.UsePathStyle = !r.settings.virtualHosted && !r.settings.s3Express
		o.DisableLogOutputChecksumValidationSkipped = true
		o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
			// Each attempt is bounded by the HTTP client's transport
			// (client options timeout and read_timeout).
			if err := st.Initialize.Add(middleware.InitializeMiddlewareFunc("objstoreStartTime", markStart), middleware.Before); err != nil {
				return err
			}
			if cache != nil {
				if err := st.Initialize.Add(middleware.InitializeMiddlewareFunc("objstoreCredentialUse", markCredentialUse), middleware.After); err != nil {
					return err
				}
			}
			// Presign stacks have no retry loop (and send nothing).
			if _, ok := st.Finalize.Get("Retry"); ok {
				if err := st.Initialize.Add(admitMiddleware(throttle), middleware.After); err != nil {
					return err
				}
			}
			return st.Build.Add(setHeaders(userAgent, r.settings.requestPayer), middleware.After)
		})
		if r.settings.unsignedPayload {
			o.APIOptions = append(o.APIOptions, v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware)
		}
	})
	s := r.settings
	if s.copyMode == copyAuto {
		s.copyMode = copyNative
		if s.endpoint != "" {
			s.copyMode = copyMultipart
		}
	}
	fast := newFastGetter(r, httpClient, api.Options().Credentials)
	return &client{api: api, http: httpClient, presign: s3.NewPresignClient(api), bucket: r.bucket, s: s, opts: r.client,
		fast: fast, retry: r.retry, throttle: throttle, credentials: cache}, nil
}

func stripBucketHost(endpoint, bucket string) string {
	u, err := url.Parse(endpoint)
	if err != nil {
		return endpoint
	}
	if rest, ok := strings.CutPrefix(u.Host, bucket+"."); ok {
		u.Host = rest
		return u.String()
	}
	return endpoint
}

// setHeaders sets the configured User-Agent and, for requester-pays
// buckets, x-amz-request-payer on every request, and asks for the stored
// checksum of every whole-object GET (see checksumOf).
func setHeaders(userAgent string, requestPayer bool) middleware.BuildMiddleware {
	return middleware.BuildMiddlewareFunc("objstoreHeaders", func(ctx context.Context, in middleware.BuildInput, next middleware.BuildHandler) (middleware.BuildOutput, middleware.Metadata, error) {
		if req, ok := in.Request.(*smithyhttp.Request); ok {
			if userAgent != "" {
				req.Header.Set("User-Agent", userAgent)
			}
			if requestPayer {
				req.Header.Set("X-Amz-Request-Payer", "requester")
			}
			if awsmiddleware.GetOperationName(ctx) == "GetObject" && req.Header.Get("Range") == "" {
				req.Header.Set(checksumModeHeader, "ENABLED")
			}
		}
		return next.HandleBuild(ctx, in)
	})
}

// admitMiddleware gives each operation its place in the throttle's window
// for all of its attempts, the backoff between them included.
func admitMiddleware(t *driver.Throttle) middleware.InitializeMiddleware {
	return middleware.InitializeMiddlewareFunc("objstoreAdmit", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
		ctx, done, err := t.Admit(ctx)
		if err != nil {
			return middleware.InitializeOutput{}, middleware.Metadata{}, err
		}
		defer done()
		return next.HandleInitialize(ctx, in)
	})
}

type startTimeKey struct{}

func markStart(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
	return next.HandleInitialize(context.WithValue(ctx, startTimeKey{}, time.Now()), in)
}

// retryer applies core's retry policy (object_store's RetryConfig): at most
// max_retries+1 attempts, exponential backoff with jitter between the
// bounds, nothing retried after retry_timeout, and only errors that can
// pass: 5xx (but 501), 429, 408, S3's throttling and conflict codes,
// connection failures and timeouts. Other 4xx fail at once, so wrong
// credentials and missing buckets answer quickly.
//
// With a credential provider, an answer refusing the credential as expired
// or unknown is retried too, once per operation and at once, with the
// provider's next credential (see GetRetryToken).
type retryer struct {
	policy      driver.Policy
	credentials *driver.CredentialCache
}

func (r *retryer) MaxAttempts() int { return r.policy.MaxRetries + 1 }

func (r *retryer) IsErrorRetryable(err error) bool {
	if r.credentials != nil && staleCredential(err) {
		return true
	}
	if driver.IsAttemptTimeout(err) {
		return true
	}
	if errors.Is(err, context.Canceled) {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var resp *awshttp.ResponseError
	if errors.As(err, &resp) && resp.HTTPStatusCode() != 0 {
		status := resp.HTTPStatusCode()
		code := ""
		var api smithy.APIError
		if errors.As(err, &api) {
			code = api.ErrorCode()
		}
		switch {
		case status == http.StatusNotImplemented:
			return false
		case status >= 500, status == http.StatusTooManyRequests, status == http.StatusRequestTimeout:
			return true
		case code == "ConditionalRequestConflict", code == "RequestTimeout", code == "SlowDown",
			code == "Throttling", code == "ThrottlingException", code == "RequestTimeTooSkewed":
			return true
		}
		return false
	}
	return retry.RetryableConnectionError{}.IsErrorRetryable(err) == aws.TrueTernary
}

func (r *retryer) RetryDelay(attempt int, err error) (time.Duration, error) {
	if r.credentials != nil && staleCredential(err) {
		return 0, nil // a fresh credential needs no wait
	}
	return r.policy.Backoff(attempt), nil
}

var errRetryTimeout = errors.New("retry_timeout exceeded")

func (r *retryer) GetRetryToken(ctx context.Context, err error) (func(error) error, error) {
	if r.credentials != nil && staleCredential(err) {
		use, _ := ctx.Value(credentialUseKey{}).(*credentialUse)
		if use == nil || use.retried {
			return nil, errStaleAgain
		}
		use.retried = true
		r.credentials.Refused(use.generation)
		return nopRelease, nil
	}
	if start, ok := ctx.Value(startTimeKey{}).(time.Time); ok && r.policy.RetryTimeout > 0 && time.Since(start) > r.policy.RetryTimeout {
		return nil, errRetryTimeout
	}
	return nopRelease, nil
}

func (r *retryer) GetInitialToken() func(error) error { return nopRelease }

func (r *retryer) GetAttemptToken(context.Context) (func(error) error, error) { return nopRelease, nil }

func nopRelease(error) error { return nil }

// opKind says how to read a status that means different things per call.
type opKind int

const (
	opRead opKind = iota
	opPutCreate
	opPutUpdate
	opCopyIfNotExists
)

// mapError turns an SDK error into a typed core error. Messages carry the
// operation, status, S3 error code and message — never request signatures.
func (c *client) mapError(op string, path core.Path, err error, mode opKind) error {
	if err == nil {
		return nil
	}
	var ce *core.Error
	if errors.As(err, &ce) {
		return core.Wrap(ce.Kind, storeName, path, err)
	}
	if errors.Is(err, context.Canceled) {
		return &core.Error{Kind: core.Cancelled, Store: storeName, Path: string(path), Msg: op + " cancelled", Err: context.Canceled}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return &core.Error{Kind: core.Timeout, Store: storeName, Path: string(path), Msg: op + " timed out", Err: err}
	}
	status, code, message := 0, "", ""
	var resp *awshttp.ResponseError
	if errors.As(err, &resp) {
		status = resp.HTTPStatusCode()
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		code, message = api.ErrorCode(), api.ErrorMessage()
	}
	kind := core.Generic
	switch {
	case code == "NoSuchBucket":
		return &core.Error{Kind: core.NotFound, Store: storeName, Path: string(path),
			Msg: fmt.Sprintf("bucket %q does not exist (%s)", c.bucket, op)}
	case code == "XAdminUserNotFound":
		// versitygw's answer (with 404) to an unknown access key.
		kind = core.Unauthenticated
	case status == http.StatusNotFound || code == "NoSuchKey" || code == "NotFound" || code == "NoSuchUpload":
		kind = core.NotFound
		if mode == opPutUpdate {
			kind = core.Precondition
		}
	case status == http.StatusPreconditionFailed || code == "PreconditionFailed":
		kind = core.Precondition
		if mode == opPutCreate || mode == opCopyIfNotExists {
			kind = core.AlreadyExists
		}
	case code == "ConditionalRequestConflict":
		kind = core.Precondition
		if mode == opPutCreate || mode == opCopyIfNotExists {
			kind = core.AlreadyExists
		}
	case status == http.StatusNotModified:
		kind = core.NotModified
	case code == "InvalidAccessKeyId" || code == "SignatureDoesNotMatch" || code == "InvalidToken" ||
		code == "ExpiredToken" || code == "TokenRefreshRequired" || status == http.StatusUnauthorized:
		kind = core.Unauthenticated
	case status == http.StatusForbidden || code == "AccessDenied":
		kind = core.PermissionDenied
	case status == http.StatusRequestedRangeNotSatisfiable || code == "InvalidRange":
		kind = core.InvalidArgument
	case status == http.StatusNotImplemented || code == "NotImplemented":
		kind = core.NotSupported
	case integrityCodes[code]:
		kind = core.Integrity
	case status == http.StatusBadRequest:
		kind = core.InvalidArgument
	}
	msg := op
	switch {
	case status != 0 && code != "":
		msg = fmt.Sprintf("%s: HTTP %d %s", op, status, code)
	case status != 0:
		msg = fmt.Sprintf("%s: HTTP %d", op, status)
	}
	if message != "" {
		msg += ": " + message
	}
	if status == http.StatusRequestedRangeNotSatisfiable || code == "InvalidRange" {
		msg = driver.RangeRefused(msg)
	}
	var netTimeout interface{ Timeout() bool }
	if status == 0 && errors.As(err, &netTimeout) && netTimeout.Timeout() {
		kind = core.Timeout // e.g. the dialer's connect_timeout
	}
	if status != 0 {
		// The status and code say it all; the SDK's wrapped text adds only
		// request IDs.
		return &core.Error{Kind: kind, Store: storeName, Path: string(path), Msg: msg}
	}
	return &core.Error{Kind: kind, Store: storeName, Path: string(path), Msg: msg, Err: err}
}

// integrityCodes are the S3 error codes (and those of compatible servers)
// for a body that does not match the checksum or digest sent with it.
var integrityCodes = map[string]bool{
	"BadDigest":                   true, // x-amz-checksum-* or Content-MD5 mismatch
	"InvalidDigest":               true,
	"XAmzContentChecksumMismatch": true,
	"XAmzContentSHA256Mismatch":   true, // the signed payload hash
}

// copySource is the x-amz-copy-source value: bucket/key with every byte of
// the key but unreserved characters and "/" percent-encoded.
func copySource(bucket string, key string) string {
	var b strings.Builder
	b.WriteString(bucket)
	b.WriteByte('/')
	for i := 0; i < len(key); i++ {
		ch := key[i]
		if ch >= 'A' && ch <= 'Z' || ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' || strings.IndexByte("-_.~/", ch) >= 0 {
			b.WriteByte(ch)
		} else {
			fmt.Fprintf(&b, "%%%02X", ch)
		}
	}
	return b.String()
}

// responseStatus is the HTTP status of a failed call, or 0.
func responseStatus(err error) int {
	var resp *awshttp.ResponseError
	if errors.As(err, &resp) {
		return resp.HTTPStatusCode()
	}
	return 0
}

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
