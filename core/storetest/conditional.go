package storetest

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/libobjstore/objstore/core"
)

// testAttributesSet has every well-known attribute and two user metadata
// keys (lowercase identifiers: S3 lowercases keys, Azure wants identifiers).
func testAttributesSet() core.Attributes {
	return core.Attributes{
		core.AttrContentType:        "text/html; charset=utf-8",
		core.AttrContentDisposition: `attachment; filename="report.html"`,
		core.AttrContentEncoding:    "gzip",
		core.AttrContentLanguage:    "en-US",
		core.AttrCacheControl:       "max-age=604800",
		"owner":                     "objstore",
		"note":                      "a value with spaces",
	}
}

func checkAttributes(t *testing.T, got, want core.Attributes, what string) {
	t.Helper()
	for k, v := range want {
		found := false
		for gk, gv := range got {
			if strings.EqualFold(gk, k) {
				found = true
				if gv != v {
					t.Fatalf("%s: attribute %q is %q, want %q", what, k, gv, v)
				}
			}
		}
		if !found {
			t.Fatalf("%s: attribute %q is missing (got %q)", what, k, got)
		}
	}
}

func testAttributes(t *testing.T, s core.Store, caps Capabilities) {
	ctx := context.Background()
	attrs := testAttributesSet()
	data := []byte("<html>not really gzip</html>")
	_, err := s.Put(ctx, "attrs/put", data, core.PutOptions{Attributes: attrs})
	if caps.NoAttributes {
		expectKind(t, err, "put with attributes on a store declaring NoAttributes", unsupported...)
		expectNotFound(t, s, "attrs/put")
		if caps.NoMultipart {
			return
		}
		up, err := s.PutMultipart(ctx, "attrs/multipart", core.MultipartOptions{Attributes: attrs})
		if err == nil {
			if err = up.PutPart(ctx, 0, data); err == nil {
				_, err = up.Complete(ctx)
			}
			if err != nil {
				up.Abort(ctx)
			}
		}
		expectKind(t, err, "multipart with attributes on a store declaring NoAttributes", unsupported...)
		expectNotFound(t, s, "attrs/multipart")
		return
	}
	expectOK(t, err, "put with attributes")
	for _, head := range []bool{true, false} {
		res, err := s.Get(ctx, "attrs/put", core.GetOptions{Head: head})
		expectOK(t, err, "get with attributes")
		body, err := core.ReadAll(res, nil)
		expectOK(t, err, "read body")
		if !head && string(body) != string(data) {
			t.Fatalf("body with Content-Encoding gzip was altered: %q", body)
		}
		checkAttributes(t, res.Attributes, attrs, fmt.Sprintf("get (head=%v)", head))
	}
	if caps.NoMultipart {
		return
	}
	up, err := s.PutMultipart(ctx, "attrs/multipart", core.MultipartOptions{Attributes: attrs})
	expectOK(t, err, "put_multipart with attributes")
	expectOK(t, up.PutPart(ctx, 0, data), "put_part")
	_, err = up.Complete(ctx)
	expectOK(t, err, "complete")
	res, err := s.Get(ctx, "attrs/multipart", core.GetOptions{})
	expectOK(t, err, "get multipart object")
	res.Body.Close()
	checkAttributes(t, res.Attributes, attrs, "multipart get")

	// Copy keeps them.
	expectOK(t, s.Copy(ctx, "attrs/put", "attrs/copied", core.CopyOptions{}), "copy")
	res, err = s.Get(ctx, "attrs/copied", core.GetOptions{Head: true})
	expectOK(t, err, "get copy")
	res.Body.Close()
	checkAttributes(t, res.Attributes, attrs, "copied object")
}

