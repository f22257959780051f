package stores

import (
	"errors"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/libobjstore/objstore/core"
)

// secretQueryKey matches query parameters that carry credentials (SAS
// signatures, tokens, keys, passwords).
var secretQueryKey = regexp.MustCompile(`(?i)sig|token|secret|passw|key|credential|sas`)

// secretsOf lists the distinctive secrets a URL carries: its password and
// the values of credential-like query parameters. Short or plain-word
// values are left out: they could match an error's own wording by chance.
func secretsOf(raw string) []string {
	u, err := url.Parse(raw)
	if err != nil {
		return nil
	}
	var secrets []string
	if pw, ok := u.User.Password(); ok {
		secrets = append(secrets, pw)
	}
	if q, err := url.ParseQuery(u.RawQuery); err == nil {
		for k, vs := range q {
			if secretQueryKey.MatchString(k) {
				secrets = append(secrets, vs...)
			}
		}
	}
	distinctive := secrets[:0]
	for _, s := range secrets {
		if len(s) >= 8 && strings.ContainsAny(s, "0123456789") && strings.IndexFunc(s, func(r rune) bool { return r >= 'A' && r <= 'Z' }) >= 0 {
			distinctive = append(distinctive, s)
		}
	}
	return distinctive
}

// FuzzFromURL: any string given to FromURL, over every registered
// backend, returns a canonical document or a typed error; never panics.
// A document is a fixed point of Normalize and round-trips through its
// JSON; an error never repeats a password or a credential from the URL.
func FuzzFromURL(f *testing.F) {
	for _, s := range []string{
		"memory://", "memory:///", "file:///tmp/x", "file:///tmp/some%20dir/x", "file://localhost/tmp", "file:///../etc",
		"s3://bucket", "s3://bucket/prefix/a%2Fb", "s3a://b/p", "s3://AKIA:Sec7etKeyX@bucket/p",
		"https://s3.us-west-2.amazonaws.com/bucket/x", "https://bucket.s3.eu-west-1.amazonaws.com/k",
		"https://account.r2.cloudflarestorage.com/bucket", "http://127.0.0.1:9000/bucket?region=x",
		"gs://bucket/path", "gcs://b", "https://storage.googleapis.com/bucket/o",
		"az://container/path", "azure://c", "abfs://container@account.dfs.core.windows.net/p",
		"abfss://c@a.dfs.fabric.microsoft.com/", "adl://c", "https://account.blob.core.windows.net/container?sv=2022&sig=AbC123xyzSIG",
		"https://account.dfs.core.windows.net/c/p?sp=r&sig=Zz9SecretSig", "https://onelake.dfs.fabric.microsoft.com/ws/item",
		"http://user:Pa55wordXY@example.com/dir/", "https://example.com/a b", "https://[::1]:80/x", "https://h:bad/x",
		"ftp://x", "://", "", "s3://", "s3:///key", "gs://", "az://", "s3://b/%zz", "s3://b/./..", "s3://b/a//c",
		"s3://b?token=Tok3nValueLONG", "HTTPS://Example.COM/x", "memory://host/path", "file:relative", "\x00://x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		c, err := FromURL(raw, core.Config{})
		if err != nil {
			var e *core.Error
			if !errors.As(err, &e) {
				t.Fatalf("FromURL(%q): untyped error %T: %v", raw, err, err)
			}
			msg := err.Error()
			for _, s := range secretsOf(raw) {
				if strings.Contains(msg, s) {
					t.Fatalf("FromURL(%q): error shows the secret %q: %s", raw, s, msg)
				}
			}
			return
		}
		if _, err := backendFor(c.Kind); err != nil {
			t.Fatalf("FromURL(%q) gave unknown kind %q", raw, c.Kind)
		}
		again, err := Normalize(c)
		if err != nil {
			t.Fatalf("FromURL(%q) = %s does not normalize: %v", raw, c.JSON(), err)
		}
		if !reflect.DeepEqual(emptyAsNil(again), emptyAsNil(c)) {
			t.Fatalf("FromURL(%q) is not canonical:\n%s\n%s", raw, c.JSON(), again.JSON())
		}
		parsed, err := core.ParseConfig(c.JSON())
		if err != nil {
			t.Fatalf("FromURL(%q): its JSON %s does not parse: %v", raw, c.JSON(), err)
		}
		if parsed, err = Normalize(parsed); err != nil || !reflect.DeepEqual(emptyAsNil(parsed), emptyAsNil(c)) {
			t.Fatalf("FromURL(%q): JSON does not round-trip (%v):\n%s\n%s", raw, err, c.JSON(), parsed.JSON())
		}
	})
}

func emptyAsNil(c core.Config) core.Config {
	if len(c.Config) == 0 {
		c.Config = nil
	}
	if len(c.ClientOptions) == 0 {
		c.ClientOptions = nil
	}
	return c
}

// FuzzNormalize: any document, nested wrapping documents included,
// normalizes to a canonical document or a typed error; never panics. A
// canonical document is a fixed point of Normalize and round-trips through
// its JSON.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{
		`{"kind":"memory"}`, `{"kind":"local","prefix":"/tmp/x/../y"}`,
		`{"kind":"cache","inner":{"kind":"memory"}}`,
		`{"kind":"cache","config":{"memory_bytes":"64MiB","disk_dir":"rel/dir","disk_bytes":"1.5 GB","ttl":"90s","block_bytes":65536},"inner":{"kind":"memory"}}`,
		`{"kind":"cache","config":{"memory_bytes":"1e3"},"inner":{"kind":"memory"}}`,
		`{"kind":"limit","config":{"max_in_flight":"4","requests_per_second":"0.5","bytes_per_second":"1KiB"},"inner":{"kind":"s3","bucket":"b"}}`,
		`{"kind":"prefix","config":{"prefix":"/a//b/"},"inner":{"kind":"prefix","config":{"prefix":"c"},"inner":{"kind":"memory"}}}`,
		`{"kind":"prefix","inner":{"kind":"cache","inner":{"kind":"limit","inner":{}}}}`, `{"kind":"memory","inner":{"kind":"memory"}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := core.ParseConfig(data)
		if err != nil {
			return
		}
		c, err := Normalize(doc)
		if err != nil {
			var e *core.Error
			if !errors.As(err, &e) {
				t.Fatalf("Normalize(%s): untyped error %T: %v", data, err, err)
			}
			return
		}
		parsed, err := core.ParseConfig(c.JSON())
		if err != nil {
			t.Fatalf("canonical %s does not parse: %v", c.JSON(), err)
		}
		again, err := Normalize(parsed)
		if err != nil || string(again.JSON()) != string(c.JSON()) {
			t.Fatalf("not a fixed point (%v):\n%s\n%s", err, c.JSON(), again.JSON())
		}
	})
}
