package azure

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/sas"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/driver"
	"github.com/libobjstore/objstore/core/storetest"
)

// Tests run against Azurite, started by
// buildscripts/with-servers.sh azurite -- go test ./core/azure/...

var caps = storetest.Capabilities{
	NoVersions:                true, // Azurite keeps no blob versions
	AbortedUploadsMayComplete: true, // Azurite keeps the blocks of a deleted never-committed blob
	SignPutHeaders:            http.Header{"X-Ms-Blob-Type": {"BlockBlob"}},
}

func azuriteEndpoint(t *testing.T) string {
	t.Helper()
	ep := os.Getenv("OBJSTORE_TEST_AZURITE_ENDPOINT")
	if ep == "" {
		t.Fatal("OBJSTORE_TEST_AZURITE_ENDPOINT is not set: run these tests with " +
			"buildscripts/with-servers.sh azurite -- go test ./core/azure/...")
	}
	return ep
}

// testConfig is the document of a store on Azurite with a new, unique
// container name.
func testConfig(t *testing.T) core.Config {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return core.Config{Kind: "azure", Bucket: "test-" + hex.EncodeToString(b[:]), Config: core.Options{
		"use_emulator": "true",
		"endpoint":     azuriteEndpoint(t),
	}}
}

// openTestStore opens c (with no environment) and creates its container,
// deleting it when the test ends.
func openTestStore(t *testing.T, c core.Config) *Store {
	t.Helper()
	ctx := context.Background()
	c, err := Backend.Normalize(c)
	if err != nil {
		t.Fatal(err)
	}
	s, err := resolve(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := newStore(ctx, s, c, driver.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.cl.container.Create(ctx, nil); err != nil {
		t.Fatalf("creating container %s: %v", s.container, mapError(err, ""))
	}
	t.Cleanup(func() { st.cl.container.Delete(context.Background(), nil) })
	return st
}

func newTestStore(t *testing.T) core.Store { return openTestStore(t, testConfig(t)) }

func TestConformance(t *testing.T) {
	storetest.Run(t, newTestStore, caps)
}

func put(t *testing.T, s core.Store, path string, data []byte) core.PutResult {
	t.Helper()
	r, err := s.Put(context.Background(), core.MustPath(path), data, core.PutOptions{})
	if err != nil {
		t.Fatalf("put %s: %v", path, err)
	}
	return r
}

func getAll(t *testing.T, s core.Store, path string, opts core.GetOptions) ([]byte, *core.GetResult, error) {
	t.Helper()
	res, err := s.Get(context.Background(), core.MustPath(path), opts)
	if err != nil {
		return nil, nil, err
	}
	b, err := core.ReadAll(res, nil)
	return b, res, err
}

// The suffix read is a HEAD then a ranged read pinned to the HEAD's etag.
func TestSuffixRangeReadsTheLastBytes(t *testing.T) {
	s := newTestStore(t)
	put(t, s, "obj", []byte("0123456789"))
	r := core.Suffix(3)
	got, res, err := getAll(t, s, "obj", core.GetOptions{Range: &r})
	if err != nil || string(got) != "789" || res.Start != 7 || res.End != 10 || res.Meta.Size != 10 {
		t.Fatalf("suffix(3): %q %+v %v", got, res, err)
	}
	put(t, s, "empty", nil)
	got, res, err = getAll(t, s, "empty", core.GetOptions{Range: &r})
	if err != nil || len(got) != 0 || res.Meta.Size != 0 {
		t.Fatalf("suffix(3) of an empty object: %q %+v %v", got, res, err)
	}
	r0 := core.Offset(0)
	if _, _, err := getAll(t, s, "empty", core.GetOptions{Range: &r0}); !core.IsKind(err, core.InvalidArgument) {
		t.Fatalf("offset(0) of an empty object: %v, want InvalidArgument", err)
	}
}

func TestConditionalPutKinds(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	create := core.PutOptions{Mode: core.PutMode{Kind: core.PutCreate}}
	first, err := s.Put(ctx, "k", []byte("1"), create)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, "k", []byte("2"), create); !core.IsKind(err, core.AlreadyExists) {
		t.Fatalf("second create: %v, want AlreadyExists", err)
	}
	update := func(etag string) error {
		_, err := s.Put(ctx, "k", []byte("3"), core.PutOptions{Mode: core.PutMode{Kind: core.PutUpdate, ETag: etag}})
		return err
	}
	if err := update(`"0x0"`); !core.IsKind(err, core.Precondition) {
		t.Fatalf("update with a wrong etag: %v, want Precondition", err)
	}
	if err := update(first.ETag); err != nil {
		t.Fatalf("update with the right etag: %v", err)
	}
	_, err = s.Put(ctx, "missing", []byte("x"), core.PutOptions{Mode: core.PutMode{Kind: core.PutUpdate, ETag: first.ETag}})
	if !core.IsKind(err, core.Precondition) {
		t.Fatalf("update of a missing object: %v, want Precondition", err)
	}
	_, err = s.Put(ctx, "k", []byte("x"), core.PutOptions{Mode: core.PutMode{Kind: core.PutUpdate, Version: "v1"}})
	if !core.IsKind(err, core.NotImplemented) {
		t.Fatalf("update by version: %v, want NotImplemented", err)
	}
}

// Blocks are committed in index order whatever order they were staged in,
// and attributes arrive with the commit.
func TestMultipartCommitsInIndexOrder(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	up, err := s.PutMultipart(ctx, "mp", core.MultipartOptions{Attributes: core.Attributes{core.AttrContentType: "text/x-test", "owner": "me"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{2, 0, 1} {
		if err := up.PutPart(ctx, i, []byte{byte('a' + i)}); err != nil {
			t.Fatalf("part %d: %v", i, err)
		}
	}
	if _, err := s.Head(ctx, "mp"); !core.IsKind(err, core.NotFound) {
		t.Fatalf("head before complete: %v, want NotFound", err)
	}
	if _, err := up.Complete(ctx); err != nil {
		t.Fatal(err)
	}
	got, res, err := getAll(t, s, "mp", core.GetOptions{})
	if err != nil || string(got) != "abc" {
		t.Fatalf("completed upload: %q %v", got, err)
	}
	if res.Attributes[core.AttrContentType] != "text/x-test" || res.Attributes["owner"] != "me" {
		t.Fatalf("attributes after commit: %v", res.Attributes)
	}
	if err := up.PutPart(ctx, 3, []byte("late")); err == nil {
		t.Fatal("a part after Complete was accepted")
	}

	gap, err := s.PutMultipart(ctx, "gap", core.MultipartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := gap.PutPart(ctx, 1, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := gap.Complete(ctx); !core.IsKind(err, core.InvalidArgument) {
		t.Fatalf("complete with part 0 missing: %v, want InvalidArgument", err)
	}
	if err := gap.Abort(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Head(ctx, "gap"); !core.IsKind(err, core.NotFound) {
		t.Fatalf("head after abort: %v, want NotFound", err)
	}
}

func TestBlockIDsHaveOneWidth(t *testing.T) {
	a, b := blockID("0123456789abcdef", 0), blockID("0123456789abcdef", 49999)
	if len(a) != len(b) || a == b {
		t.Fatalf("block ids %q and %q", a, b)
	}
}

// The offset is exclusive and applied whatever the service does with
// startFrom.
func TestListOffsetIsExclusive(t *testing.T) {
	s := newTestStore(t)
	for _, k := range []string{"d/a", "d/b", "d/c", "e/a"} {
		put(t, s, k, []byte(k))
	}
	var got []string
	for m, err := range s.List(context.Background(), "d", core.ListOptions{Offset: "d/a"}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(m.Location))
	}
	if strings.Join(got, ",") != "d/b,d/c" {
		t.Fatalf("list d after d/a: %v", got)
	}
}

func TestDeleteManyUsesBatch(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	var paths []core.Path
	for i := range 300 { // more than one batch of 256
		p := core.Path("many/" + strings.Repeat("x", i%5) + hex.EncodeToString([]byte{byte(i >> 8), byte(i)}))
		put(t, s, string(p), []byte("x"))
		paths = append(paths, p)
	}
	paths = append(paths, "many/never-existed")
	for i, err := range core.DeleteMany(ctx, s, paths) {
		if err != nil {
			t.Fatalf("delete %s: %v", paths[i], err)
		}
	}
	for m, err := range s.List(ctx, "many", core.ListOptions{}) {
		t.Fatalf("left after DeleteMany: %v %v", m.Location, err)
	}
}

// A presigned GET works with plain net/http, also through a prefix store.
func TestSignedURLFetchedWithNetHTTP(t *testing.T) {
	base := newTestStore(t)
	ps := core.Prefixed(base, "pre fix")
	put(t, ps, "a b/c.txt", []byte("signed"))
	u, err := core.Sign(context.Background(), ps, http.MethodGet, "a b/c.txt", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(u, "sig=") || !strings.Contains(u, "/pre%20fix/a%20b/c.txt?") {
		t.Fatalf("signed URL %s", u)
	}
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(body) != "signed" {
		t.Fatalf("GET signed URL: %d %q", resp.StatusCode, body)
	}
	if _, err := core.Sign(context.Background(), ps, "PATCH", "a b/c.txt", time.Minute); !core.IsKind(err, core.InvalidArgument) {
		t.Fatalf("sign PATCH: %v", err)
	}
}

// A SAS token made by the store itself works as the sas_key of another.
func TestSASKeyCredential(t *testing.T) {
	owner := openTestStore(t, testConfig(t))
	put(t, owner, "shared", []byte("via sas"))
	cu, err := owner.cl.container.GetSASURL(containerPermissionsAll(), time.Now().Add(time.Hour), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, query, _ := strings.Cut(cu, "?")
	c := core.Config{Kind: "azure", Bucket: owner.container, Config: core.Options{
		"endpoint": azuriteEndpoint(t), "account_name": emulatorAccount, "azure_storage_sas_token": "?" + query,
	}, ClientOptions: core.Options{"allow_http": "true"}}
	c, err = Backend.Normalize(c)
	if err != nil {
		t.Fatal(err)
	}
	st, err := Backend.Open(context.Background(), c, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := getAll(t, st, "shared", core.GetOptions{})
	if err != nil || string(got) != "via sas" {
		t.Fatalf("get with sas_key: %q %v", got, err)
	}
	put(t, st, "written", []byte("w"))
	if err := st.Copy(context.Background(), "written", "copied", core.CopyOptions{}); err != nil {
		t.Fatalf("copy with sas_key: %v", err)
	}
	for i, err := range core.DeleteMany(context.Background(), st, []core.Path{"written", "copied", "never-there"}) {
		if err != nil {
			t.Fatalf("batch delete %d with sas_key: %v", i, err)
		}
	}
	if _, err := st.Head(context.Background(), "copied"); !core.IsKind(err, core.NotFound) {
		t.Fatalf("head after batch delete with sas_key: %v", err)
	}
	if _, err := core.Sign(context.Background(), st, http.MethodGet, "shared", time.Minute); !core.IsKind(err, core.NotSupported) {
		t.Fatalf("sign with a SAS credential: %v, want NotSupported", err)
	}
}

func TestErrorKindsAndNoSecretsInMessages(t *testing.T) {
	c := testConfig(t)
	good := openTestStore(t, c)
	put(t, good, "x", []byte("x"))
	// A wrong key (valid base64) is refused by the service.
	wrong := core.Config{Kind: "azure", Bucket: good.container, Config: core.Options{
		"use_emulator": "true", "endpoint": azuriteEndpoint(t),
		"account_key": "d3Jvbmcga2V5IHdyb25nIGtleSB3cm9uZyBrZXk=",
	}}
	st, err := Backend.Open(context.Background(), wrong, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = st.Head(context.Background(), "x")
	if !core.IsKind(err, core.Unauthenticated) && !core.IsKind(err, core.PermissionDenied) {
		t.Fatalf("head with a wrong key: %v, want Unauthenticated or PermissionDenied", err)
	}
	if strings.Contains(err.Error(), "d3Jvbmcga2V5") {
		t.Fatalf("error shows the key: %v", err)
	}
	// A SAS token never shows in a transport error.
	sasStore := core.Config{Kind: "azure", Bucket: "c", Config: core.Options{
		"endpoint": "http://127.0.0.1:1/devstoreaccount1", "account_name": "devstoreaccount1", "sas_key": "sv=2020-01-01&sig=TOPSECRET",
	}, ClientOptions: core.Options{"allow_http": "true"}, RetryConfig: &core.RetryConfig{MaxRetries: new(int)}}
	st, err = Backend.Open(context.Background(), sasStore, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = st.Head(context.Background(), "x")
	if err == nil || strings.Contains(err.Error(), "TOPSECRET") {
		t.Fatalf("transport error: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := good.Head(ctx, "x"); !core.IsKind(err, core.Cancelled) {
		t.Fatalf("head with a cancelled context: %v, want Cancelled", err)
	}
}

func TestMissingContainerIsNotFound(t *testing.T) {
	c := testConfig(t)
	st, err := Backend.Open(context.Background(), c, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Head(context.Background(), "x"); !core.IsKind(err, core.NotFound) {
		t.Fatalf("head in a missing container: %v", err)
	}
	if _, err := st.Put(context.Background(), "x", []byte("x"), core.PutOptions{}); !core.IsKind(err, core.NotFound) {
		t.Fatalf("put in a missing container: %v", err)
	}
}

func TestInvalidMetadataNameIsRefusedBeforeSending(t *testing.T) {
	s := newTestStore(t)
	_, err := s.Put(context.Background(), "m", []byte("x"), core.PutOptions{Attributes: core.Attributes{"not valid": "v"}})
	if !core.IsKind(err, core.InvalidArgument) {
		t.Fatalf("metadata name with a space: %v", err)
	}
	if !bytes.Contains([]byte(err.Error()), []byte("not valid")) {
		t.Fatalf("message does not name the key: %v", err)
	}
}

func containerPermissionsAll() sas.ContainerPermissions {
	return sas.ContainerPermissions{Read: true, Add: true, Create: true, Write: true, Delete: true, List: true}
}

// AzuriteEndpointForTest lets the external test package share the check.
var AzuriteEndpointForTest = azuriteEndpoint

// Tags go with the blob (x-ms-tags) unless disable_tagging is set.
func TestTagsAndDisableTagging(t *testing.T) {
	ctx := context.Background()
	c := testConfig(t)
	s := openTestStore(t, c)
	opts := core.PutOptions{Tags: map[string]string{"team": "storage", "tier": "hot"}}
	if _, err := s.Put(ctx, "tagged", []byte("x"), opts); err != nil {
		t.Fatal(err)
	}
	tags, err := s.blob("tagged").GetTags(ctx, nil)
	if err != nil {
		t.Fatal(mapError(err, "tagged"))
	}
	got := map[string]string{}
	for _, tag := range tags.BlobTagSet {
		got[*tag.Key] = *tag.Value
	}
	if len(got) != 2 || got["team"] != "storage" || got["tier"] != "hot" {
		t.Fatalf("tags: %v", got)
	}
	c.Config["disable_tagging"] = "true"
	c.Bucket = testConfig(t).Bucket
	untagging := openTestStore(t, c)
	if _, err := untagging.Put(ctx, "untagged", []byte("x"), opts); err != nil {
		t.Fatal(err)
	}
	tags, err = untagging.blob("untagged").GetTags(ctx, nil)
	if err != nil || len(tags.BlobTagSet) != 0 {
		t.Fatalf("tags with disable_tagging: %v %v", tags.BlobTagSet, err)
	}
}

// Azurite ignores versionid; every read of a version must then fail
// rather than serve the current blob.
func TestVersionReadsRefusedWithoutVersioning(t *testing.T) {
	s := newTestStore(t)
	put(t, s, "v", []byte("current"))
	suffix := core.Suffix(2)
	for _, opts := range []core.GetOptions{
		{Version: "2024-01-01T00:00:00.0000000Z"},
		{Version: "2024-01-01T00:00:00.0000000Z", Head: true},
		{Version: "2024-01-01T00:00:00.0000000Z", Range: &suffix},
	} {
		if got, _, err := getAll(t, s, "v", opts); !core.IsKind(err, core.NotImplemented) {
			t.Fatalf("get %+v: %q %v, want NotImplemented", opts, got, err)
		}
	}
}
