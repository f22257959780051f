package storetest

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/libobjstore/objstore/core"
)

func testPutGetDeleteList(t *testing.T, s core.Store, caps Capabilities) {
	ctx := context.Background()
	expectList(t, s, "", caps)
	lr, err := s.ListWithDelimiter(ctx, "")
	expectOK(t, err, "list_with_delimiter of an empty store")
	if len(lr.Objects)+len(lr.CommonPrefixes) != 0 {
		t.Fatalf("empty store lists %+v", lr)
	}

	data := []byte("arbitrary data") // 14 bytes
	put(t, s, "test_dir/test_file.json", data)
	expectList(t, s, "", caps, "test_dir/test_file.json")
	expectList(t, s, "/", caps, "test_dir/test_file.json")
	expectList(t, s, "test_dir", caps, "test_dir/test_file.json")

	lr, err = s.ListWithDelimiter(ctx, "")
	expectOK(t, err, "list_with_delimiter")
	if !slices.Equal(pathStrings(lr.CommonPrefixes), []string{"test_dir"}) || len(lr.Objects) != 0 {
		t.Fatalf("list_with_delimiter(\"\"): %+v, want common prefix test_dir only", lr)
	}
	lr, err = s.ListWithDelimiter(ctx, p(t, "test_dir"))
	expectOK(t, err, "list_with_delimiter test_dir")
	if len(lr.CommonPrefixes) != 0 || len(lr.Objects) != 1 || lr.Objects[0].Location != "test_dir/test_file.json" || lr.Objects[0].Size != 14 {
		t.Fatalf("list_with_delimiter(test_dir): %+v", lr)
	}

	meta, err := s.Head(ctx, p(t, "test_dir/test_file.json"))
	expectOK(t, err, "head")
	if meta.Location != "test_dir/test_file.json" || meta.Size != 14 || meta.LastModified.IsZero() {
		t.Fatalf("head: %+v", meta)
	}
	expectContent(t, s, "test_dir/test_file.json", data)

	// A "directory" is not an object.
	expectNotFound(t, s, "test_dir")

	// Ranges.
	rangeGet := func(r core.Range) ([]byte, *core.GetResult, error) {
		return getBytes(t, s, "test_dir/test_file.json", core.GetOptions{Range: &r})
	}
	expectRange := func(r core.Range, want string, start, end uint64) {
		t.Helper()
		got, res, err := rangeGet(r)
		expectOK(t, err, "get range "+r.String())
		if string(got) != want || res.Start != start || res.End != end || res.Meta.Size != 14 {
			t.Fatalf("range %s: got %q [%d,%d) size %d, want %q [%d,%d) size 14", r, got, res.Start, res.End, res.Meta.Size, want, start, end)
		}
	}
	expectRange(core.Bounded(3, 7), "itra", 3, 7)
	expectRange(core.Bounded(2, 5), "bit", 2, 5)
	expectRange(core.Bounded(10, 100), "data", 10, 14) // end past EOF is clamped
	expectRange(core.Offset(3), "itrary data", 3, 14)
	_, _, err = rangeGet(core.Bounded(5, 5))
	expectKind(t, err, "zero-length range", core.InvalidArgument)
	_, _, err = rangeGet(core.Bounded(14, 20))
	expectKind(t, err, "range starting at EOF", core.InvalidArgument)
	_, _, err = rangeGet(core.Bounded(100, 200))
	expectKind(t, err, "range starting past EOF", core.InvalidArgument)
	_, _, err = rangeGet(core.Offset(20))
	expectKind(t, err, "offset past EOF", core.InvalidArgument)
	if caps.NoSuffixRange {
		_, _, err = rangeGet(core.Suffix(2))
		expectKind(t, err, "suffix range on a store declaring NoSuffixRange", unsupported...)
	} else {
		expectRange(core.Suffix(2), "ta", 12, 14)
		expectRange(core.Suffix(100), "arbitrary data", 0, 14)
	}

	// Head through Get.
	res, err := s.Get(ctx, p(t, "test_dir/test_file.json"), core.GetOptions{Head: true})
	expectOK(t, err, "get with head")
	if res.Meta.Size != 14 || res.Meta.Location != "test_dir/test_file.json" {
		t.Fatalf("get head meta: %+v", res.Meta)
	}
	res.Body.Close()

	expectOK(t, s.Delete(ctx, p(t, "test_dir/test_file.json")), "delete")
	expectNotFound(t, s, "test_dir/test_file.json")
	expectList(t, s, "", caps)

	// Zero-byte objects.
	put(t, s, "empty", nil)
	meta, err = s.Head(ctx, "empty")
	expectOK(t, err, "head zero-byte object")
	if meta.Size != 0 {
		t.Fatalf("zero-byte object has size %d", meta.Size)
	}
	expectContent(t, s, "empty", []byte{})
	expectList(t, s, "", caps, "empty")

	// An object and a deeper object under its name.
	if !caps.ObjectAndPrefixConflict {
		put(t, s, "conflict", []byte("a"))
		put(t, s, "conflict/child", []byte("b"))
		expectList(t, s, "", caps, "conflict", "conflict/child", "empty")
		expectList(t, s, "conflict", caps, "conflict/child")
	}
}

