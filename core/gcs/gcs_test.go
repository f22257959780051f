package gcs

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"cloud.google.com/go/storage"
	"google.golang.org/api/iterator"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/storetest"
)

// The emulator tests run against fake-gcs-server started by
// buildscripts/with-servers.sh fakegcs, which exports its URL.
func emulatorEndpoint(t testing.TB) string {
	t.Helper()
	ep := os.Getenv("OBJSTORE_TEST_GCS_ENDPOINT")
	if ep == "" {
		t.Fatal("OBJSTORE_TEST_GCS_ENDPOINT is not set: run `buildscripts/with-servers.sh fakegcs -- go test ./core/gcs/...`")
	}
	return ep
}

// emulatorConfig is the document of a store on the emulator: a custom
// base_url and no credentials (anonymous), as a user would write it.
func emulatorConfig(t testing.TB, bucket string) core.Config {
	c, err := normalize(core.Config{
		Kind:          kind,
		Bucket:        bucket,
		Config:        core.Options{"google_base_url": emulatorEndpoint(t)},
		ClientOptions: core.Options{"allow_http": "true"},
	})
	if err != nil {
		t.Fatalf("normalize: %v", err)
	}
	return c
}

var bucketCounter atomic.Int64

func uniqueBucket() string {
	var b [4]byte
	rand.Read(b[:])
	return fmt.Sprintf("objstore-test-%d-%s", bucketCounter.Add(1), hex.EncodeToString(b[:]))
}

