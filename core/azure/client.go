package azure

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/service"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/driver"
)

// clients are the SDK clients of one store. The azcore log has no listener
// unless someone calls log.SetListener, which this library never does: the
// SDK logs nothing.
type clients struct {
	container *container.Client
	service   *service.Client   // for user delegation keys (SAS signing with tokens)
	transport http.RoundTripper // under both: what Close closes the idle connections of
}

func newClients(s settings, c core.Config, o driver.OpenOptions) (clients, credential, error) {
	co, err := driver.ParseClientOptions(c.ClientOptions)
	if err != nil {
		return clients{}, credential{}, err
	}
	if s.useEmulator {
		co.AllowHTTP = true // as object_store: the emulator speaks plain http
	}
	if err := co.CheckScheme(s.endpoint); err != nil {
		return clients{}, credential{}, err
	}
	httpClient, err := co.HTTPClient()
	if err != nil {
		return clients{}, credential{}, err
	}
	throttle := driver.NewThrottle(driver.PolicyOf(c.RetryConfig))
	httpClient.Transport = throttle.Transport(httpClient.Transport)
	var cred credential
	if o.Credentials != nil {
		cred = credential{kind: credProvided, provided: driver.NewCredentialCache(storeName, o.Credentials, co.Timeout, checkCredential)}
		httpClient.Transport = &driver.CredentialTransport{Cache: cred.provided, Authorize: authorizer(s.account),
			Stale: staleCredential, Base: httpClient.Transport}
	} else if cred, err = buildCredential(s, httpClient); err != nil {
		return clients{}, credential{}, err
	}
	opts := clientOptions(co, c.RetryConfig, httpClient)
	opts.PerCallPolicies = append(opts.PerCallPolicies, admitPolicy{throttle})
	containerURL := runtime.JoinPaths(s.endpoint, url.PathEscape(s.container))
	serviceURL := s.endpoint
	cl := clients{transport: httpClient.Transport}
	switch cred.kind {
	case credSharedKey:
		cl.container, err = container.NewClientWithSharedKeyCredential(containerURL, cred.sharedKey, opts)
	case credToken:
		cl.container, err = container.NewClient(containerURL, cred.token, opts)
		if err == nil {
			cl.service, err = service.NewClient(serviceURL, cred.token, &service.ClientOptions{ClientOptions: opts.ClientOptions})
		}
	case credSAS:
		cl.container, err = container.NewClientWithNoCredential(containerURL+"?"+cred.sas, opts)
	default:
		cl.container, err = container.NewClientWithNoCredential(containerURL, opts)
	}
	if err != nil {
		return clients{}, credential{}, &core.Error{Kind: core.InvalidArgument, Store: storeName, Msg: "cannot build the Azure client", Err: sanitize(err)}
	}
	return cl, cred, nil
}

// clientOptions maps client_options and retry_config onto the SDK pipeline.
func clientOptions(co driver.ClientOptions, rc *core.RetryConfig, httpClient *http.Client) *container.ClientOptions {
	p := driver.PolicyOf(rc)
	retries := int32(p.MaxRetries)
	if retries == 0 {
		retries = -1 // the SDK reads 0 as "default (3)"; -1 is "never retry"
	}
	o := &container.ClientOptions{}
	o.Transport = httpClient
	o.InsecureAllowCredentialWithHTTP = co.AllowHTTP
	// azcore backs off exponentially with base 2 (object_store's default);
	// a custom base is not expressible, nor a total retry_timeout.
	o.Retry = policy.RetryOptions{MaxRetries: retries, RetryDelay: p.InitBackoff, MaxRetryDelay: p.MaxBackoff}
	if ua := co.UserAgent; ua != "" && len(ua) <= 24 && !strings.ContainsAny(ua, " \t") {
		o.Telemetry.ApplicationID = ua
	}
	return o
}

// admitPolicy gives each operation its place in the throttle's window for
// all of its attempts (it runs before the SDK's retry policy).
type admitPolicy struct{ throttle *driver.Throttle }

func (p admitPolicy) Do(req *policy.Request) (*http.Response, error) {
	ctx, done, err := p.throttle.Admit(req.Raw().Context())
	if err != nil {
		return nil, err
	}
	defer done()
	return req.WithContext(ctx).Next()
}

