package s3

import (
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/libobjstore/objstore/core"
)

func TestParseURLForms(t *testing.T) {
	cases := []struct {
		url    string
		want   core.Config
		claims bool // MatchURL claims it (https forms)
	}{
		{"s3://bucket/a/b", core.Config{Kind: "s3", Bucket: "bucket", Prefix: "a/b"}, false},
		{"s3://bucket", core.Config{Kind: "s3", Bucket: "bucket"}, false},
		{"s3://bucket/", core.Config{Kind: "s3", Bucket: "bucket"}, false},
		{"s3a://bucket/data/x.parquet", core.Config{Kind: "s3", Bucket: "bucket", Prefix: "data/x.parquet"}, false},
		{"https://bucket.s3.eu-west-1.amazonaws.com/a/b", core.Config{Kind: "s3", Bucket: "bucket", Prefix: "a/b",
			Config: core.Options{"region": "eu-west-1", "virtual_hosted_style_request": "true"}}, true},
		{"https://my.dotted.bucket.s3.us-west-2.amazonaws.com/", core.Config{Kind: "s3", Bucket: "my.dotted.bucket",
			Config: core.Options{"region": "us-west-2", "virtual_hosted_style_request": "true"}}, true},
		{"https://bucket.s3-eu-west-1.amazonaws.com/p", core.Config{Kind: "s3", Bucket: "bucket", Prefix: "p",
			Config: core.Options{"region": "eu-west-1", "virtual_hosted_style_request": "true"}}, true},
		{"https://s3.eu-central-1.amazonaws.com/bucket/a/b", core.Config{Kind: "s3", Bucket: "bucket", Prefix: "a/b",
			Config: core.Options{"region": "eu-central-1"}}, true},
		{"https://s3.eu-central-1.amazonaws.com/bucket", core.Config{Kind: "s3", Bucket: "bucket",
			Config: core.Options{"region": "eu-central-1"}}, true},
		{"https://bucket.s3.amazonaws.com/a", core.Config{Kind: "s3", Bucket: "bucket", Prefix: "a",
			Config: core.Options{"virtual_hosted_style_request": "true"}}, true},
		{"https://s3.amazonaws.com/bucket/a", core.Config{Kind: "s3", Bucket: "bucket", Prefix: "a"}, true},
		{"https://ACCOUNT123.r2.cloudflarestorage.com/bucket/x/y", core.Config{Kind: "s3", Bucket: "bucket", Prefix: "x/y",
			Config: core.Options{"region": "auto", "endpoint": "https://account123.r2.cloudflarestorage.com"}}, true},
		{"s3://bucket/with%20space/%F0%9F%87%A6", core.Config{Kind: "s3", Bucket: "bucket", Prefix: "with space/🇦"}, false},
	}
	for _, tc := range cases {
		u, err := url.Parse(tc.url)
		if err != nil {
			t.Fatal(err)
		}
		got, err := parseURL(u)
		if err != nil {
			t.Errorf("%s: %v", tc.url, err)
			continue
		}
		got, err = normalize(got)
		if err != nil {
			t.Errorf("%s: normalize: %v", tc.url, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s:\n got %s\nwant %s", tc.url, got.JSON(), tc.want.JSON())
		}
		if matchURL(u) != tc.claims {
			t.Errorf("%s: MatchURL = %v, want %v", tc.url, !tc.claims, tc.claims)
		}
	}
}

func TestParseURLRejects(t *testing.T) {
	for _, raw := range []string{
		"s3:///nobucket",
		"https://s3.amazonaws.com/",                    // no bucket
		"https://example.com/bucket/key",               // not S3
		"https://ec2.us-east-1.amazonaws.com/bucket/x", // another AWS service
		"https://r2.cloudflarestorage.com/bucket",      // no account
		"s3://bucket/a//b",                             // empty segment
		"s3://user:pw987@bucket/a",                     // credentials in URL
	} {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := parseURL(u); err == nil {
			t.Errorf("%s: parsed, want an error", raw)
		} else if strings.Contains(err.Error(), "pw987") {
			t.Errorf("%s: error shows the password: %v", raw, err)
		}
	}
	for _, raw := range []string{"https://example.com/bucket/key", "https://ec2.us-east-1.amazonaws.com/b", "http://bucket.s3.amazonaws.com/x"} {
		u, _ := url.Parse(raw)
		if matchURL(u) {
			t.Errorf("MatchURL claims %s", raw)
		}
	}
}

func TestNormalizeAliasesAndCase(t *testing.T) {
	c, err := normalize(core.Config{Kind: "s3", Config: core.Options{
		"AWS_ACCESS_KEY_ID":     "AK",
		"aws_secret_access_key": "SK",
		"Token":                 "T",
		"aws_endpoint_url":      "http://127.0.0.1:9000",
		"AWS_REGION":            "eu-west-1",
		"bucket_name":           "b",
		"aws_allow_http":        "true",
		"skip_signature":        "false",
	}})
	if err != nil {
		t.Fatal(err)
	}
	want := core.Config{Kind: "s3", Bucket: "b",
		Config: core.Options{"access_key_id": "AK", "secret_access_key": "SK", "session_token": "T",
			"endpoint": "http://127.0.0.1:9000", "region": "eu-west-1", "skip_signature": "false"},
		ClientOptions: core.Options{"allow_http": "true"}}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("got %s\nwant %s", c.JSON(), want.JSON())
	}
}

