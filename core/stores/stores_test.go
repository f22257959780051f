package stores

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/tracing"
)

func TestNormalize(t *testing.T) {
	c, err := Normalize(core.Config{Kind: "memory"})
	if err != nil || c.Kind != "memory" {
		t.Fatalf("Normalize memory: %+v %v", c, err)
	}
	if _, err := Normalize(core.Config{Kind: "memory", Config: core.Options{"x": "1"}}); !core.IsKind(err, core.UnknownConfigKey) {
		t.Fatalf("memory with a config key: %v, want UnknownConfigKey", err)
	}
	c, err = Normalize(core.Config{Kind: "local", Prefix: "/data/../srv/", Config: core.Options{"Automatic_Cleanup": "true"}})
	if err != nil || c.Prefix != "/srv" || c.Config["automatic_cleanup"] != "true" {
		t.Fatalf("Normalize local: %+v %v", c, err)
	}
	if _, err := Normalize(core.Config{Kind: "nosuchstore"}); !core.IsKind(err, core.InvalidArgument) {
		t.Fatalf("unknown kind: %v, want InvalidArgument", err)
	}
}

func TestFromURL(t *testing.T) {
	c, err := FromURL("memory://", core.Config{})
	if err != nil || string(c.JSON()) != `{"kind":"memory"}` {
		t.Fatalf("memory://: %s %v", c.JSON(), err)
	}
	c, err = FromURL("memory:///", core.Config{})
	if err != nil || string(c.JSON()) != `{"kind":"memory"}` {
		t.Fatalf("memory:///: %s %v", c.JSON(), err)
	}
	c, err = FromURL("file:///tmp/some%20dir/x", core.Config{})
	if err != nil || c.Kind != "local" || c.Prefix != "/tmp/some dir/x" {
		t.Fatalf("file URL: %+v %v", c, err)
	}
	// Explicit options win over the URL and merge key by key.
	c, err = FromURL("file:///tmp/a", core.Config{Prefix: "/tmp/b", Config: core.Options{"MKDIR": "true"}})
	if err != nil || c.Prefix != "/tmp/b" || c.Config["mkdir"] != "true" {
		t.Fatalf("file URL with overrides: %+v %v", c, err)
	}
	if _, err := FromURL("file:///tmp/a", core.Config{Kind: "memory"}); err == nil {
		t.Fatalf("a kind contradicting the URL was accepted")
	}
	if _, err := FromURL("nosuch://x/y", core.Config{}); !core.IsKind(err, core.InvalidArgument) {
		t.Fatalf("unknown scheme: %v", err)
	}
	if _, err := FromURL("/no/scheme", core.Config{}); !core.IsKind(err, core.InvalidArgument) {
		t.Fatalf("no scheme: %v", err)
	}
	if _, err := FromURL("file://remote/x", core.Config{}); !core.IsKind(err, core.InvalidArgument) {
		t.Fatalf("file URL with a host: %v", err)
	}
}

