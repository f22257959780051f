package memory

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) core.Store { return New() }, storetest.Capabilities{
		NoVersions:      true,
		NoSign:          true,
		NoUploadCleanup: true, // uploads live in the process only
	})
}

// The sorted index that listings read follows every write: an overwrite
// (replaced in place), a new path, a delete, a rename, a copy and a
// multipart upload.
func TestListingFollowsWrites(t *testing.T) {
	ctx := context.Background()
	s := New()
	put := func(p string, data string) {
		t.Helper()
		if _, err := s.Put(ctx, core.MustPath(p), []byte(data), core.PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	expect := func(want string) {
		t.Helper()
		var got []string
		for m, err := range s.List(ctx, "", core.ListOptions{}) {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, fmt.Sprintf("%s:%d", m.Location, m.Size))
		}
		if strings.Join(got, " ") != want {
			t.Fatalf("listed %v, want %s", got, want)
		}
	}
	put("b", "1")
	put("a/x", "1")
	put("a-b", "1")
	expect("a-b:1 a/x:1 b:1")
	put("a/x", "22") // overwrite: same place, new entry
	expect("a-b:1 a/x:2 b:1")
	put("a/w", "333")
	expect("a-b:1 a/w:3 a/x:2 b:1")
	if err := s.Delete(ctx, "a-b"); err != nil {
		t.Fatal(err)
	}
	expect("a/w:3 a/x:2 b:1")
	if err := s.Rename(ctx, "b", "c", core.CopyOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := s.Copy(ctx, "a/w", "a/v", core.CopyOptions{}); err != nil {
		t.Fatal(err)
	}
	expect("a/v:3 a/w:3 a/x:2 c:1")
	up, err := s.PutMultipart(ctx, "a/x", core.MultipartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := up.PutPart(ctx, 0, []byte("4444")); err != nil {
		t.Fatal(err)
	}
	if _, err := up.Complete(ctx); err != nil {
		t.Fatal(err)
	}
	expect("a/v:3 a/w:3 a/x:4 c:1")
	var under []string
	for m := range s.List(ctx, "a", core.ListOptions{Offset: "a/v"}) {
		under = append(under, string(m.Location))
	}
	if strings.Join(under, " ") != "a/w a/x" {
		t.Fatalf("under a after a/v: %v", under)
	}
}
