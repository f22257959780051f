package driver

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/libobjstore/objstore/core"
)

// ClientOptionKeys are the keys of a document's "client_options": the HTTP
// client's (HTTPClientOptionKeys) and the tracing keys every store takes.
var ClientOptionKeys = append(append(KeyTable{}, HTTPClientOptionKeys...), TracingOptionKeys...)

// TracingOptionKeys are the client options that say whether and how a
// store's operations are traced (core/tracing reads them). Every kind takes
// them, also those without an HTTP client (memory, local, the wrapping
// kinds).
var TracingOptionKeys = KeyTable{
	{Name: "tracing"},
	{Name: "trace_paths"},
}

// OnlyTracingOptions says whether normalized client options hold nothing
// but tracing keys: all a store without an HTTP client takes.
func OnlyTracingOptions(o core.Options) bool {
	for k := range o {
		if _, ok := TracingOptionKeys.lookup(k); !ok {
			return false
		}
	}
	return true
}

// HTTPClientOptionKeys are object_store's ClientConfigKey names, shared by
// every HTTP-based backend.
var HTTPClientOptionKeys = KeyTable{
	{Name: "allow_http"},
	{Name: "allow_invalid_certificates"},
	{Name: "connect_timeout"},
	{Name: "default_content_type"},
	{Name: "default_headers"},
	{Name: "http1_only"},
	{Name: "http2_only"},
	{Name: "http2_keep_alive_interval"},
	{Name: "http2_keep_alive_timeout"},
	{Name: "http2_keep_alive_while_idle"},
	{Name: "http2_max_frame_size"},
	{Name: "pool_idle_timeout"},
	{Name: "pool_max_idle_per_host"},
	{Name: "proxy_url"},
	{Name: "proxy_ca_certificate"},
	{Name: "proxy_excludes"},
	{Name: "randomize_addresses"},
	{Name: "read_timeout"},
	{Name: "root_certificate"},
	{Name: "timeout"},
	{Name: "user_agent"},
}

// ClientOptions are the parsed client options with object_store's defaults.
type ClientOptions struct {
	AllowHTTP                bool
	AllowInvalidCertificates bool
	ConnectTimeout           time.Duration // default 5 s
	Timeout                  time.Duration // one request attempt; default 30 s, 0 = none
	ReadTimeout              time.Duration // any wait for progress; default none (see Timeouts)
	PoolIdleTimeout          time.Duration // default 90 s
	PoolMaxIdlePerHost       int           // default unlimited (we use 256)
	DefaultContentType       string
	UserAgent                string
	ProxyURL                 string
	HTTP1Only                bool
	// DefaultHeaders are sent with every request that does not set them
	// itself (added after signing, as object_store's client does).
	DefaultHeaders http.Header
	// RootCertificates, when set, are trusted in addition to the system's
	// roots (root_certificate: one or more PEM certificates).
	RootCertificates *x509.CertPool
}

// ParseClientOptions reads normalized client options.
func ParseClientOptions(o core.Options) (ClientOptions, error) {
	c := ClientOptions{
		ConnectTimeout:     5 * time.Second,
		Timeout:            30 * time.Second,
		PoolIdleTimeout:    90 * time.Second,
		PoolMaxIdlePerHost: 256,
		UserAgent:          "libobjstore",
	}
	var err error
	for k, v := range o {
		switch k {
		case "allow_http":
			c.AllowHTTP, err = ParseBool(k, v)
		case "allow_invalid_certificates":
			c.AllowInvalidCertificates, err = ParseBool(k, v)
		case "connect_timeout":
			c.ConnectTimeout, err = ParseDuration(k, v)
		case "timeout":
			c.Timeout, err = ParseDuration(k, v)
		case "read_timeout":
			c.ReadTimeout, err = ParseDuration(k, v)
		case "pool_idle_timeout":
			c.PoolIdleTimeout, err = ParseDuration(k, v)
		case "pool_max_idle_per_host":
			var n time.Duration
			n, err = ParseDuration(k, v) // accepts plain numbers
			c.PoolMaxIdlePerHost = int(n / time.Second)
		case "default_content_type":
			c.DefaultContentType = v
		case "user_agent":
			c.UserAgent = v
		case "proxy_url":
			c.ProxyURL = v
		case "http1_only":
			c.HTTP1Only, err = ParseBool(k, v)
		case "default_headers":
			c.DefaultHeaders, err = parseHeaders(k, v)
		case "root_certificate":
			c.RootCertificates, err = parseRootCertificates(k, v)
		case "tracing", "trace_paths": // core/tracing's; checked here with the others
			_, err = ParseBool(k, v)
		}
		if err != nil {
			return c, err
		}
	}
	return c, nil
}

// Timeouts are the bounds of one request attempt these options set.
func (c ClientOptions) Timeouts() Timeouts {
	return Timeouts{Attempt: c.Timeout, Idle: c.ReadTimeout}
}