// mapError turns an SDK error into a typed core error. Nothing of the
// request URL's query (where a SAS token lives) or of the service's
// authentication details reaches the message.
func mapError(err error, path core.Path) error {
	if err == nil {
		return nil
	}
	var ce *core.Error
	if errors.As(err, &ce) {
		return core.Wrap(ce.Kind, storeName, path, err)
	}
	var re *azcore.ResponseError
	if !errors.As(err, &re) {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return core.Wrap(core.Generic, storeName, path, sanitize(err))
		}
		return &core.Error{Kind: core.Generic, Store: storeName, Path: string(path), Err: sanitize(err)}
	}
	code := bloberror.Code(re.ErrorCode)
	if code == "" && re.RawResponse != nil {
		code = bloberror.Code(re.RawResponse.Header.Get("x-ms-error-code"))
	}
	kind := core.Generic
	switch {
	case re.StatusCode == http.StatusNotModified:
		kind = core.NotModified
	case re.StatusCode == http.StatusPreconditionFailed || code == bloberror.ConditionNotMet:
		kind = core.Precondition
	case re.StatusCode == http.StatusNotFound:
		kind = core.NotFound
	case code == bloberror.BlobAlreadyExists || code == bloberror.ContainerAlreadyExists:
		kind = core.AlreadyExists
	case re.StatusCode == http.StatusRequestedRangeNotSatisfiable:
		kind = core.InvalidArgument
	case re.StatusCode == http.StatusUnauthorized || code == bloberror.AuthenticationFailed || code == bloberror.NoAuthenticationInformation:
		kind = core.Unauthenticated
	case re.StatusCode == http.StatusForbidden:
		kind = core.PermissionDenied
	case code == bloberror.MD5Mismatch || code == bloberror.CRC64Mismatch:
		kind = core.Integrity // a body that does not match its Content-MD5
	case re.StatusCode == http.StatusBadRequest:
		kind = core.InvalidArgument
	}
	msg := responseSummary(re, code)
	if re.StatusCode == http.StatusRequestedRangeNotSatisfiable {
		msg = driver.RangeRefused(msg)
	}
	if kind == core.InvalidArgument && strings.Contains(msg, "contentMD5 doesn't match") {
		kind = core.Integrity // Azurite's words (InvalidOperation) for Md5Mismatch
	}
	return &core.Error{Kind: kind, Store: storeName, Path: string(path), Msg: msg}
}

var serviceMessage = regexp.MustCompile(`(?s)<Message>(.*?)</Message>`)

// responseSummary is "GET: 404 BlobNotFound: The specified blob does not
// exist." without the request id and time lines the service appends.
func responseSummary(re *azcore.ResponseError, code bloberror.Code) string {
	msg := fmt.Sprintf("%d", re.StatusCode)
	if re.RawResponse != nil && re.RawResponse.Request != nil {
		msg = re.RawResponse.Request.Method + ": " + msg
	}
	if code != "" {
		msg += " " + string(code)
	}
	if re.RawResponse != nil && code != bloberror.AuthenticationFailed {
		if body, err := runtime.Payload(re.RawResponse); err == nil {
			if m := serviceMessage.FindSubmatch(body); m != nil {
				first, _, _ := strings.Cut(strings.TrimSpace(string(m[1])), "\n")
				msg += ": " + strings.TrimSpace(first)
			}
		}
	}
	return msg
}

// sanitize strips the query (a SAS token) from the URL in transport errors.
func sanitize(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		redacted := ue.URL
		if u, perr := url.Parse(ue.URL); perr == nil {
			u.RawQuery = ""
			redacted = u.Redacted()
		} else if i := strings.IndexByte(redacted, '?'); i >= 0 {
			redacted = redacted[:i]
		}
		return &url.Error{Op: ue.Op, URL: redacted, Err: ue.Err}
	}
	return err
}

// copyPollInterval bounds the wait between checks of a pending server-side
// copy (copies within one account usually complete at once).
const (
	copyPollMin = 50 * time.Millisecond
	copyPollMax = 2 * time.Second
)