func TestSharing(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	before := SharedCount()
	a, err := Open(ctx, core.Config{Kind: "local", Prefix: dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Open(ctx, core.Config{Kind: "local", Prefix: dir + "/."}, nil) // equal once normalized
	if err != nil {
		t.Fatal(err)
	}
	if a.Store != b.Store || SharedCount() != before+1 {
		t.Fatalf("equal local documents did not share one store")
	}
	other, err := Open(ctx, core.Config{Kind: "local", Prefix: dir, Config: core.Options{"automatic_cleanup": "true"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if other.Store == a.Store {
		t.Fatalf("different documents shared a store")
	}
	a.Close()
	b.Close()
	other.Close()
	if SharedCount() != before {
		t.Fatalf("closing every handle left %d shared stores (was %d)", SharedCount(), before)
	}

	m1, err := Open(ctx, core.Config{Kind: "memory"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	m2, err := Open(ctx, core.Config{Kind: "memory"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m1.Store.Put(ctx, "k", []byte("v"), core.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := m2.Store.Head(ctx, "k"); !core.IsKind(err, core.NotFound) {
		t.Fatalf("two memory stores share objects: %v", err)
	}
	if _, err := Open(ctx, core.Config{Kind: "local", Prefix: dir + "/missing"}, nil); !core.IsKind(err, core.NotFound) {
		t.Fatalf("open of a missing root: %v", err)
	}
}

// A shared store closes with its last reference, shares included, and not
// before: until then every handle's store works.
func TestStoreClosesWithItsLastHandle(t *testing.T) {
	ctx := context.Background()
	doc := core.Config{Kind: "local", Prefix: t.TempDir()}
	a, err := Open(ctx, doc, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Open(ctx, doc, nil)
	if err != nil {
		t.Fatal(err)
	}
	share := a.Share()
	put := func(h *Handle) error {
		_, err := h.Store.Put(ctx, "x", []byte("v"), core.PutOptions{})
		return err
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil { // twice: nothing more
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := put(share); err != nil {
		t.Fatalf("the store closed while a share was open: %v", err)
	}
	if err := share.Close(); err != nil {
		t.Fatal(err)
	}
	if err := put(share); err == nil {
		t.Fatal("the store still writes after its last handle closed")
	}
	c, err := Open(ctx, doc, nil) // a new store for the document
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := put(c); err != nil {
		t.Fatalf("a new handle after the last close: %v", err)
	}
}

func TestOpenWithPrefix(t *testing.T) {
	ctx := context.Background()
	h, err := Open(ctx, core.Config{Kind: "memory", Prefix: "a/b"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Store.Put(ctx, "x", []byte("v"), core.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	for m, err := range h.Store.List(ctx, "", core.ListOptions{}) {
		if err != nil || m.Location != "x" {
			t.Fatalf("prefixed memory store lists %q %v", m.Location, err)
		}
	}
}

func TestEnvironmentNames(t *testing.T) {
	want := map[string][]string{
		"gcs":   {"HOME", "CLOUDSDK_CONFIG", "GCE_METADATA_HOST", "GOOGLE_APPLICATION_CREDENTIALS", "GOOGLE_SERVICE_ACCOUNT", "GOOGLE_BASE_URL"},
		"s3":    {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL", "AWS_BUCKET", "AWS_ALLOW_HTTP", "AWS_TIMEOUT"},
		"azure": {"AZURE_STORAGE_ACCOUNT_NAME", "AZURE_STORAGE_ACCOUNT_KEY", "AZURITE_BLOB_STORAGE_URL"},
	}
	for _, kind := range []string{"memory", "local", "s3", "gcs", "azure", "http"} {
		names, err := EnvironmentNames(kind)
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		if !slices.IsSorted(names) || len(slices.Compact(slices.Clone(names))) != len(names) {
			t.Errorf("%s: names not sorted and unique: %v", kind, names)
		}
		for _, n := range want[kind] {
			if !slices.Contains(names, n) {
				t.Errorf("%s does not declare %s: %v", kind, n, names)
			}
		}
		own := slices.DeleteFunc(slices.Clone(names), func(n string) bool { return slices.Contains(tracing.EnvironmentNames, n) })
		if len(want[kind]) == 0 && len(own) != 0 {
			t.Errorf("%s reads no variable of its own but declares %v", kind, own)
		}
		if len(names)-len(own) != len(tracing.EnvironmentNames) {
			t.Errorf("%s does not declare every OTEL_ variable tracing reads: %v", kind, names)
		}
		if kind != "gcs" && slices.Contains(names, "HOME") {
			t.Errorf("%s declares HOME", kind)
		}
	}
	if _, err := EnvironmentNames("nosuch"); !core.IsKind(err, core.InvalidArgument) {
		t.Fatalf("unknown kind: %v", err)
	}
}

// Open hands a backend its declared variables only: unrelated ones neither
// reach it nor split the sharing of one client.
func TestOpenPassesDeclaredEnvironmentOnly(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	before := SharedCount()
	a, err := Open(ctx, core.Config{Kind: "local", Prefix: dir}, map[string]string{"UNRELATED": "1"})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(ctx, core.Config{Kind: "local", Prefix: dir}, map[string]string{"UNRELATED": "2", "HOME": "/elsewhere"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if a.Store != b.Store || SharedCount() != before+1 {
		t.Fatalf("undeclared variables split the sharing of a local store")
	}

	// GCS finds gcloud's default credentials through HOME: a service-account
	// file naming an emulator endpoint (no request is made at open).
	home := t.TempDir()
	adc := filepath.Join(home, ".config", "gcloud", "application_default_credentials.json")
	if err := os.MkdirAll(filepath.Dir(adc), 0o700); err != nil {
		t.Fatal(err)
	}
	doc := `{"type":"service_account","gcs_base_url":"http://127.0.0.1:9","disable_oauth":true,"client_email":"","private_key":""}`
	if err := os.WriteFile(adc, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	gcs := core.Config{Kind: "gcs", Bucket: "b", ClientOptions: core.Options{"allow_http": "true"}}
	h, err := Open(ctx, gcs, map[string]string{"HOME": home})
	if err != nil {
		t.Fatalf("GCS store with an ADC file under HOME: %v", err)
	}
	h.Close()
	if _, err := Open(ctx, gcs, map[string]string{"HOME": t.TempDir()}); !core.IsKind(err, core.Unauthenticated) {
		t.Fatalf("GCS store with an empty HOME: %v, want Unauthenticated", err)
	}
}

// Only the backends that send no HTTP request (memory, local files) are
// counted as in-process (core/observe): a store that sends requests must
// get each operation as its calls' context, or its attempts, retries and
// resumes count nowhere. A wrapping kind never is (its store passes its
// context on to the inner store's).
func TestInProcessBackends(t *testing.T) {
	for _, b := range slices.Concat(backends, wrappers) {
		want := b.Kind == "memory" || b.Kind == "local"
		if b.InProcess != want {
			t.Errorf("%s: InProcess %v, want %v", b.Kind, b.InProcess, want)
		}
	}
}