var trickyKeys = []string{
	"test_dir/test%2Ffile.json",       // a segment holding an encoded delimiter
	"🇦🇺/$shenanigans@@~.txt",          // emoji and punctuation
	"emoji/😀 smile.bin",               // emoji and a space
	"%Q.parquet",                      // a percent sign that is no escape
	"dir with spaces/file name.txt",   // spaces
	"%48%45%4C%4C%4F/percent.txt",     // percent-encoded "HELLO": must stay distinct
	"HELLO/plain.txt",                 //
	"special/a+b=c&d;e,f'g(h)i!j.txt", // sub-delimiters
}

func testTrickyKeys(t *testing.T, s core.Store, caps Capabilities) {
	ctx := context.Background()
	var stored []string
	for _, key := range trickyKeys {
		path := p(t, key)
		if caps.rejects(key) {
			_, err := s.Put(ctx, path, []byte(key), core.PutOptions{})
			if err == nil {
				t.Fatalf("put %q: the server is declared to reject this key, but it was accepted", key)
			}
			continue
		}
		put(t, s, key, []byte(key))
		meta, err := s.Head(ctx, path)
		expectOK(t, err, "head "+key)
		if meta.Location != path || meta.Size != uint64(len(key)) {
			t.Fatalf("head %q: %+v", key, meta)
		}
		expectContent(t, s, key, []byte(key))
		stored = append(stored, key)
	}
	slices.Sort(stored)
	if got := listPaths(t, s, "", "", caps); !slices.Equal(got, stored) {
		t.Fatalf("list of tricky keys:\n got %q\nwant %q", got, stored)
	}
	for _, key := range stored {
		parent := key[:max(0, bytes.LastIndexByte([]byte(key), '/'))]
		found := false
		for _, got := range listPaths(t, s, parent, "", caps) {
			found = found || got == key
		}
		if !found {
			t.Fatalf("list %q does not show %q", parent, key)
		}
	}
	if slices.Contains(stored, "%48%45%4C%4C%4F/percent.txt") && slices.Contains(stored, "HELLO/plain.txt") {
		expectList(t, s, "%48%45%4C%4C%4F", caps, "%48%45%4C%4C%4F/percent.txt")
		expectList(t, s, "HELLO", caps, "HELLO/plain.txt")
	}
	for _, key := range stored {
		cp, mv := key+".copy", key+".moved"
		expectOK(t, s.Copy(ctx, p(t, key), p(t, cp), core.CopyOptions{}), "copy "+key)
		expectContent(t, s, cp, []byte(key))
		expectOK(t, core.Rename(ctx, s, p(t, cp), p(t, mv), core.CopyOptions{}), "rename "+cp)
		expectContent(t, s, mv, []byte(key))
		expectNotFound(t, s, cp)
		expectOK(t, s.Delete(ctx, p(t, mv)), "delete "+mv)
		expectOK(t, s.Delete(ctx, p(t, key)), "delete "+key)
		expectNotFound(t, s, key)
	}
	expectList(t, s, "", caps)
}