func TestNormalizeErrors(t *testing.T) {
	cases := []struct {
		name string
		cfg  core.Config
		kind core.Kind
	}{
		{"unknown key", core.Config{Kind: "s3", Bucket: "b", Config: core.Options{"no_such_key": "x"}}, core.UnknownConfigKey},
		{"same key twice", core.Config{Kind: "s3", Bucket: "b", Config: core.Options{"region": "a", "aws_region": "b"}}, core.InvalidArgument},
		{"client key twice", core.Config{Kind: "s3", Bucket: "b", Config: core.Options{"aws_allow_http": "true"}, ClientOptions: core.Options{"allow_http": "true"}}, core.InvalidArgument},
		{"two buckets", core.Config{Kind: "s3", Bucket: "b", Config: core.Options{"bucket": "c"}}, core.InvalidArgument},
		{"bad bool", core.Config{Kind: "s3", Bucket: "b", Config: core.Options{"skip_signature": "maybe"}}, core.InvalidArgument},
		{"bad checksum", core.Config{Kind: "s3", Bucket: "b", Config: core.Options{"checksum_algorithm": "md4"}}, core.InvalidArgument},
		{"unsupported conditional put", core.Config{Kind: "s3", Bucket: "b", Config: core.Options{"conditional_put": "dynamo:table"}}, core.NotSupported},
		{"bad copy mode", core.Config{Kind: "s3", Bucket: "b", Config: core.Options{"copy_if_not_exists": "header-with-status:x:y:abc"}}, core.InvalidArgument},
		{"kms key without kms", core.Config{Kind: "s3", Bucket: "b", Config: core.Options{"sse_kms_key_id": "k"}}, core.InvalidArgument},
		{"sse-c without key", core.Config{Kind: "s3", Bucket: "b", Config: core.Options{"server_side_encryption": "sse-c"}}, core.InvalidArgument},
		{"url field", core.Config{Kind: "s3", Bucket: "b", URL: "https://x"}, core.InvalidArgument},
		{"bad prefix", core.Config{Kind: "s3", Bucket: "b", Prefix: "a/../b"}, core.InvalidPath},
		{"unknown client option", core.Config{Kind: "s3", Bucket: "b", ClientOptions: core.Options{"nope": "1"}}, core.UnknownConfigKey},
		{"wrong kind", core.Config{Kind: "gcs", Bucket: "b"}, core.InvalidArgument},
	}
	for _, tc := range cases {
		_, err := normalize(tc.cfg)
		if !core.IsKind(err, tc.kind) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.kind)
		}
	}
}

func TestResolvePrecedence(t *testing.T) {
	env := map[string]string{
		"AWS_ACCESS_KEY_ID":     "envAK",
		"AWS_SECRET_ACCESS_KEY": "envSK",
		"AWS_SESSION_TOKEN":     "envToken",
		"AWS_DEFAULT_REGION":    "eu-north-1",
		"AWS_ENDPOINT_URL":      "http://env-endpoint:9000",
		"AWS_ENDPOINT":          "http://ignored:9000",
		"AWS_ALLOW_HTTP":        "true",
		"AWS_BUCKET":            "envbucket",
	}
	// Environment only.
	r, err := resolve(core.Config{Kind: "s3"}, env)
	if err != nil {
		t.Fatal(err)
	}
	s := r.settings
	if s.accessKeyID != "envAK" || s.secretAccessKey != "envSK" || s.sessionToken != "envToken" {
		t.Errorf("credentials from env not applied: %q %q", s.accessKeyID, s.sessionToken)
	}
	if s.region != "eu-north-1" || s.endpoint != "http://env-endpoint:9000" || r.bucket != "envbucket" || !r.client.AllowHTTP {
		t.Errorf("env settings: region %q endpoint %q bucket %q allow_http %v", s.region, s.endpoint, r.bucket, r.client.AllowHTTP)
	}
	// Explicit wins; explicit keys never mix with an env session token.
	r, err = resolve(core.Config{Kind: "s3", Bucket: "b", Config: core.Options{
		"access_key_id": "AK", "secret_access_key": "SK", "region": "us-west-2", "endpoint": "http://explicit:1"}}, env)
	if err != nil {
		t.Fatal(err)
	}
	s = r.settings
	if s.accessKeyID != "AK" || s.secretAccessKey != "SK" || s.sessionToken != "" || s.region != "us-west-2" || s.endpoint != "http://explicit:1" || r.bucket != "b" {
		t.Errorf("explicit settings lost: %+v bucket %q", s, r.bucket)
	}
	// AWS_REGION beats AWS_DEFAULT_REGION; default is us-east-1.
	r, _ = resolve(core.Config{Kind: "s3", Bucket: "b"}, map[string]string{"AWS_REGION": "ap-south-1", "AWS_DEFAULT_REGION": "eu-west-3"})
	if r.settings.region != "ap-south-1" {
		t.Errorf("region %q", r.settings.region)
	}
	r, _ = resolve(core.Config{Kind: "s3", Bucket: "b"}, nil)
	if r.settings.region != "us-east-1" {
		t.Errorf("default region %q", r.settings.region)
	}
	// Plain http needs allow_http.
	if _, err := resolve(core.Config{Kind: "s3", Bucket: "b", Config: core.Options{"endpoint": "http://x:1"}}, nil); !core.IsKind(err, core.InvalidArgument) {
		t.Errorf("http endpoint without allow_http: %v", err)
	}
	// No bucket anywhere.
	if _, err := resolve(core.Config{Kind: "s3"}, nil); !core.IsKind(err, core.InvalidArgument) {
		t.Errorf("no bucket: %v", err)
	}
}

