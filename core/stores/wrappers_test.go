package stores

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/cache"
	"github.com/libobjstore/objstore/core/limit"
)

func parseDoc(t *testing.T, text string) core.Config {
	t.Helper()
	c, err := core.ParseConfig([]byte(text))
	if err != nil {
		t.Fatalf("parse %s: %v", text, err)
	}
	return c
}

func TestWrappingDocumentsNormalize(t *testing.T) {
	dir := t.TempDir()
	doc := parseDoc(t, `{"kind":"prefix","config":{"PREFIX":"/tables/2024/"},"inner":
		{"kind":"limit","config":{"max_in_flight":8,"bytes_per_second":"20MiB"},"inner":
		{"kind":"cache","config":{"Memory_Bytes":"64MiB","disk_dir":"`+dir+`/./c","ttl":"90s"},"inner":
		{"kind":"local","prefix":"`+dir+`/data/"}}}}`)
	c, err := Normalize(doc)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"kind":"prefix","config":{"prefix":"tables/2024"},"inner":` +
		`{"kind":"limit","config":{"bytes_per_second":"20MiB","max_in_flight":"8"},"inner":` +
		`{"kind":"cache","config":{"disk_dir":"` + dir + `/c","memory_bytes":"64MiB","ttl":"90s"},"inner":` +
		`{"kind":"local","prefix":"` + dir + `/data"}}}}`
	if string(c.JSON()) != want {
		t.Fatalf("canonical form:\n%s\nwant\n%s", c.JSON(), want)
	}
	again, err := Normalize(parseDoc(t, string(c.JSON())))
	if err != nil || string(again.JSON()) != want {
		t.Fatalf("the canonical form does not round-trip: %s %v", again.JSON(), err)
	}
	names, err := EnvironmentNames("cache")
	if err != nil || len(names) != 0 {
		t.Fatalf("a cache reads no variable itself: %v %v", names, err)
	}
}

func TestWrappingDocumentsRefused(t *testing.T) {
	long := `{"kind":"memory"}`
	for range maxNesting + 1 {
		long = `{"kind":"limit","config":{"max_in_flight":1},"inner":` + long + `}`
	}
	for doc, kind := range map[string]core.Kind{
		`{"kind":"cache"}`: core.InvalidArgument,
		`{"kind":"cache","inner":{"kind":"memory"},"config":{"colour":"red"}}`:             core.UnknownConfigKey,
		`{"kind":"cache","inner":{"kind":"memory"},"config":{"ttl":"1s","TTL":"2s"}}`:      core.InvalidArgument,
		`{"kind":"cache","inner":{"kind":"memory"},"config":{"memory_bytes":"lots"}}`:      core.InvalidArgument,
		`{"kind":"cache","inner":{"kind":"memory"},"config":{"memory_bytes":"-1"}}`:        core.InvalidArgument,
		`{"kind":"cache","inner":{"kind":"memory"},"config":{"ttl":"soon"}}`:               core.InvalidArgument,
		`{"kind":"cache","inner":{"kind":"memory"},"config":{"block_bytes":"1GiB"}}`:       core.InvalidArgument,
		`{"kind":"cache","inner":{"kind":"memory"},"config":{"disk_bytes":"1GiB"}}`:        core.InvalidArgument,
		`{"kind":"cache","inner":{"kind":"memory"},"config":{"memory_bytes":0}}`:           core.InvalidArgument,
		`{"kind":"cache","inner":{"kind":"memory"},"bucket":"b"}`:                          core.InvalidArgument,
		`{"kind":"cache","inner":{"kind":"memory"},"prefix":"p"}`:                          core.InvalidArgument,
		`{"kind":"cache","inner":{"kind":"memory"},"client_options":{"timeout":"1s"}}`:     core.UnknownConfigKey,
		`{"kind":"cache","inner":{"kind":"memory","config":{"colour":1}}}`:                 core.UnknownConfigKey,
		`{"kind":"cache","inner":{"kind":"nosuch"}}`:                                       core.InvalidArgument,
		`{"kind":"limit","inner":{"kind":"memory"}}`:                                       core.InvalidArgument,
		`{"kind":"limit","inner":{"kind":"memory"},"config":{"max_in_flight":0}}`:          core.InvalidArgument,
		`{"kind":"limit","inner":{"kind":"memory"},"config":{"requests_per_second":"-5"}}`: core.InvalidArgument,
		`{"kind":"limit","inner":{"kind":"memory"},"config":{"bytes_per_second":"fast"}}`:  core.InvalidArgument,
		`{"kind":"prefix","inner":{"kind":"memory"}}`:                                      core.InvalidArgument,
		`{"kind":"prefix","inner":{"kind":"memory"},"config":{"prefix":"a/../b"}}`:         core.InvalidPath,
		`{"kind":"memory","inner":{"kind":"memory"}}`:                                      core.InvalidArgument,
		`{"kind":"s3","bucket":"b","inner":{"kind":"memory"}}`:                             core.InvalidArgument,
		long: core.InvalidArgument,
	} {
		_, err := Normalize(parseDoc(t, doc))
		if !core.IsKind(err, kind) {
			t.Errorf("%s: %v, want %v", doc, err, kind)
		}
	}
	_, err := Normalize(parseDoc(t, `{"kind":"cache","inner":{"kind":"memory","config":{"colour":1}}}`))
	if !strings.Contains(err.Error(), "inner document") {
		t.Errorf("an error in the inner document does not say so: %v", err)
	}
	// strict JSON at every level
	for _, text := range []string{
		`{"kind":"cache","inner":{"kind":"memory","kind":"memory"}}`,
		`{"kind":"cache","inner":{"kind":"memory","colour":1}}`,
	} {
		if _, err := core.ParseConfig([]byte(text)); err == nil {
			t.Errorf("%s was accepted", text)
		}
	}
}

// Equal wrapping documents over a shared store share one wrapper (one
// cache, one set of limits) and it closes, with its inner store's share,
// with the last handle; over memory, each opening is its own.
func TestWrappersShareAndClose(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	doc := parseDoc(t, `{"kind":"cache","config":{"disk_dir":"`+filepath.Join(dir, "cache")+`"},"inner":{"kind":"local","prefix":"`+dir+`"}}`)
	before := SharedCount()
	a, err := Open(ctx, doc, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Open(ctx, doc, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.Store != b.Store || SharedCount() != before+2 { // the local store and the cache over it
		t.Fatalf("equal cache documents: shared %v, %d stores open", a.Store == b.Store, SharedCount()-before)
	}
	if _, ok := a.Backend.(*cache.Store); !ok {
		t.Fatalf("a cache handle's Backend is a %T", a.Backend)
	}
	if _, err := a.Store.Put(ctx, "x", []byte("v"), core.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	a.Close()
	b.Close()
	if SharedCount() != before {
		t.Fatalf("closing every handle left %d stores open", SharedCount()-before)
	}
	if _, err := a.Store.Get(ctx, "x", core.GetOptions{}); err == nil {
		t.Fatal("the inner store still reads after the last handle closed")
	}

	m1, err := Open(ctx, parseDoc(t, `{"kind":"limit","config":{"max_in_flight":2},"inner":{"kind":"memory"}}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m1.Close()
	m2, err := Open(ctx, m1.Config, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m2.Close()
	if m1.Store == m2.Store {
		t.Fatal("two limit stores over memory are one")
	}
	if _, ok := m1.Backend.(*limit.Store); !ok {
		t.Fatalf("a limit handle's Backend is a %T", m1.Backend)
	}
}

