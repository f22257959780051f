// Package httpstore is the store of a plain HTTP server, read and written
// with WebDAV where the server speaks it: object_store's HttpStore, obstore's
// HTTPStore. Reads (GET/HEAD with ranges and conditions) work against any
// HTTP server; writes, copies, renames and listings need WebDAV (PUT,
// DELETE, MKCOL, COPY, MOVE, PROPFIND).
//
// The directory is core/http; the package is named httpstore so that it
// does not shadow net/http where both are used.
package httpstore

import (
	"context"
	"net/url"
	"strings"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/driver"
)

const kind = "http"

// configKeys is empty: an HTTP store is described by its URL, client
// options and retry config alone, as in obstore.
var configKeys = driver.KeyTable{}

// Backend is the HTTP/WebDAV backend. It claims http:// and https:// URLs;
// core/stores lists it last so that the https URLs of S3, GCS and Azure
// hosts go to those backends first.
var Backend = driver.Backend{
	Kind:      kind,
	Schemes:   []string{"http", "https"},
	ParseURL:  parseURL,
	Normalize: normalize,
	Open:      open,
	Shared:    true,
	// Environment: none; an HTTPStore is its document alone.
}

func parseURL(u *url.URL) (core.Config, error) {
	return core.Config{Kind: kind, URL: u.String()}, nil
}

func normalize(c core.Config) (core.Config, error) {
	c, err := driver.NormalizeDocument(c, kind, configKeys)
	if err != nil {
		return c, err
	}
	if c.Bucket != "" {
		return c, core.Errorf(core.InvalidArgument, "an http store has no bucket: put the whole base URL in \"url\"")
	}
	if c.Prefix != "" {
		p, err := core.ParsePath(c.Prefix)
		if err != nil {
			return c, err
		}
		c.Prefix = string(p)
	}
	base, err := parseBaseURL(c.URL)
	if err != nil {
		return c, err
	}
	c.URL = base.String()
	return c, nil
}

// parseBaseURL checks a store's base URL and returns its canonical form:
// lower-case scheme and host, and a path ending in "/" so that it names a
// collection ("https://host/dir" and "https://host/dir/" are one store).
func parseBaseURL(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, core.Errorf(core.InvalidArgument, "an http store needs a \"url\"")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, &core.Error{Kind: core.InvalidArgument, Msg: "http store url is not a URL"}
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, core.Errorf(core.InvalidArgument, "http store url must start with http:// or https://, not %q", u.Scheme+":")
	}
	if u.Host == "" {
		return nil, core.Errorf(core.InvalidArgument, "http store url %q has no host", driver.RedactURL(u))
	}
	if u.User != nil {
		// Credentials would end up in the config document, in repr() and in
		// pickles: refuse them rather than leak them.
		return nil, core.Errorf(core.InvalidArgument, "http store url must not hold credentials")
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return nil, core.Errorf(core.InvalidArgument, "http store url %s must not have a query or fragment", driver.RedactURL(u))
	}
	u.Host = strings.ToLower(u.Host)
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
		if u.RawPath != "" {
			u.RawPath += "/"
		}
	}
	return u, nil
}

func open(ctx context.Context, c core.Config, env map[string]string) (core.Store, error) {
	opts, err := driver.ParseClientOptions(c.ClientOptions)
	if err != nil {
		return nil, err
	}
	// As object_store: plain http only with allow_http.
	if err := opts.CheckScheme(c.URL); err != nil {
		return nil, err
	}
	base, err := parseBaseURL(c.URL)
	if err != nil {
		return nil, err
	}
	httpClient, err := opts.HTTPClient()
	if err != nil {
		return nil, err
	}
	return newStore(newClient(httpClient, base, opts, driver.PolicyOf(c.RetryConfig))), nil
}