// HTTPClient builds the HTTP client these options describe. Its transport
// bounds every request attempt by Timeouts (see boundedTransport); the
// client's own overall Timeout is left 0, since it would cut off streamed
// object reads, which BeginRead bounds instead.
func (c ClientOptions) HTTPClient() (*http.Client, error) {
	dialer := &net.Dialer{Timeout: c.ConnectTimeout, KeepAlive: 30 * time.Second}
	t := &http.Transport{
		DialContext:           dialer.DialContext,
		MaxIdleConns:          0,
		MaxIdleConnsPerHost:   c.PoolMaxIdlePerHost,
		IdleConnTimeout:       c.PoolIdleTimeout,
		TLSHandshakeTimeout:   c.ConnectTimeout,
		ExpectContinueTimeout: time.Second,
		ForceAttemptHTTP2:     !c.HTTP1Only,
		Proxy:                 http.ProxyFromEnvironment,
		// An object store returns bytes as stored: never let net/http
		// gunzip a body because its Content-Encoding attribute says gzip.
		DisableCompression: true,
	}
	if c.ProxyURL != "" {
		u, err := url.Parse(c.ProxyURL)
		if err != nil {
			return nil, &core.Error{Kind: core.InvalidArgument, Msg: "client option proxy_url is not a URL", Err: err}
		}
		t.Proxy = http.ProxyURL(u)
	}
	if c.AllowInvalidCertificates {
		t.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // explicit user opt-in
	} else if c.RootCertificates != nil {
		t.TLSClientConfig = &tls.Config{RootCAs: c.RootCertificates, MinVersion: tls.VersionTLS12}
	}
	var rt http.RoundTripper = t
	if len(c.DefaultHeaders) > 0 {
		rt = &defaultHeaders{base: t, headers: c.DefaultHeaders}
	}
	bt := &boundedTransport{base: rt, t: c.Timeouts()}
	t.ResponseHeaderTimeout = bt.headerBound()
	return &http.Client{Transport: &observedTransport{base: bt}}, nil
}

// BaseTransport is the *http.Transport under a client HTTPClient built
// (also under Throttle.Transport), for backends that tune it further.
func BaseTransport(client *http.Client) (*http.Transport, bool) {
	return baseOf(client.Transport)
}

func baseOf(rt http.RoundTripper) (*http.Transport, bool) {
	for {
		switch t := rt.(type) {
		case *http.Transport:
			return t, true
		case *boundedTransport:
			rt = t.base
		case *observedTransport:
			rt = t.base
		case *defaultHeaders:
			rt = t.base
		case *throttledTransport:
			rt = t.base
		default:
			return nil, false
		}
	}
}

// CloseIdle closes the idle connections under a transport built from
// HTTPClient's (the client's own, or a chain a backend built on it): a
// store's Close calls it, so that a closed store keeps no socket open.
func CloseIdle(rt http.RoundTripper) {
	if t, ok := baseOf(rt); ok {
		t.CloseIdleConnections()
	}
}

// defaultHeaders adds the client option default_headers to every request
// that does not set the header itself.
type defaultHeaders struct {
	base    http.RoundTripper
	headers http.Header
}

func (d *defaultHeaders) RoundTrip(req *http.Request) (*http.Response, error) {
	var out *http.Request
	for name, values := range d.headers {
		if _, set := req.Header[name]; set {
			continue
		}
		if out == nil { // a RoundTripper must not change the caller's request
			out = req.Clone(req.Context())
		}
		out.Header[name] = values
	}
	if out == nil {
		out = req
	}
	return d.base.RoundTrip(out)
}

// parseHeaders reads default_headers: a JSON object of header names to
// string values (the document keeps it as that JSON text).
func parseHeaders(key, v string) (http.Header, error) {
	var m map[string]string
	if err := json.Unmarshal([]byte(v), &m); err != nil {
		return nil, core.Errorf(core.InvalidArgument, "client option %s must be a JSON object of header names to string values", key)
	}
	h := make(http.Header, len(m))
	for name, value := range m {
		if !validHeaderName(name) {
			return nil, core.Errorf(core.InvalidArgument, "client option %s: %q is not a valid header name", key, name)
		}
		if strings.ContainsAny(value, "\r\n\x00") {
			return nil, core.Errorf(core.InvalidArgument, "client option %s: the value of %q holds a line break or NUL", key, name)
		}
		h.Set(name, value)
	}
	return h, nil
}

// validHeaderName: an HTTP token (RFC 9110 section 5.6.2).
func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for _, r := range name {
		if r > 0x7e || r <= ' ' || strings.ContainsRune("\"(),/:;<=>?@[\\]{}", r) {
			return false
		}
	}
	return true
}

// parseRootCertificates reads root_certificate: PEM certificates added to
// the system's trusted roots (not replacing them).
func parseRootCertificates(key, pem string) (*x509.CertPool, error) {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM([]byte(pem)) {
		return nil, core.Errorf(core.InvalidArgument, "client option %s holds no PEM certificate (-----BEGIN CERTIFICATE-----)", key)
	}
	return pool, nil
}

// CheckScheme refuses plain http endpoints unless allow_http is set.
func (c ClientOptions) CheckScheme(endpoint string) error {
	u, err := url.Parse(endpoint)
	if err != nil {
		return &core.Error{Kind: core.InvalidArgument, Msg: "endpoint is not a URL", Err: err}
	}
	if u.Scheme == "http" && !c.AllowHTTP {
		return core.Errorf(core.InvalidArgument, "endpoint %s uses plain http: set client option allow_http to true", RedactURL(u))
	}
	return nil
}