// Wrap builds a wrapper over an open store, for one no document reaches
// again: a cache over a memory store reads that memory store's objects.
func TestWrapOverAnOpenStore(t *testing.T) {
	ctx := context.Background()
	mem, err := Open(ctx, core.Config{Kind: "memory"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mem.Store.Put(ctx, "a/x", []byte("v"), core.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	pre, err := Wrap(ctx, parseDoc(t, `{"kind":"prefix","config":{"prefix":"a"}}`), mem)
	if err != nil {
		t.Fatal(err)
	}
	cached, err := Wrap(ctx, parseDoc(t, `{"kind":"cache","config":{"memory_bytes":"1MiB"},"inner":{"kind":"prefix","config":{"prefix":"a"},"inner":{"kind":"memory"}}}`), pre)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"kind":"cache","config":{"memory_bytes":"1MiB"},"inner":{"kind":"prefix","config":{"prefix":"a"},"inner":{"kind":"memory"}}}`; string(cached.Config.JSON()) != want {
		t.Fatalf("document %s", cached.Config.JSON())
	}
	mem.Close() // the wrappers hold their own shares
	pre.Close()
	res, err := cached.Store.Get(ctx, "x", core.GetOptions{})
	if err != nil {
		t.Fatalf("a cache over a prefix over the memory store: %v", err)
	}
	if data, _ := core.ReadAll(res, nil); string(data) != "v" {
		t.Fatalf("read %q", data)
	}
	cached.Close()

	other, err := Open(ctx, core.Config{Kind: "memory"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	for doc, kind := range map[string]core.Kind{
		`{"kind":"cache","inner":{"kind":"local","prefix":"/tmp"}}`: core.InvalidArgument, // not the store given
		`{"kind":"memory"}`:                    core.InvalidArgument, // wraps nothing
		`{"kind":"cache","config":{"nope":1}}`: core.UnknownConfigKey,
	} {
		if _, err := Wrap(ctx, parseDoc(t, doc), other); !core.IsKind(err, kind) {
			t.Errorf("wrap %s: %v, want %v", doc, err, kind)
		}
	}
}

// A wrapper over a store reading the environment is opened with it: equal
// documents with other credentials are other stores.
func TestWrapperPassesTheEnvironmentOn(t *testing.T) {
	ctx := context.Background()
	doc := parseDoc(t, `{"kind":"limit","config":{"max_in_flight":4},"inner":{"kind":"s3","bucket":"b","config":{"region":"us-east-1","endpoint":"http://127.0.0.1:9"},"client_options":{"allow_http":true}}}`)
	a, err := Open(ctx, doc, map[string]string{"AWS_ACCESS_KEY_ID": "one", "AWS_SECRET_ACCESS_KEY": "s"})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(ctx, doc, map[string]string{"AWS_ACCESS_KEY_ID": "two", "AWS_SECRET_ACCESS_KEY": "s"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	c, err := Open(ctx, doc, map[string]string{"AWS_ACCESS_KEY_ID": "one", "AWS_SECRET_ACCESS_KEY": "s", "UNRELATED": "x"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if a.Store == b.Store || a.Store != c.Store {
		t.Fatalf("sharing by environment: other credentials shared %v, unrelated variables split %v", a.Store == b.Store, a.Store != c.Store)
	}
}
