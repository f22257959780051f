package gcs

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"cloud.google.com/go/storage"
	"github.com/googleapis/gax-go/v2"
	"golang.org/x/oauth2"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/driver"
)

// newClient builds the storage client of a store. The HTTP client is always
// ours (client_options); authentication is an oauth2 transport layered on
// it, and WithoutAuthentication stops the SDK from running its own
// credential detection, which could probe the metadata server.
//
// Reads go through the JSON API (WithJSONReads): one API for every call,
// and the one emulators implement faithfully.
//
// The transport under the SDK's (which Close must close the idle
// connections of: the oauth2 transport does not pass the call on) is
// returned too.
func newClient(ctx context.Context, c core.Config, endpoint string, creds credentials, throttle *driver.Throttle, wrap func(http.RoundTripper) http.RoundTripper) (*storage.Client, driver.ClientOptions, http.RoundTripper, error) {
	copts, err := driver.ParseClientOptions(c.ClientOptions)
	if err != nil {
		return nil, copts, nil, err
	}
	hc, err := copts.HTTPClient()
	if err != nil {
		return nil, copts, nil, err
	}
	base := hc.Transport
	rt := throttle.Transport(base)
	if wrap != nil {
		rt = wrap(rt)
	}
	rt = storedBytesTransport{base: rt}
	if copts.UserAgent != "" {
		rt = userAgentTransport{agent: copts.UserAgent, base: rt}
	}
	switch {
	case creds.provided != nil:
		rt = &driver.CredentialTransport{Cache: creds.provided, Authorize: driver.AuthorizeBearer, Stale: unauthorized, Base: rt}
	case creds.tokens != nil:
		rt = &oauth2.Transport{Source: creds.tokens, Base: rt}
	}
	hc.Transport = rt

	opts := []option.ClientOption{
		option.WithHTTPClient(hc),
		option.WithoutAuthentication(),
		storage.WithJSONReads(),
		storage.WithDisabledClientMetrics(),
	}
	if endpoint != "" {
		if err := copts.CheckScheme(endpoint); err != nil {
			return nil, copts, nil, err
		}
		opts = append(opts, option.WithEndpoint(endpoint+"/storage/v1/"))
	}
	client, err := storage.NewClient(ctx, opts...)
	if err != nil {
		return nil, copts, nil, &core.Error{Kind: core.Generic, Store: kind, Msg: "cannot create the GCS client", Err: err}
	}
	client.SetRetry(retryOptions(driver.PolicyOf(c.RetryConfig))...)
	return client, copts, base, nil
}

// retryOptions express object_store's retry policy with the SDK's retryer:
// at most max_retries+1 attempts, retry_timeout in all, and every call
// retried (RetryAlways), as object_store retries every request it can
// replay: our writes are either whole-object replacements or conditional,
// so a replay cannot double-apply. The waits between attempts are the
// policy's too, drawn by each call's retry decision (Store.retrying); the
// SDK's own backoff is cut to a nanosecond.
func retryOptions(p driver.Policy) []storage.RetryOption {
	return []storage.RetryOption{
		storage.WithBackoff(gax.Backoff{Initial: time.Nanosecond, Max: time.Nanosecond, Multiplier: 1}),
		storage.WithMaxAttempts(p.MaxRetries + 1),
		storage.WithMaxRetryDuration(p.RetryTimeout),
		storage.WithPolicy(storage.RetryAlways),
	}
}

// storedBytesTransport makes media downloads return the bytes as stored.
// A download without "Accept-Encoding: gzip" of an object stored with
// Content-Encoding gzip is decompressed by GCS (decompressive transcoding),
// and Go's transport decompresses too when it added that header itself;
// either way sizes and ranges would no longer match the object. The SDK's
// own switch for this (ReadCompressed) is refused by the API client on JSON
// reads ("custom Accept-Encoding headers not allowed"), so the header is set
// here, below that check. It also hands a media response's headers to the
// read that asked for them (media.go).
type storedBytesTransport struct {
	base http.RoundTripper
}

func (t storedBytesTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method != http.MethodGet || r.URL.Query().Get("alt") != "media" {
		return t.base.RoundTrip(r)
	}
	if r.Header.Get("Accept-Encoding") == "" {
		r = r.Clone(r.Context())
		r.Header.Set("Accept-Encoding", "gzip")
	}
	resp, err := t.base.RoundTrip(r)
	captureMedia(r, resp)
	return resp, err
}

type userAgentTransport struct {
	agent string
	base  http.RoundTripper
}

func (t userAgentTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("User-Agent", t.agent)
	return t.base.RoundTrip(r)
}

// mapError turns an SDK error into a typed core error.
func mapError(err error, path core.Path) error {
	if err == nil {
		return nil
	}
	var ce *core.Error
	if errors.As(err, &ce) {
		return core.Wrap(ce.Kind, kind, path, err)
	}
	if errors.Is(err, storage.ErrObjectNotExist) || errors.Is(err, storage.ErrBucketNotExist) {
		return core.Wrap(core.NotFound, kind, path, err)
	}
	k := core.KindOf(err) // Cancelled and Timeout for context errors
	var ge *googleapi.Error
	if errors.As(err, &ge) {
		k = kindOfStatus(ge.Code)
		if ge.Code == http.StatusBadRequest && checksumRefused(ge.Message) {
			k = core.Integrity
		}
		// The body of a GCS error can echo the request; keep its message only.
		err = errors.New(statusText(ge))
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		// The URL of a failed request may carry a signature or token.
		err = errors.New(ue.Op + " request failed: " + errorsText(ue.Err))
	}
	return &core.Error{Kind: k, Store: kind, Path: string(path), Err: err}
}

// checksumRefused recognizes GCS's refusal of an upload whose bytes do not
// match the CRC32C or MD5 sent with it ("Provided CRC32C ... doesn't match
// calculated CRC32C ..."; fake-gcs-server words it the same way).
func checksumRefused(msg string) bool {
	m := strings.ToLower(msg)
	return strings.Contains(m, "match calculated") && (strings.Contains(m, "crc32c") || strings.Contains(m, "md5"))
}

func statusText(ge *googleapi.Error) string {
	msg := http.StatusText(ge.Code)
	if ge.Message != "" {
		msg += ": " + ge.Message
	}
	return msg
}

func errorsText(err error) string {
	if err == nil {
		return "unknown error"
	}
	return err.Error()
}

func kindOfStatus(code int) core.Kind {
	switch code {
	case http.StatusNotFound:
		return core.NotFound
	case http.StatusPreconditionFailed:
		return core.Precondition
	case http.StatusNotModified:
		return core.NotModified
	case http.StatusUnauthorized:
		return core.Unauthenticated
	case http.StatusForbidden:
		return core.PermissionDenied
	case http.StatusConflict:
		return core.AlreadyExists
	case http.StatusBadRequest, http.StatusRequestedRangeNotSatisfiable:
		return core.InvalidArgument
	}
	return core.Generic
}

// createError is mapError for create-only writes: a failed "does not exist"
// precondition means the object exists.
func createError(err error, path core.Path) error {
	err = mapError(err, path)
	if core.IsKind(err, core.Precondition) {
		return &core.Error{Kind: core.AlreadyExists, Store: kind, Path: string(path), Msg: "object already exists"}
	}
	return err
}
