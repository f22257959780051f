package gcs

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/driver"
)

func TestNormalizeAliasesAndBucket(t *testing.T) {
	c, err := normalize(core.Config{Kind: kind, Config: core.Options{
		"GOOGLE_SERVICE_ACCOUNT_PATH": "/tmp/sa.json",
		"Google_Bucket_Name":          "b",
		"BASE_URL":                    "http://127.0.0.1:1",
		"google_skip_signature":       "true",
	}})
	if err != nil {
		t.Fatal(err)
	}
	if c.Bucket != "b" || c.Config["service_account"] != "/tmp/sa.json" || c.Config["base_url"] != "http://127.0.0.1:1" || c.Config["skip_signature"] != "true" {
		t.Fatalf("normalized: %+v", c)
	}
	if _, ok := c.Config["bucket"]; ok {
		t.Fatal("bucket must move to the document's top level")
	}

	for name, bad := range map[string]core.Config{
		"unknown key":        {Kind: kind, Config: core.Options{"google_region": "x"}},
		"same key twice":     {Kind: kind, Config: core.Options{"service_account": "a", "google_service_account": "b"}},
		"bucket disagrees":   {Kind: kind, Bucket: "a", Config: core.Options{"bucket": "b"}},
		"bad skip_signature": {Kind: kind, Config: core.Options{"skip_signature": "maybe"}},
		"bad base_url":       {Kind: kind, Config: core.Options{"base_url": "localhost:4443"}},
		"url field":          {Kind: kind, URL: "http://x"},
	} {
		if _, err := normalize(bad); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := normalize(core.Config{Kind: kind, Config: core.Options{"google_region": "x"}}); !core.IsKind(err, core.UnknownConfigKey) {
		t.Errorf("unknown key: %v, want UnknownConfigKey", err)
	}
}

func TestParseURL(t *testing.T) {
	for raw, want := range map[string][2]string{
		"gs://bucket":                {"bucket", ""},
		"gs://bucket/":               {"bucket", ""},
		"gs://bucket/a/b":            {"bucket", "a/b"},
		"gs://bucket/with%20space/x": {"bucket", "with space/x"},
		"https://storage.googleapis.com/bucket/pre/fx": {"bucket", "pre/fx"},
	} {
		u, _ := url.Parse(raw)
		if strings.HasPrefix(raw, "https") && !matchURL(u) {
			t.Fatalf("%s is not claimed", raw)
		}
		c, err := parseURL(u)
		if err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		if c.Kind != kind || c.Bucket != want[0] || c.Prefix != want[1] {
			t.Fatalf("%s: %+v, want bucket %q prefix %q", raw, c, want[0], want[1])
		}
	}
	for _, raw := range []string{"gs:///x", "gs://bucket/a//b", "gs://bucket/x?sig=1"} {
		u, _ := url.Parse(raw)
		if _, err := parseURL(u); err == nil {
			t.Errorf("%s: no error", raw)
		}
	}
	u, _ := url.Parse("https://example.com/bucket")
	if matchURL(u) {
		t.Error("claims a foreign https URL")
	}
}

func TestSettingsPrecedenceExplicitOverEnv(t *testing.T) {
	env := map[string]string{
		"GOOGLE_BUCKET":          "env-bucket",
		"GOOGLE_BASE_URL":        "http://env:1",
		"GOOGLE_BEARER_TOKEN":    "env-token",
		"GOOGLE_SKIP_SIGNATURE":  "true",
		"GOOGLE_SERVICE_ACCOUNT": "/env/sa.json",
	}
	s, err := resolveSettings(core.Config{Kind: kind, Bucket: "doc-bucket", Config: core.Options{"base_url": "http://doc:2"}}, env)
	if err != nil {
		t.Fatal(err)
	}
	if s.bucket != "doc-bucket" || s.baseURL != "http://doc:2" || s.bearerToken != "env-token" || !s.skipSignature || s.serviceAccountPath != "/env/sa.json" {
		t.Fatalf("settings: %+v", s)
	}
	s, err = resolveSettings(core.Config{Kind: kind}, env)
	if err != nil || s.bucket != "env-bucket" || s.baseURL != "http://env:1" {
		t.Fatalf("from env alone: %+v %v", s, err)
	}
	if _, err := resolveSettings(core.Config{Kind: kind}, nil); !core.IsKind(err, core.InvalidArgument) {
		t.Fatalf("no bucket anywhere: %v", err)
	}
}

func TestCredentialDefaultsNeverProbe(t *testing.T) {
	ctx := context.Background()
	// Nothing configured, an environment without HOME or GCE markers.
	creds, err := resolveCredentials(ctx, settings{bucket: "b"}, map[string]string{})
	if onGoogleCloud(nil) {
		if err != nil || creds.tokens == nil {
			t.Fatalf("on a Google Cloud VM the metadata server is the default: %v", err)
		}
	} else if !core.IsKind(err, core.Unauthenticated) || !strings.Contains(err.Error(), "skip_signature") {
		t.Fatalf("no credentials: %v, want Unauthenticated naming the keys", err)
	}
	// A custom endpoint without credentials is an emulator: anonymous.
	creds, err = resolveCredentials(ctx, settings{bucket: "b", baseURL: "http://127.0.0.1:1"}, nil)
	if err != nil || creds.tokens != nil {
		t.Fatalf("emulator defaults: %+v %v", creds, err)
	}
	// The gcloud user login under $HOME of the given environment.
	home := t.TempDir()
	adc := filepath.Join(home, ".config", "gcloud", "application_default_credentials.json")
	os.MkdirAll(filepath.Dir(adc), 0o700)
	os.WriteFile(adc, []byte(`{"type":"authorized_user","client_id":"id","client_secret":"s","refresh_token":"r"}`), 0o600)
	creds, err = resolveCredentials(ctx, settings{bucket: "b"}, map[string]string{"HOME": home})
	if err != nil || creds.tokens == nil || creds.signer != nil {
		t.Fatalf("ADC user login: %+v %v", creds, err)
	}
	os.WriteFile(adc, []byte(`{"type":"external_account"}`), 0o600)
	if _, err := resolveCredentials(ctx, settings{bucket: "b"}, map[string]string{"HOME": home}); !core.IsKind(err, core.NotSupported) {
		t.Fatalf("unsupported ADC type: %v", err)
	}
}

func TestCredentialErrorsKeepSecretsOut(t *testing.T) {
	ctx := context.Background()
	secret := `{"type":"service_account","private_key":"SECRET-MATERIAL","client_email":"x"`
	_, err := resolveCredentials(ctx, settings{serviceAccountKey: secret}, nil)
	if err == nil || strings.Contains(err.Error(), "SECRET") {
		t.Fatalf("broken key: %v", err)
	}
	_, err = resolveCredentials(ctx, settings{serviceAccountKey: secret + "}"}, nil)
	if err == nil || strings.Contains(err.Error(), "SECRET") {
		t.Fatalf("non-PEM key: %v", err)
	}
	_, err = resolveCredentials(ctx, settings{serviceAccountKey: "{}", serviceAccountPath: "/x"}, nil)
	if !core.IsKind(err, core.InvalidArgument) {
		t.Fatalf("path and key both: %v", err)
	}
	_, err = resolveCredentials(ctx, settings{serviceAccountPath: filepath.Join(t.TempDir(), "missing.json")}, nil)
	if !core.IsKind(err, core.InvalidArgument) {
		t.Fatalf("missing key file: %v", err)
	}
}

// authHeaders records the Authorization header of every request.
func authHeaders(t *testing.T, c core.Config, env map[string]string) (*Store, *[]string) {
	t.Helper()
	var seen []string
	c, err := normalize(c)
	if err != nil {
		t.Fatal(err)
	}
	s, err := open(context.Background(), c, env, func(rt http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(r *http.Request) (*http.Response, error) {
			seen = append(seen, r.Header.Get("Authorization"))
			return rt.RoundTrip(r)
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, &seen
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestAuthenticationAgainstEmulator(t *testing.T) {
	ctx := context.Background()
	bucket := newEmulatorStore(t).name
	ep := emulatorEndpoint(t)
	http := core.Options{"allow_http": "true"}

	// bearer_token, from the environment map (never os.Getenv).
	s, seen := authHeaders(t, core.Config{Kind: kind, Bucket: bucket, Config: core.Options{"base_url": ep}, ClientOptions: http},
		map[string]string{"GOOGLE_BEARER_TOKEN": "static-token"})
	if _, err := s.Put(ctx, "a", []byte("x"), core.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if (*seen)[0] != "Bearer static-token" {
		t.Fatalf("bearer token sent as %q", (*seen)[0])
	}

	// A service-account key: a self-signed JWT naming the account.
	key, _ := fakeServiceAccount(t)
	s, seen = authHeaders(t, core.Config{Kind: kind, Bucket: bucket, Config: core.Options{"base_url": ep, "service_account_key": key}, ClientOptions: http}, nil)
	if _, err := s.Head(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	jwt := strings.TrimPrefix((*seen)[0], "Bearer ")
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("service account sent %q, want a JWT", (*seen)[0])
	}
	claims, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var c struct {
		Iss   string `json:"iss"`
		Scope string `json:"scope"`
	}
	json.Unmarshal(claims, &c)
	if c.Iss != testEmail || !strings.Contains(c.Scope, "devstorage") {
		t.Fatalf("JWT claims %s", claims)
	}

	// obstore's emulator key file: gcs_base_url and disable_oauth, no
	// base_url configured.
	dir := t.TempDir()
	file := filepath.Join(dir, "gcs.json")
	os.WriteFile(file, []byte(`{"gcs_base_url":"`+ep+`","disable_oauth":true,"client_email":"","private_key":""}`), 0o600)
	s, seen = authHeaders(t, core.Config{Kind: kind, Bucket: bucket, Config: core.Options{"google_service_account": file}, ClientOptions: http}, nil)
	if _, err := s.Head(ctx, "a"); err != nil {
		t.Fatalf("store from an emulator key file: %v", err)
	}
	if (*seen)[0] != "" {
		t.Fatalf("disable_oauth still sent %q", (*seen)[0])
	}
	if _, err := s.Sign(ctx, "GET", "a", 60e9); !core.IsKind(err, core.NotSupported) {
		t.Fatalf("sign with an empty key: %v", err)
	}
}

func TestPlainHTTPNeedsAllowHTTP(t *testing.T) {
	c, _ := normalize(core.Config{Kind: kind, Bucket: "b", Config: core.Options{"base_url": "http://127.0.0.1:1"}})
	if _, err := open(context.Background(), c, nil, nil); !core.IsKind(err, core.InvalidArgument) || !strings.Contains(err.Error(), "allow_http") {
		t.Fatalf("http base_url without allow_http: %v", err)
	}
}

func TestOpenAppliesPrefix(t *testing.T) {
	ctx := context.Background()
	base := newEmulatorStore(t)
	c := emulatorConfig(t, base.name)
	c.Prefix = "pre/fix"
	s, err := driver.Open(ctx, Backend, c, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, "obj", []byte("x"), core.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := base.Head(ctx, "pre/fix/obj"); err != nil {
		t.Fatalf("object not under the prefix: %v", err)
	}
}