func testConditionalGet(t *testing.T, s core.Store, caps Capabilities) {
	ctx := context.Background()
	first := put(t, s, "cond/obj", []byte("first"))
	meta, err := s.Head(ctx, "cond/obj")
	expectOK(t, err, "head")
	if meta.ETag == "" {
		t.Fatalf("head returned no etag")
	}
	if first.ETag != "" && first.ETag != meta.ETag {
		t.Fatalf("put returned etag %q, head says %q", first.ETag, meta.ETag)
	}
	get := func(o core.GetOptions) error {
		_, _, err := getBytes(t, s, "cond/obj", o)
		return err
	}
	at := func(d time.Duration) *time.Time { x := meta.LastModified.Add(d); return &x }
	expectOK(t, get(core.GetOptions{IfUnmodifiedSince: at(0)}), "if_unmodified_since = last modified")
	expectOK(t, get(core.GetOptions{IfUnmodifiedSince: at(time.Hour)}), "if_unmodified_since in the future")
	expectKind(t, get(core.GetOptions{IfUnmodifiedSince: at(-time.Hour)}), "if_unmodified_since in the past", core.Precondition)
	expectKind(t, get(core.GetOptions{IfModifiedSince: at(0)}), "if_modified_since = last modified", core.NotModified)
	expectOK(t, get(core.GetOptions{IfModifiedSince: at(-time.Hour)}), "if_modified_since in the past")
	expectOK(t, get(core.GetOptions{IfMatch: meta.ETag}), "if_match with the etag")
	expectKind(t, get(core.GetOptions{IfMatch: `"not-the-etag"`}), "if_match with a wrong etag", core.Precondition)
	expectKind(t, get(core.GetOptions{IfNoneMatch: meta.ETag}), "if_none_match with the etag", core.NotModified)
	expectOK(t, get(core.GetOptions{IfNoneMatch: `"not-the-etag"`}), "if_none_match with a wrong etag")

	second := put(t, s, "cond/obj", []byte("second, longer"))
	meta2, err := s.Head(ctx, "cond/obj")
	expectOK(t, err, "head")
	if meta2.ETag == meta.ETag {
		t.Fatalf("etag %q did not change on overwrite", meta.ETag)
	}
	expectKind(t, get(core.GetOptions{IfMatch: meta.ETag}), "if_match with the old etag", core.Precondition)
	expectOK(t, get(core.GetOptions{IfMatch: meta2.ETag}), "if_match with the new etag")

	if caps.NoVersions {
		v := first.Version
		if v == "" {
			v = "1"
		}
		data, _, err := getBytes(t, s, "cond/obj", core.GetOptions{Version: v})
		if err == nil {
			t.Fatalf("get of version %q on a store declaring NoVersions returned %q instead of an error", v, data)
		}
		return
	}
	if first.Version == "" || second.Version == "" || first.Version == second.Version {
		t.Fatalf("versioned store returned versions %q and %q for two puts", first.Version, second.Version)
	}
	data, _, err := getBytes(t, s, "cond/obj", core.GetOptions{Version: first.Version})
	expectOK(t, err, "get of the old version")
	if string(data) != "first" {
		t.Fatalf("old version has %q, want %q", data, "first")
	}
}

func testConditionalPut(t *testing.T, s core.Store, caps Capabilities) {
	ctx := context.Background()
	create := core.PutOptions{Mode: core.PutMode{Kind: core.PutCreate}}
	if caps.NoConditionalPut {
		_, err := s.Put(ctx, "cput/obj", []byte("x"), create)
		expectKind(t, err, "create put on a store declaring NoConditionalPut", unsupported...)
		_, err = s.Put(ctx, "cput/obj", []byte("x"), core.PutOptions{Mode: core.PutMode{Kind: core.PutUpdate, ETag: "x"}})
		expectKind(t, err, "update put on a store declaring NoConditionalPut", unsupported...)
		return
	}
	res, err := s.Put(ctx, "cput/obj", []byte("one"), create)
	expectOK(t, err, "create put")
	_, err = s.Put(ctx, "cput/obj", []byte("two"), create)
	expectKind(t, err, "second create put", core.AlreadyExists)
	expectContent(t, s, "cput/obj", []byte("one"))

	meta, err := s.Head(ctx, "cput/obj")
	expectOK(t, err, "head")
	update := func(etag, version string) core.PutOptions {
		return core.PutOptions{Mode: core.PutMode{Kind: core.PutUpdate, ETag: etag, Version: version}}
	}
	if caps.NoUpdateMode {
		_, err = s.Put(ctx, "cput/obj", []byte("two"), update(meta.ETag, meta.Version))
		expectKind(t, err, "update put on a store declaring NoUpdateMode", unsupported...)
		expectContent(t, s, "cput/obj", []byte("one"))
		return
	}
	res2, err := s.Put(ctx, "cput/obj", []byte("two"), update(meta.ETag, meta.Version))
	expectOK(t, err, "update with the current etag")
	expectContent(t, s, "cput/obj", []byte("two"))
	if res2.ETag != "" && res2.ETag == res.ETag {
		t.Fatalf("etag did not change on update")
	}
	_, err = s.Put(ctx, "cput/obj", []byte("three"), update(meta.ETag, meta.Version))
	expectKind(t, err, "update with a stale etag", core.Precondition)
	expectContent(t, s, "cput/obj", []byte("two"))
	_, err = s.Put(ctx, "cput/missing", []byte("x"), update(meta.ETag, meta.Version))
	expectKind(t, err, "update of a missing object", core.Precondition)
	expectNotFound(t, s, "cput/missing")
}

