package gcs

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/libobjstore/objstore/core"
)

const testEmail = "signer@objstore-test.iam.gserviceaccount.com"

// fakeServiceAccount returns a service-account JSON key around a freshly
// generated RSA key, and that key.
func fakeServiceAccount(t *testing.T) (string, *rsa.PrivateKey) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := json.Marshal(map[string]string{
		"type":           "service_account",
		"project_id":     "objstore-test",
		"private_key_id": "0123456789abcdef",
		"private_key":    string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email":   testEmail,
		"client_id":      "1",
		"token_uri":      "https://oauth2.googleapis.com/token",
	})
	return string(doc), key
}

// uriEncode is RFC 3986 percent-encoding as V4 signing defines it: only
// unreserved characters stay, and "/" too when keepSlash.
func uriEncode(s string, keepSlash bool) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '.', c == '_', c == '~':
			b.WriteByte(c)
		case c == '/' && keepSlash:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// verifyV4 checks a V4 signed URL the way GCS does, independently of the
// SDK: it rebuilds the canonical request and string to sign from the URL
// and checks X-Goog-Signature against the public key.
func verifyV4(signed, method, bucket, object string, pub *rsa.PublicKey, now time.Time) error {
	u, err := url.Parse(signed)
	if err != nil {
		return err
	}
	wantPath := "/" + bucket + "/" + uriEncode(object, true)
	if u.EscapedPath() != wantPath {
		return fmt.Errorf("path %q, want %q", u.EscapedPath(), wantPath)
	}
	q := u.Query()
	if q.Get("X-Goog-Algorithm") != "GOOG4-RSA-SHA256" || q.Get("X-Goog-SignedHeaders") != "host" {
		return fmt.Errorf("algorithm %q signed headers %q", q.Get("X-Goog-Algorithm"), q.Get("X-Goog-SignedHeaders"))
	}
	email, scope, ok := strings.Cut(q.Get("X-Goog-Credential"), "/")
	if !ok || email != testEmail {
		return fmt.Errorf("credential %q does not name %s", q.Get("X-Goog-Credential"), testEmail)
	}
	date := q.Get("X-Goog-Date")
	signedAt, err := time.Parse("20060102T150405Z", date)
	if err != nil {
		return fmt.Errorf("X-Goog-Date %q: %v", date, err)
	}
	if scope != date[:8]+"/auto/storage/goog4_request" {
		return fmt.Errorf("credential scope %q", scope)
	}
	expires, err := strconv.Atoi(q.Get("X-Goog-Expires"))
	if err != nil || now.After(signedAt.Add(time.Duration(expires)*time.Second)) {
		return fmt.Errorf("expired or bad X-Goog-Expires %q", q.Get("X-Goog-Expires"))
	}
	sig, err := hex.DecodeString(q.Get("X-Goog-Signature"))
	if err != nil {
		return fmt.Errorf("signature is not hex: %v", err)
	}

	keys := make([]string, 0, len(q))
	for k := range q {
		if k != "X-Goog-Signature" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	pairs := make([]string, len(keys))
	for i, k := range keys {
		pairs[i] = uriEncode(k, false) + "=" + uriEncode(q.Get(k), false)
	}
	canonical := strings.Join([]string{
		method,
		u.EscapedPath(),
		strings.Join(pairs, "&"),
		"host:" + u.Host + "\n",
		"host",
		"UNSIGNED-PAYLOAD",
	}, "\n")
	hashed := sha256.Sum256([]byte(canonical))
	toSign := strings.Join([]string{"GOOG4-RSA-SHA256", date, scope, hex.EncodeToString(hashed[:])}, "\n")
	digest := sha256.Sum256([]byte(toSign))
	return rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig)
}