func TestOpenWithoutCredentialsFailsTypedWithoutIO(t *testing.T) {
	// No credentials and no opt-in to instance metadata: a typed error at
	// Open, never a probe of 169.254.169.254.
	_, err := open(t.Context(), core.Config{Kind: "s3", Bucket: "b"}, nil)
	if !core.IsKind(err, core.Unauthenticated) {
		t.Fatalf("got %v, want Unauthenticated", err)
	}
	if _, err := open(t.Context(), core.Config{Kind: "s3", Bucket: "b", Config: core.Options{"skip_signature": "true"}}, nil); err != nil {
		t.Fatalf("skip_signature: %v", err)
	}
}

func TestCopySourceEncoding(t *testing.T) {
	got := copySource("b", "dir/a b+%Q🇦@$.txt")
	want := "b/dir/a%20b%2B%25Q%F0%9F%87%A6%40%24.txt"
	if got != want {
		t.Fatalf("got %s want %s", got, want)
	}
}

func TestEndpointURLS3WinsOverEndpoint(t *testing.T) {
	// Explicit: endpoint_url_s3 (alias aws_endpoint_url_s3) is its own key
	// and wins over endpoint.
	c, err := Backend.Normalize(core.Config{Kind: "s3", Bucket: "b", Config: core.Options{
		"endpoint": "http://generic:1", "AWS_ENDPOINT_URL_S3": "http://s3-specific:2"}})
	if err != nil {
		t.Fatal(err)
	}
	if c.Config["endpoint_url_s3"] != "http://s3-specific:2" || c.Config["endpoint"] != "http://generic:1" {
		t.Fatalf("normalized config %v", c.Config)
	}
	r, err := resolve(c, map[string]string{"AWS_ALLOW_HTTP": "true"})
	if err != nil {
		t.Fatal(err)
	}
	if r.settings.endpoint != "http://s3-specific:2" {
		t.Errorf("endpoint %q, want the endpoint_url_s3 value", r.settings.endpoint)
	}
	// From the environment the same holds; an explicit endpoint keeps both
	// environment endpoints out.
	env := map[string]string{"AWS_ENDPOINT_URL": "http://env-generic:1", "AWS_ENDPOINT_URL_S3": "http://env-s3:2", "AWS_ALLOW_HTTP": "true"}
	if r, _ = resolve(core.Config{Kind: "s3", Bucket: "b"}, env); r.settings.endpoint != "http://env-s3:2" {
		t.Errorf("env: endpoint %q, want AWS_ENDPOINT_URL_S3", r.settings.endpoint)
	}
	if r, _ = resolve(core.Config{Kind: "s3", Bucket: "b", Config: core.Options{"endpoint": "http://explicit:3"}}, env); r.settings.endpoint != "http://explicit:3" {
		t.Errorf("explicit endpoint lost to the environment: %q", r.settings.endpoint)
	}
	if _, err := resolve(core.Config{Kind: "s3", Bucket: "b", Config: core.Options{"endpoint_url_s3": "ftp://x"}}, nil); !core.IsKind(err, core.InvalidArgument) || !strings.Contains(err.Error(), "endpoint_url_s3") {
		t.Errorf("bad endpoint_url_s3: %v", err)
	}
}

func TestSignURLStyle(t *testing.T) {
	// Presigning sends nothing: object_store's default is a path-style URL,
	// virtual_hosted_style_request gives the bucket as a host name.
	for _, tc := range []struct {
		virtual string
		want    string
	}{
		{"false", "https://s3.eu-west-1.amazonaws.com/my-bucket/dir/key.txt?"},
		{"true", "https://my-bucket.s3.eu-west-1.amazonaws.com/dir/key.txt?"},
	} {
		st, err := open(t.Context(), core.Config{Kind: "s3", Bucket: "my-bucket", Config: core.Options{
			"region": "eu-west-1", "access_key_id": "AK", "secret_access_key": "SK",
			"virtual_hosted_style_request": tc.virtual}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		url, err := core.Sign(t.Context(), st, http.MethodGet, "dir/key.txt", time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(url, tc.want) {
			t.Errorf("virtual_hosted_style_request=%s: %s, want prefix %s", tc.virtual, url, tc.want)
		}
	}
}
