// Package gcs is the Google Cloud Storage backend, built on
// cloud.google.com/go/storage (JSON API). Its configuration keys, aliases and
// environment variables are object_store's GoogleConfigKey / obstore's
// GCSConfig.
package gcs

import (
	"context"
	"net/url"
	"strings"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/driver"
)

const kind = "gcs"

// Canonical config key names.
const (
	keyServiceAccount         = "service_account"
	keyServiceAccountKey      = "service_account_key"
	keyApplicationCredentials = "application_credentials"
	keyBucket                 = "bucket"
	keyBaseURL                = "base_url"
	keyBearerToken            = "bearer_token"
	keySkipSignature          = "skip_signature"
)

// Keys are GoogleConfigKey's names. Every key also answers to its google_
// prefixed form, and is read from the GOOGLE_-prefixed environment variable
// of that form, as object_store's GoogleCloudStorageBuilder::from_env does.
var Keys = driver.KeyTable{
	{Name: keyServiceAccount,
		Aliases: []string{"google_service_account", "service_account_path", "google_service_account_path"},
		Env:     []string{"GOOGLE_SERVICE_ACCOUNT", "GOOGLE_SERVICE_ACCOUNT_PATH"}},
	{Name: keyServiceAccountKey,
		Aliases: []string{"google_service_account_key"},
		Env:     []string{"GOOGLE_SERVICE_ACCOUNT_KEY"}},
	{Name: keyApplicationCredentials,
		Aliases: []string{"google_application_credentials"},
		Env:     []string{"GOOGLE_APPLICATION_CREDENTIALS"}},
	{Name: keyBucket,
		Aliases: []string{"google_bucket", "bucket_name", "google_bucket_name"},
		Env:     []string{"GOOGLE_BUCKET", "GOOGLE_BUCKET_NAME"}},
	{Name: keyBaseURL,
		Aliases: []string{"google_base_url"},
		Env:     []string{"GOOGLE_BASE_URL"}},
	{Name: keyBearerToken,
		Aliases: []string{"google_bearer_token"},
		Env:     []string{"GOOGLE_BEARER_TOKEN"}},
	{Name: keySkipSignature,
		Aliases: []string{"google_skip_signature"},
		Env:     []string{"GOOGLE_SKIP_SIGNATURE"}},
}

// Backend is the GCS backend descriptor for core/stores.
var Backend = driver.Backend{
	Kind:      kind,
	Schemes:   []string{"gs"},
	MatchURL:  matchURL,
	ParseURL:  parseURL,
	Normalize: normalize,
	Open: func(ctx context.Context, c core.Config, env map[string]string) (core.Store, error) {
		return open(ctx, c, env, nil)
	},
	OpenWith: func(ctx context.Context, c core.Config, env map[string]string, o driver.OpenOptions) (core.Store, error) {
		return openWithOptions(ctx, c, env, o, nil)
	},
	Shared: true,
	// The keys' GOOGLE_* variables, and where the default credentials are
	// looked for (credentials.go).
	Environment: Keys.EnvNames(envCloudSDKConfig, envHome, envMetadataHost),
}

// publicHost is the host of GCS's path-style URLs
// (https://storage.googleapis.com/bucket/object).
const publicHost = "storage.googleapis.com"

func matchURL(u *url.URL) bool {
	return strings.EqualFold(u.Scheme, "https") && strings.EqualFold(u.Host, publicHost)
}

// parseURL reads gs://bucket/prefix (and
// https://storage.googleapis.com/bucket/prefix): the host is the bucket, the
// path is the store's prefix.
func parseURL(u *url.URL) (core.Config, error) {
	c := core.Config{Kind: kind}
	var rest string
	if strings.EqualFold(u.Scheme, "gs") {
		c.Bucket, rest = u.Host, u.Path
	} else {
		c.Bucket, rest, _ = strings.Cut(strings.TrimPrefix(u.Path, "/"), "/")
	}
	if c.Bucket == "" {
		return c, core.Errorf(core.InvalidArgument, "GCS URL %s names no bucket (expected gs://bucket/prefix)", driver.RedactURL(u))
	}
	if u.RawQuery != "" || u.User != nil {
		return c, core.Errorf(core.InvalidArgument, "GCS URL must not carry a query or user info (expected gs://bucket/prefix)")
	}
	prefix, err := core.ParsePath(rest)
	if err != nil {
		return c, err
	}
	c.Prefix = string(prefix)
	return c, nil
}

// normalize canonicalizes key names and moves a "bucket" config key to the
// document's top-level bucket, where every bucket store keeps it.
func normalize(c core.Config) (core.Config, error) {
	c, err := driver.NormalizeDocument(c, kind, Keys)
	if err != nil {
		return c, err
	}
	if b, ok := c.Config[keyBucket]; ok {
		if c.Bucket != "" && c.Bucket != b {
			return c, core.Errorf(core.InvalidArgument, "bucket %q and config key bucket %q disagree", c.Bucket, b)
		}
		c.Bucket = b
		delete(c.Config, keyBucket)
		if len(c.Config) == 0 {
			c.Config = nil
		}
	}
	if c.URL != "" {
		return c, core.Errorf(core.InvalidArgument, "a gcs store takes no \"url\": use config key base_url for a custom endpoint")
	}
	if _, err := core.ParsePath(c.Prefix); err != nil {
		return c, err
	}
	if v, ok := c.Config[keySkipSignature]; ok {
		if _, err := driver.ParseBool(keySkipSignature, v); err != nil {
			return c, err
		}
	}
	if v, ok := c.Config[keyBaseURL]; ok {
		if u, err := url.Parse(v); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return c, core.Errorf(core.InvalidArgument, "config key base_url %q is not an http(s) URL", v)
		}
	}
	return c, nil
}

// settings are a document's config keys overlaid on the environment's:
// explicit (and URL) values win, the environment fills what is missing.
type settings struct {
	bucket                 string
	serviceAccountPath     string
	serviceAccountKey      string
	applicationCredentials string
	baseURL                string // without a trailing "/"; "" = the public endpoint
	bearerToken            string
	skipSignature          bool
}

func resolveSettings(c core.Config, env map[string]string) (settings, error) {
	all := driver.Merge(Keys.FromEnv(env, c.Config), c.Config)
	s := settings{
		bucket:                 c.Bucket,
		serviceAccountPath:     all[keyServiceAccount],
		serviceAccountKey:      all[keyServiceAccountKey],
		applicationCredentials: all[keyApplicationCredentials],
		baseURL:                strings.TrimRight(all[keyBaseURL], "/"),
		bearerToken:            all[keyBearerToken],
	}
	if s.bucket == "" {
		s.bucket = all[keyBucket]
	}
	if s.bucket == "" {
		return s, core.Errorf(core.InvalidArgument, "gcs store has no bucket (give bucket, a gs://bucket URL, or GOOGLE_BUCKET)")
	}
	var err error
	if s.skipSignature, err = driver.ParseBool(keySkipSignature, all[keySkipSignature]); err != nil {
		return s, err
	}
	return s, nil
}