func testGetRanges(t *testing.T, s core.Store, caps Capabilities) {
	ctx := context.Background()
	data := pattern(3<<20, 9) // 3 MiB: some ranges coalesce, some do not
	put(t, s, "ranges/blob", data)
	ranges := []core.Range{
		core.Bounded(0, 10),
		core.Bounded(5, 15), // overlaps the first
		core.Bounded(100, 200),
		core.Bounded(2<<20+7, 2<<20+1000), // far: its own request
		core.Bounded(3<<20-5, 3<<20+100),  // end past EOF: clamped
		core.Bounded(0, 10),               // a duplicate
	}
	allocs := 0
	got, err := core.GetRanges(ctx, s, "ranges/blob", ranges, func(n int) []byte { allocs++; return make([]byte, n) })
	expectOK(t, err, "get_ranges")
	if allocs != 1 {
		t.Fatalf("get_ranges called the allocator %d times, want once", allocs)
	}
	for i, r := range ranges {
		want := data[r.Start:min(r.End, uint64(len(data)))]
		if !bytes.Equal(got[i], want) {
			t.Fatalf("get_ranges range %s: got %d bytes, want %d (%s)", r, len(got[i]), len(want), short(got[i]))
		}
	}
	_, err = core.GetRanges(ctx, s, "ranges/blob", []core.Range{core.Bounded(0, 1), core.Bounded(4<<20, 4<<20+1)}, nil)
	expectKind(t, err, "get_ranges with a range past EOF", core.InvalidArgument)
	_, err = core.GetRanges(ctx, s, "ranges/missing", []core.Range{core.Bounded(0, 1)}, nil)
	expectKind(t, err, "get_ranges of a missing object", core.NotFound)

	res, err := s.Get(ctx, "ranges/blob", core.GetOptions{})
	expectOK(t, err, "get")
	all, err := core.ReadAll(res, nil)
	expectOK(t, err, "ReadAll")
	if !bytes.Equal(all, data) {
		t.Fatalf("ReadAll returned different bytes")
	}
}

func testBulkDelete(t *testing.T, s core.Store, caps Capabilities) {
	ctx := context.Background()
	put(t, s, "bulk/a", []byte("a"))
	put(t, s, "bulk/b", []byte("b"))
	put(t, s, "keep", []byte("k"))
	errs := core.DeleteMany(ctx, s, []core.Path{"bulk/a", "bulk/missing", "bulk/b"})
	if len(errs) != 3 {
		t.Fatalf("DeleteMany returned %d results for 3 paths", len(errs))
	}
	expectOK(t, errs[0], "bulk delete bulk/a")
	expectOK(t, errs[2], "bulk delete bulk/b")
	if errs[1] != nil {
		expectKind(t, errs[1], "bulk delete of a missing key", core.NotFound)
	}
	expectNotFound(t, s, "bulk/a")
	expectNotFound(t, s, "bulk/b")

	for i := range 25 {
		put(t, s, fmt.Sprintf("tree/%02d/leaf", i), []byte{byte(i)})
	}
	put(t, s, "treex/other", []byte("other"))
	expectOK(t, core.DeletePrefix(ctx, s, "tree"), "delete_prefix tree")
	expectList(t, s, "", caps, "keep", "treex/other")
}

func testListBySegment(t *testing.T, s core.Store, caps Capabilities) {
	ctx := context.Background()
	put(t, s, "foo/x.json", []byte("x"))
	put(t, s, "foo.bar/y.json", []byte("y"))
	expectList(t, s, "foo", caps, "foo/x.json")
	expectList(t, s, "foo/x.json", caps)
	expectList(t, s, "foo/x", caps)
	for _, prefix := range []string{"foo/x.json", "foo/x"} {
		lr, err := s.ListWithDelimiter(ctx, p(t, prefix))
		expectOK(t, err, "list_with_delimiter "+prefix)
		if len(lr.Objects)+len(lr.CommonPrefixes) != 0 {
			t.Fatalf("list_with_delimiter %q: %+v, want nothing", prefix, lr)
		}
	}
	lr, err := s.ListWithDelimiter(ctx, "foo")
	expectOK(t, err, "list_with_delimiter foo")
	if len(lr.CommonPrefixes) != 0 || len(lr.Objects) != 1 || lr.Objects[0].Location != "foo/x.json" {
		t.Fatalf("list_with_delimiter foo: %+v", lr)
	}
}