func signingStore(t *testing.T, extra core.Options) (*Store, *rsa.PrivateKey) {
	t.Helper()
	key, priv := fakeServiceAccount(t)
	cfg := core.Options{"google_service_account_key": key}
	for k, v := range extra {
		cfg[k] = v
	}
	c, err := normalize(core.Config{Kind: kind, Bucket: "signed-bucket", Config: cfg, ClientOptions: core.Options{"allow_http": "true"}})
	if err != nil {
		t.Fatal(err)
	}
	s, err := open(context.Background(), c, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, priv
}

func TestSignedURLVerifiesOffline(t *testing.T) {
	ctx := context.Background()
	s, priv := signingStore(t, nil)
	object := "dir/a file 🇦🇺 $&+,;=@~.txt"
	for _, method := range []string{"GET", "PUT", "DELETE", "HEAD"} {
		signed, err := s.Sign(ctx, method, core.Path(object), 15*time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if q, _ := url.ParseQuery(strings.SplitN(signed, "?", 2)[1]); q.Get("X-Goog-Expires") != "900" {
			t.Fatalf("X-Goog-Expires=%q, want 900", q.Get("X-Goog-Expires"))
		}
		if !strings.HasPrefix(signed, "https://storage.googleapis.com/signed-bucket/") {
			t.Fatalf("signed URL %q is not a path-style URL of the public endpoint", signed)
		}
		if err := verifyV4(signed, method, "signed-bucket", object, &priv.PublicKey, time.Now()); err != nil {
			t.Fatalf("%s URL does not verify: %v\n%s", method, err, signed)
		}
		// The verifier must refuse what GCS would refuse.
		if verifyV4(signed, "POST", "signed-bucket", object, &priv.PublicKey, time.Now()) == nil {
			t.Fatal("verifier accepted the URL for another method")
		}
		tampered := strings.Replace(signed, "dir/a", "dir/b", 1)
		if verifyV4(tampered, method, "signed-bucket", strings.Replace(object, "dir/a", "dir/b", 1), &priv.PublicKey, time.Now()) == nil {
			t.Fatal("verifier accepted a URL altered to another object")
		}
		if verifyV4(signed, method, "signed-bucket", object, &priv.PublicKey, time.Now().Add(16*time.Minute)) == nil {
			t.Fatal("verifier accepted an expired URL")
		}
	}
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	signed, _ := s.Sign(ctx, "GET", "x", time.Minute)
	if verifyV4(signed, "GET", "signed-bucket", "x", &other.PublicKey, time.Now()) == nil {
		t.Fatal("verifier accepted a signature from another key")
	}
}

func TestSignThroughPrefixAndLimits(t *testing.T) {
	ctx := context.Background()
	s, priv := signingStore(t, nil)
	ps := core.Prefixed(s, "some/prefix")
	signed, err := core.Sign(ctx, ps, "GET", "obj", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if err := verifyV4(signed, "GET", "signed-bucket", "some/prefix/obj", &priv.PublicKey, time.Now()); err != nil {
		t.Fatalf("prefixed signed URL: %v", err)
	}
	if _, err := s.Sign(ctx, "GET", "x", 7*24*time.Hour); err != nil {
		t.Fatalf("7-day expiry (the V4 maximum): %v", err)
	}
	if _, err := s.Sign(ctx, "GET", "x", 8*24*time.Hour); !core.IsKind(err, core.InvalidArgument) {
		t.Fatalf("8-day expiry: %v, want InvalidArgument", err)
	}
	if _, err := s.Sign(ctx, "PATCH", "x", time.Hour); !core.IsKind(err, core.InvalidArgument) {
		t.Fatalf("PATCH: %v, want InvalidArgument", err)
	}
	anon := newEmulatorStore(t)
	if _, err := anon.Sign(ctx, "GET", "x", time.Hour); !core.IsKind(err, core.NotSupported) {
		t.Fatalf("sign without a key: %v, want NotSupported", err)
	}
}

// A URL signed for a custom base_url points at it; fetching it from the
// emulator (which does not check signatures) shows bucket and object are
// addressed right, encoding included.
func TestSignedURLAgainstEmulator(t *testing.T) {
	ctx := context.Background()
	base := newEmulatorStore(t)
	key, priv := fakeServiceAccount(t)
	c, err := normalize(core.Config{Kind: kind, Bucket: base.name, Config: core.Options{
		"service_account_key": key, "base_url": emulatorEndpoint(t),
		// No token exchange with the emulator: obstore's emulator switch.
		"skip_signature": "true",
	}, ClientOptions: core.Options{"allow_http": "true"}})
	if err != nil {
		t.Fatal(err)
	}
	s, err := open(ctx, c, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	object := core.Path("signed dir/naïve file.txt")
	if _, err := s.Put(ctx, object, []byte("signed content"), core.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	signed, err := s.Sign(ctx, "GET", object, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(signed, emulatorEndpoint(t)+"/"+base.name+"/") {
		t.Fatalf("signed URL %q does not point at the emulator", signed)
	}
	// The SDK signs "host:" without the port (storage.SignedURL uses
	// u.Hostname()), so a strict verifier refuses URLs for a host:port
	// endpoint. Only emulators have ports, and they do not check signatures.
	if err := verifyV4(signed, "GET", base.name, string(object), &priv.PublicKey, time.Now()); err == nil {
		t.Fatal("the SDK now signs the port too: update this test and the report")
	}
	_ = priv
	resp, err := http.Get(signed)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "signed content" {
		t.Fatalf("GET signed URL: %d %q", resp.StatusCode, body)
	}
}