// newEmulatorStore creates a fresh bucket (with versioning, so generations
// of overwritten objects stay readable) and opens a store on it.
func newEmulatorStore(t testing.TB) *Store {
	t.Helper()
	ctx := context.Background()
	bucket := uniqueBucket()
	s, err := open(ctx, emulatorConfig(t, bucket), nil, nil)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	if err := s.bucket.Create(ctx, "objstore-test", &storage.BucketAttrs{VersioningEnabled: true}); err != nil {
		t.Fatalf("create bucket %s on the emulator: %v", bucket, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// emulatorCaps are what fake-gcs-server v1.56.1 cannot show. Each limit is
// the emulator's, not the backend's, and the backend's request for it is
// checked in request_test.go instead:
//   - NoCopyIfNotExists: the emulator ignores every generation condition
//     except on uploads, so a rewrite with ifGenerationMatch=0 overwrites
//     an existing destination. The store under test is wrapped so that a
//     copy-if-not-exists says NotSupported (the suite then checks that);
//     request_test.go checks the condition our Copy sends.
//   - NoSign: the emulator serves signed URLs without verifying their
//     signature, so the suite's "tampered URL is refused" cannot hold; the
//     store under test has no key (Sign is NotSupported) and V4 signing is
//     verified offline in sign_test.go.
var emulatorCaps = storetest.Capabilities{
	NoCopyIfNotExists: true,
	NoSign:            true,
}

// emulatorLimits declares, per call, what the emulator cannot evaluate.
type emulatorLimits struct {
	*Store
}

func (e emulatorLimits) Copy(ctx context.Context, from, to core.Path, opts core.CopyOptions) error {
	if opts.IfNotExists {
		return core.Errorf(core.NotSupported, "fake-gcs-server ignores ifGenerationMatch on rewrite")
	}
	return e.Store.Copy(ctx, from, to, opts)
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) core.Store { return emulatorLimits{newEmulatorStore(t)} }, emulatorCaps)
}

// listRaw lists every object name in the bucket, hidden ones included.
func listRaw(t *testing.T, s *Store, prefix string) []string {
	t.Helper()
	var names []string
	it := s.bucket.Objects(context.Background(), &storage.Query{Prefix: prefix})
	for {
		a, err := it.Next()
		if err == iterator.Done {
			return names
		}
		if err != nil {
			t.Fatalf("raw list: %v", err)
		}
		names = append(names, a.Name)
	}
}

func TestMultipartComposesManyPartsInOrderAndCleansUp(t *testing.T) {
	ctx := context.Background()
	s := newEmulatorStore(t)
	// 70 parts: three compose calls (32, then 1+31, then 1+7).
	const n = 70
	up, err := s.PutMultipart(ctx, "big/obj", core.MultipartOptions{Attributes: core.Attributes{core.AttrContentType: "application/x-test", "owner": "me"}})
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	parts := make([][]byte, n)
	for i := range parts {
		parts[i] = bytes.Repeat([]byte{byte('a' + i%26)}, 1000+i)
		want.Write(parts[i])
	}
	for i := n - 1; i >= 0; i-- { // out of order on purpose
		if err := up.PutPart(ctx, i, parts[i]); err != nil {
			t.Fatalf("part %d: %v", i, err)
		}
	}
	if names := listRaw(t, s, ""); len(names) < n {
		t.Fatalf("expected %d temporary parts in the bucket, found %d", n, len(names))
	}
	if _, err := s.Head(ctx, "big/obj"); !core.IsKind(err, core.NotFound) {
		t.Fatalf("head before complete: %v, want NotFound", err)
	}
	for m, err := range s.List(ctx, "", core.ListOptions{}) {
		t.Fatalf("list before complete shows %v %v; parts must be hidden", m.Location, err)
	}
	res, err := up.Complete(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.Get(ctx, "big/obj", core.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("composed content differs: %d bytes, want %d", len(got), want.Len())
	}
	if r.Meta.ETag != res.ETag || r.Attributes[core.AttrContentType] != "application/x-test" || r.Attributes["owner"] != "me" {
		t.Fatalf("meta %+v attrs %v, want etag %s and the upload's attributes", r.Meta, r.Attributes, res.ETag)
	}
	if names := listRaw(t, s, partsPrefix+"/"); len(names) != 0 {
		t.Fatalf("temporary objects left after complete: %v", names)
	}
}

func TestMultipartAbortRemovesParts(t *testing.T) {
	ctx := context.Background()
	s := newEmulatorStore(t)
	up, err := s.PutMultipart(ctx, "aborted", core.MultipartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := up.PutPart(ctx, i, []byte("part")); err != nil {
			t.Fatal(err)
		}
	}
	if len(listRaw(t, s, partsPrefix+"/")) != 3 {
		t.Fatal("parts were not written as temporary objects")
	}
	if err := up.Abort(ctx); err != nil {
		t.Fatal(err)
	}
	if names := listRaw(t, s, ""); len(names) != 0 {
		t.Fatalf("objects left after abort: %v", names)
	}
	if _, err := s.Head(ctx, "aborted"); !core.IsKind(err, core.NotFound) {
		t.Fatalf("head after abort: %v, want NotFound", err)
	}
}

func TestMultipartMissingPartIsAnError(t *testing.T) {
	ctx := context.Background()
	s := newEmulatorStore(t)
	up, _ := s.PutMultipart(ctx, "gap", core.MultipartOptions{})
	up.PutPart(ctx, 0, []byte("a"))
	up.PutPart(ctx, 2, []byte("c"))
	if _, err := up.Complete(ctx); !core.IsKind(err, core.InvalidArgument) || !strings.Contains(err.Error(), "part 1") {
		t.Fatalf("complete with part 1 missing: %v", err)
	}
	if err := up.PutPart(ctx, maxParts, []byte("x")); !core.IsKind(err, core.InvalidArgument) {
		t.Fatalf("part %d: %v, want InvalidArgument", maxParts, err)
	}
	up.Abort(ctx)
}

func TestSuffixAndOffsetRanges(t *testing.T) {
	ctx := context.Background()
	s := newEmulatorStore(t)
	data := []byte("0123456789abcdef")
	if _, err := s.Put(ctx, "r", data, core.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		r    core.Range
		want string
	}{
		{core.Suffix(4), "cdef"},
		{core.Suffix(100), string(data)},
		{core.Offset(10), "abcdef"},
		{core.Bounded(3, 7), "3456"},
		{core.Bounded(14, 100), "ef"},
	}
	for _, c := range cases {
		r := c.r
		res, err := s.Get(ctx, "r", core.GetOptions{Range: &r})
		if err != nil {
			t.Fatalf("%s: %v", r, err)
		}
		got, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if string(got) != c.want || res.Meta.Size != uint64(len(data)) {
			t.Fatalf("%s: got %q (size %d), want %q", r, got, res.Meta.Size, c.want)
		}
	}
	if _, err := s.Put(ctx, "empty", nil, core.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, r := range []core.Range{core.Suffix(5), core.Suffix(0)} {
		res, err := s.Get(ctx, "empty", core.GetOptions{Range: &r})
		if err != nil || res.Len() != 0 || res.Meta.Size != 0 {
			t.Fatalf("%s of a zero-byte object: %v %+v", r, err, res)
		}
		res.Body.Close()
	}
	for _, r := range []core.Range{core.Offset(0), core.Bounded(0, 1)} {
		if _, err := s.Get(ctx, "empty", core.GetOptions{Range: &r}); !core.IsKind(err, core.InvalidArgument) {
			t.Fatalf("%s of a zero-byte object: %v, want InvalidArgument", r, err)
		}
	}
	past := core.Offset(16)
	if _, err := s.Get(ctx, "r", core.GetOptions{Range: &past}); !core.IsKind(err, core.InvalidArgument) {
		t.Fatalf("offset at EOF: %v, want InvalidArgument", err)
	}
}

func TestListOffsetIsExclusive(t *testing.T) {
	ctx := context.Background()
	s := newEmulatorStore(t)
	for _, k := range []string{"a/1", "a/2", "a/3", "b"} {
		s.Put(ctx, core.Path(k), []byte(k), core.PutOptions{})
	}
	var got []string
	for m, err := range s.List(ctx, "a", core.ListOptions{Offset: "a/2"}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(m.Location))
	}
	if strings.Join(got, ",") != "a/3" {
		t.Fatalf("list a after a/2: %v, want [a/3]", got)
	}
}