func testListWithDelimiter(t *testing.T, s core.Store, caps Capabilities) {
	ctx := context.Background()
	files := []string{
		"mydb/wb/000/000/000.segment",
		"mydb/wb/000/000/001.segment",
		"mydb/wb/000/000/002.segment",
		"mydb/wb/001/001/000.segment",
		"mydb/wb/foo.json",
		"mydb/wbwbwb/111/222/333.segment",
		"mydb/data/whatevs",
		"mydb/wb-not/x",
	}
	for _, f := range files {
		put(t, s, f, []byte(f+" content"))
	}
	lr, err := s.ListWithDelimiter(ctx, "mydb/wb")
	expectOK(t, err, "list_with_delimiter mydb/wb")
	if !slices.Equal(pathStrings(lr.CommonPrefixes), []string{"mydb/wb/000", "mydb/wb/001"}) {
		t.Fatalf("common prefixes: %q", lr.CommonPrefixes)
	}
	if len(lr.Objects) != 1 || lr.Objects[0].Location != "mydb/wb/foo.json" || lr.Objects[0].Size != uint64(len("mydb/wb/foo.json content")) {
		t.Fatalf("objects: %+v", lr.Objects)
	}
	for _, prefix := range []string{"mydb/wb/000/000/00", "nonexistent"} {
		lr, err := s.ListWithDelimiter(ctx, p(t, prefix))
		expectOK(t, err, "list_with_delimiter "+prefix)
		if len(lr.Objects)+len(lr.CommonPrefixes) != 0 {
			t.Fatalf("list_with_delimiter %q: %+v, want nothing", prefix, lr)
		}
	}
	lr, err = s.ListWithDelimiter(ctx, "mydb")
	expectOK(t, err, "list_with_delimiter mydb")
	if !slices.Equal(pathStrings(lr.CommonPrefixes), []string{"mydb/data", "mydb/wb", "mydb/wb-not", "mydb/wbwbwb"}) || len(lr.Objects) != 0 {
		t.Fatalf("list_with_delimiter mydb: %+v", lr)
	}
}

func testMissing(t *testing.T, s core.Store, caps Capabilities) {
	ctx := context.Background()
	expectNotFound(t, s, "missing/object")
	_, err := s.Get(ctx, "missing/object", core.GetOptions{Head: true})
	expectKind(t, err, "get head of a missing object", core.NotFound)
	expectKind(t, s.Copy(ctx, "missing/object", "dest", core.CopyOptions{}), "copy of a missing source", core.NotFound)
	expectKind(t, core.Rename(ctx, s, "missing/object", "dest", core.CopyOptions{}), "rename of a missing source", core.NotFound)
	err = s.Copy(ctx, "missing/object", "dest", core.CopyOptions{IfNotExists: true})
	if caps.NoCopyIfNotExists {
		expectKind(t, err, "copy-if-not-exists of a missing source", append([]core.Kind{core.NotFound}, unsupported...)...)
	} else {
		expectKind(t, err, "copy-if-not-exists of a missing source", core.NotFound)
	}
	expectNotFound(t, s, "dest")
}

func testCopyRename(t *testing.T, s core.Store, caps Capabilities) {
	ctx := context.Background()
	put(t, s, "cr/a", []byte("A"))
	put(t, s, "cr/b", []byte("B"))
	expectOK(t, s.Copy(ctx, "cr/a", "cr/b", core.CopyOptions{}), "copy over an existing object")
	expectContent(t, s, "cr/b", []byte("A"))
	expectContent(t, s, "cr/a", []byte("A"))
	put(t, s, "cr/a", []byte("C"))
	expectOK(t, core.Rename(ctx, s, "cr/a", "cr/b", core.CopyOptions{}), "rename over an existing object")
	expectContent(t, s, "cr/b", []byte("C"))
	expectNotFound(t, s, "cr/a")
	expectOK(t, core.Rename(ctx, s, "cr/b", "cr/deeper/nested/c", core.CopyOptions{}), "rename into a new nested path")
	expectContent(t, s, "cr/deeper/nested/c", []byte("C"))
	expectList(t, s, "", caps, "cr/deeper/nested/c")
}