// testCounterRace: 5 workers each add 1 ten times to a counter object with
// get + conditional put, retrying on conflict; no increment may be lost.
func testCounterRace(t *testing.T, s core.Store, caps Capabilities) {
	if caps.NoConditionalPut || caps.NoUpdateMode {
		return // declared and checked by 04_conditional_put
	}
	ctx := context.Background()
	const workers, increments = 5, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range increments {
				if err := increment(ctx, s, "race/counter"); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if got := string(mustGet(t, s, "race/counter")); got != strconv.Itoa(workers*increments) {
		t.Fatalf("counter is %s after %d increments", got, workers*increments)
	}
}

func increment(ctx context.Context, s core.Store, path core.Path) error {
	for attempt := 0; attempt < 10000; attempt++ {
		res, err := s.Get(ctx, path, core.GetOptions{})
		var opts core.PutOptions
		n := 0
		switch {
		case core.IsKind(err, core.NotFound):
			opts.Mode = core.PutMode{Kind: core.PutCreate}
		case err != nil:
			return err
		default:
			body, err := core.ReadAll(res, nil)
			if err != nil {
				return err
			}
			if n, err = strconv.Atoi(string(body)); err != nil {
				return fmt.Errorf("counter holds %q", body)
			}
			opts.Mode = core.PutMode{Kind: core.PutUpdate, ETag: res.Meta.ETag, Version: res.Meta.Version}
		}
		_, err = s.Put(ctx, path, []byte(strconv.Itoa(n+1)), opts)
		if core.IsKind(err, core.Precondition) || core.IsKind(err, core.AlreadyExists) {
			continue
		}
		return err
	}
	return fmt.Errorf("increment did not succeed after 10000 attempts")
}

// testCreateRace: 16 writers race a create-only put, 20 rounds; exactly one
// wins each round and its content is what is stored.
func testCreateRace(t *testing.T, s core.Store, caps Capabilities) {
	if caps.NoConditionalPut {
		return // declared and checked by 04_conditional_put
	}
	ctx := context.Background()
	const writers, rounds = 16, 20
	for round := range rounds {
		path := core.Path(fmt.Sprintf("race/create/%02d", round))
		var wg sync.WaitGroup
		results := make([]error, writers)
		start := make(chan struct{})
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, results[w] = s.Put(ctx, path, []byte(strconv.Itoa(w)), core.PutOptions{Mode: core.PutMode{Kind: core.PutCreate}})
			}()
		}
		close(start)
		wg.Wait()
		winner := -1
		for w, err := range results {
			switch {
			case err == nil:
				if winner >= 0 {
					t.Fatalf("round %d: writers %d and %d both created the object", round, winner, w)
				}
				winner = w
			case !core.IsKind(err, core.AlreadyExists):
				t.Fatalf("round %d: writer %d: %v (want AlreadyExists)", round, w, err)
			}
		}
		if winner < 0 {
			t.Fatalf("round %d: no writer won", round)
		}
		expectContent(t, s, string(path), []byte(strconv.Itoa(winner)))
	}
}
