package local

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/libobjstore/objstore/core"
)

func listNames(t *testing.T, s *Store, prefix core.Path) []string {
	t.Helper()
	var out []string
	for m, err := range s.List(context.Background(), prefix, core.ListOptions{}) {
		if err != nil {
			t.Fatalf("list: %v", err)
		}
		out = append(out, string(m.Location))
	}
	return out
}

func TestSymlinkOutsideRootIsRefused(t *testing.T) {
	ctx := context.Background()
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret"), []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := newStore(t).(*Store)
	if err := os.Symlink(filepath.Join(outside, "secret"), filepath.Join(s.Dir(), "leak")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(s.Dir(), "leakdir")); err != nil {
		t.Fatal(err)
	}
	_, err := s.Get(ctx, "leak", core.GetOptions{})
	if !core.IsKind(err, core.PermissionDenied) {
		t.Fatalf("get through a symlink leaving the root: %v, want PermissionDenied", err)
	}
	_, err = s.Head(ctx, "leakdir/secret")
	if !core.IsKind(err, core.PermissionDenied) {
		t.Fatalf("head through a symlinked directory leaving the root: %v, want PermissionDenied", err)
	}
	_, err = s.Put(ctx, "leakdir/new", []byte("x"), core.PutOptions{})
	if !core.IsKind(err, core.PermissionDenied) {
		t.Fatalf("put through a symlinked directory leaving the root: %v, want PermissionDenied", err)
	}
	if _, err := os.Stat(filepath.Join(outside, "new")); !os.IsNotExist(err) {
		t.Fatalf("a put escaped the root: %v", err)
	}
	var listErr error
	for _, err := range s.List(ctx, "", core.ListOptions{}) {
		if err != nil {
			listErr = err
		}
	}
	if !core.IsKind(listErr, core.PermissionDenied) {
		t.Fatalf("list over a symlink leaving the root: %v, want PermissionDenied", listErr)
	}
}