func testCopyIfNotExists(t *testing.T, s core.Store, caps Capabilities) {
	ctx := context.Background()
	put(t, s, "cine/src", []byte("source"))
	put(t, s, "cine/nested/dst", []byte("dest"))
	ifNot := core.CopyOptions{IfNotExists: true}
	if caps.NoCopyIfNotExists {
		expectKind(t, s.Copy(ctx, "cine/src", "cine/nested/dst", ifNot), "copy-if-not-exists on a store declaring NoCopyIfNotExists", unsupported...)
		expectKind(t, s.Copy(ctx, "cine/src", "cine/new", ifNot), "copy-if-not-exists on a store declaring NoCopyIfNotExists", unsupported...)
		expectContent(t, s, "cine/nested/dst", []byte("dest"))
		return
	}
	expectKind(t, s.Copy(ctx, "cine/src", "cine/nested/dst", ifNot), "copy-if-not-exists onto an existing object", core.AlreadyExists)
	expectContent(t, s, "cine/nested/dst", []byte("dest"))
	expectKind(t, core.Rename(ctx, s, "cine/src", "cine/nested/dst", ifNot), "rename-if-not-exists onto an existing object", core.AlreadyExists)
	expectContent(t, s, "cine/src", []byte("source"))
	expectOK(t, s.Delete(ctx, "cine/nested/dst"), "delete")
	expectOK(t, s.Copy(ctx, "cine/src", "cine/nested/dst", ifNot), "copy-if-not-exists to a free path")
	expectContent(t, s, "cine/nested/dst", []byte("source"))
	expectOK(t, core.Rename(ctx, s, "cine/src", "cine/moved", ifNot), "rename-if-not-exists to a free path")
	expectContent(t, s, "cine/moved", []byte("source"))
	expectNotFound(t, s, "cine/src")
}

// pageKeys exceeds the 1,000-key pages of S3 and Azure listings.
const pageKeys = 1100

func testPaginatedList(t *testing.T, s core.Store, caps Capabilities) {
	ctx := context.Background()
	keys := make([]string, pageKeys)
	for i := range keys {
		keys[i] = fmt.Sprintf("page/%05d", i)
	}
	work := make(chan string)
	errs := make(chan error, len(keys))
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range work {
				if _, err := s.Put(ctx, core.Path(k), []byte(k), core.PutOptions{}); err != nil {
					errs <- fmt.Errorf("put %s: %w", k, err)
				}
			}
		}()
	}
	for _, k := range keys {
		work <- k
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	put(t, s, "pagf", []byte("after the prefix"))

	if got := listPaths(t, s, "page", "", caps); !slices.Equal(got, keys) {
		t.Fatalf("list of %d keys returned %d (first difference near %v)", len(keys), len(got), firstDiff(got, keys))
	}
	if got := listPaths(t, s, "page", "page/00499", caps); !slices.Equal(got, keys[500:]) {
		t.Fatalf("list after offset page/00499: %d keys, want %d (offset is exclusive; first difference near %v)", len(got), len(keys)-500, firstDiff(got, keys[500:]))
	}
	if got := listPaths(t, s, "page", "page/00499x", caps); !slices.Equal(got, keys[500:]) {
		t.Fatalf("list after a non-key offset: %d keys, want %d", len(got), len(keys)-500)
	}
	if got := listPaths(t, s, "", "page/01098", caps); !slices.Equal(got, []string{"page/01099", "pagf"}) {
		t.Fatalf("list of the root after offset page/01098: %q", got)
	}
	if got := listPaths(t, s, "page", "page/01099", caps); len(got) != 0 {
		t.Fatalf("list after the last key: %q", got)
	}
	// Stopping early must not hang or fail.
	n := 0
	for _, err := range s.List(ctx, "page", core.ListOptions{}) {
		expectOK(t, err, "list")
		if n++; n == 3 {
			break
		}
	}
}

func firstDiff(got, want []string) string {
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			return fmt.Sprintf("index %d: got %q want %q", i, got[i], want[i])
		}
	}
	return fmt.Sprintf("lengths %d vs %d", len(got), len(want))
}

func testInvalidPaths(t *testing.T, _ core.Store, _ Capabilities) {
	for _, bad := range []string{"a//b", "a/./b", "a/../b", "..", ".", "a/.", "a\x00b", "a\nb", "a\x7fb", "//"} {
		_, err := core.ParsePath(bad)
		expectKind(t, err, fmt.Sprintf("ParsePath(%q)", bad), core.InvalidPath)
	}
	for _, good := range []string{"a/b", "/a/b/", "a b/%2F/😀", "a..b/.c/d."} {
		if _, err := core.ParsePath(good); err != nil {
			t.Fatalf("ParsePath(%q): %v", good, err)
		}
	}
}
