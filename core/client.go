package core

import (
	"crypto/tls"
	"net"
	"net/http"
	"net/url"
	"time"
)

// ClientOptionKeys are object_store's ClientConfigKey names, shared by every
// HTTP-based backend (the "client_options" of a config document).
var ClientOptionKeys = KeyTable{
	{Name: "allow_http"},
	{Name: "allow_invalid_certificates"},
	{Name: "connect_timeout"},
	{Name: "default_content_type"},
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
}

// ParseClientOptions reads normalized client options.
func ParseClientOptions(o Options) (ClientOptions, error) {
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
			return nil, &Error{Kind: InvalidArgument, Msg: "client option proxy_url is not a URL", Err: err}
		}
		t.Proxy = http.ProxyURL(u)
	}
	if c.AllowInvalidCertificates {
		t.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // explicit user opt-in
	}
	bt := &boundedTransport{base: t, t: c.Timeouts()}
	t.ResponseHeaderTimeout = bt.headerBound()
	return &http.Client{Transport: bt}, nil
}

// CheckScheme refuses plain http endpoints unless allow_http is set.
func (c ClientOptions) CheckScheme(endpoint string) error {
	u, err := url.Parse(endpoint)
	if err != nil {
		return &Error{Kind: InvalidArgument, Msg: "endpoint is not a URL", Err: err}
	}
	if u.Scheme == "http" && !c.AllowHTTP {
		return Errorf(InvalidArgument, "endpoint %s uses plain http: set client option allow_http to true", RedactURL(u))
	}
	return nil
}