func TestSymlinkInsideRootIsFollowed(t *testing.T) {
	ctx := context.Background()
	s := newStore(t).(*Store)
	if _, err := s.Put(ctx, "real/file", []byte("data"), core.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("real", filepath.Join(s.Dir(), "alias")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(".", filepath.Join(s.Dir(), "real", "loop")); err != nil {
		t.Fatal(err)
	}
	res, err := s.Get(ctx, "alias/file", core.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := core.ReadAll(res, nil); string(b) != "data" {
		t.Fatalf("read through an inner symlink: %q", b)
	}
	if got := listNames(t, s, ""); !slices.Equal(got, []string{"alias/file", "real/file"}) {
		t.Fatalf("list with inner symlinks and a loop: %q", got)
	}
}

func TestTemporaryFilesAreHiddenAndRemoved(t *testing.T) {
	ctx := context.Background()
	s := newStore(t).(*Store)
	if _, err := s.Put(ctx, "dir/obj", []byte("x"), core.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	up, err := s.PutMultipart(ctx, "dir/mp", core.MultipartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := up.PutPart(ctx, 0, []byte("part")); err != nil {
		t.Fatal(err)
	}
	// A crashed write leaves a temporary file: it must stay invisible.
	if err := os.WriteFile(filepath.Join(s.Dir(), "dir", tempPrefix+"crashed"), []byte("partial"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := listNames(t, s, ""); !slices.Equal(got, []string{"dir/obj"}) {
		t.Fatalf("list shows internal files: %q", got)
	}
	lr, err := s.ListWithDelimiter(ctx, "")
	if err != nil || !slices.Equal(lr.CommonPrefixes, []core.Path{"dir"}) || len(lr.Objects) != 0 {
		t.Fatalf("list_with_delimiter shows internal files: %+v %v", lr, err)
	}
	if _, err := s.Put(ctx, core.Path("x/"+tempPrefix+"y"), []byte("x"), core.PutOptions{}); !core.IsKind(err, core.InvalidPath) {
		t.Fatalf("put to a reserved name: %v, want InvalidPath", err)
	}
	if err := up.Abort(ctx); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(filepath.Join(s.Dir(), stagingDir))
	if len(entries) != 0 {
		t.Fatalf("abort left %d staged uploads", len(entries))
	}
	// A failed create leaves no temporary file behind.
	if _, err := s.Put(ctx, "dir/obj", []byte("y"), core.PutOptions{Mode: core.PutMode{Kind: core.PutCreate}}); !core.IsKind(err, core.AlreadyExists) {
		t.Fatalf("create over an existing object: %v", err)
	}
	entries, _ = os.ReadDir(filepath.Join(s.Dir(), "dir"))
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{tempPrefix + "crashed", "obj"}) {
		t.Fatalf("directory holds %q after a failed create", names)
	}
}

func TestObjectAndPrefixConflict(t *testing.T) {
	ctx := context.Background()
	s := newStore(t).(*Store)
	if _, err := s.Put(ctx, "a", []byte("x"), core.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, "a/b", []byte("x"), core.PutOptions{}); !core.IsKind(err, core.InvalidPath) {
		t.Fatalf("put under an object: %v, want InvalidPath", err)
	}
	if _, err := s.Put(ctx, "c/d", []byte("x"), core.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, "c", []byte("x"), core.PutOptions{}); !core.IsKind(err, core.InvalidPath) {
		t.Fatalf("put over a directory: %v, want InvalidPath", err)
	}
}

func TestDeleteAndCleanup(t *testing.T) {
	ctx := context.Background()
	for _, cleanup := range []bool{false, true} {
		s, err := New(t.TempDir(), Options{AutomaticCleanup: cleanup})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Put(ctx, "x/y/z", []byte("1"), core.PutOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(ctx, "x/y/z"); err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(ctx, "x/y/z"); !core.IsKind(err, core.NotFound) {
			t.Fatalf("delete of a missing object: %v, want NotFound", err)
		}
		if err := s.Delete(ctx, "x/y"); !core.IsKind(err, core.NotFound) {
			t.Fatalf("delete of a directory: %v, want NotFound", err)
		}
		_, statErr := os.Stat(filepath.Join(s.Dir(), "x"))
		if cleanup != os.IsNotExist(statErr) {
			t.Fatalf("automatic_cleanup=%v: empty parent exists=%v", cleanup, statErr == nil)
		}
		s.Close()
	}
}

func TestOpenMissingRoot(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "missing")
	if _, err := New(dir, Options{}); !core.IsKind(err, core.NotFound) {
		t.Fatalf("open of a missing root without mkdir: %v, want NotFound", err)
	}
	s, err := New(dir, Options{Mkdir: true})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
}

func TestConfig(t *testing.T) {
	parse := func(raw string) (core.Config, error) {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		return Backend.ParseURL(u)
	}
	c, err := parse("file:///tmp/with%20space/data")
	if err != nil || c.Prefix != "/tmp/with space/data" || c.Kind != "local" {
		t.Fatalf("ParseURL: %+v %v", c, err)
	}
	if c, err = parse("file://localhost/srv"); err != nil || c.Prefix != "/srv" {
		t.Fatalf("ParseURL localhost: %+v %v", c, err)
	}
	if _, err = parse("file://otherhost/srv"); !core.IsKind(err, core.InvalidArgument) {
		t.Fatalf("ParseURL with a remote host: %v", err)
	}

	n, err := Backend.Normalize(core.Config{Kind: "local", Prefix: "/a/b/../c/", Config: core.Options{"MKDIR": "true", "automatic_cleanup": "0"}})
	if err != nil {
		t.Fatal(err)
	}
	if n.Prefix != "/a/c" || n.Config["mkdir"] != "true" || n.Config["automatic_cleanup"] != "0" {
		t.Fatalf("Normalize: %+v", n)
	}
	n, err = Backend.Normalize(core.Config{Kind: "local", Prefix: "relative/dir"})
	if err != nil || !filepath.IsAbs(n.Prefix) || !strings.HasSuffix(n.Prefix, "/relative/dir") {
		t.Fatalf("Normalize of a relative root: %+v %v", n, err)
	}
	for _, bad := range []core.Config{
		{Kind: "local", Prefix: "/x", Config: core.Options{"bogus": "1"}},
		{Kind: "local", Prefix: "/x", Config: core.Options{"mkdir": "maybe"}},
		{Kind: "local"},
		{Kind: "local", Prefix: "/x", Bucket: "b"},
	} {
		if _, err := Backend.Normalize(bad); err == nil {
			t.Fatalf("Normalize(%+v) accepted", bad)
		}
	}
	if _, err := Backend.Normalize(core.Config{Kind: "local", Prefix: "/x", Config: core.Options{"bogus": "1"}}); !core.IsKind(err, core.UnknownConfigKey) {
		t.Fatalf("unknown key: %v", err)
	}
}

func TestETagChangesOnEveryWrite(t *testing.T) {
	ctx := context.Background()
	s := newStore(t).(*Store)
	seen := map[string]bool{}
	for range 50 {
		res, err := s.Put(ctx, "same", []byte("same bytes"), core.PutOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if seen[res.ETag] {
			t.Fatalf("etag %q repeated for a new write", res.ETag)
		}
		seen[res.ETag] = true
	}
}
