package storetest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/libobjstore/objstore/core"
)

func p(t testing.TB, s string) core.Path {
	t.Helper()
	path, err := core.ParsePath(s)
	if err != nil {
		t.Fatalf("test path %q: %v", s, err)
	}
	return path
}

func put(t testing.TB, s core.Store, path string, data []byte) core.PutResult {
	t.Helper()
	res, err := s.Put(context.Background(), p(t, path), data, core.PutOptions{})
	if err != nil {
		t.Fatalf("put %q: %v", path, err)
	}
	return res
}

func getBytes(t testing.TB, s core.Store, path string, opts core.GetOptions) ([]byte, *core.GetResult, error) {
	t.Helper()
	res, err := s.Get(context.Background(), p(t, path), opts)
	if err != nil {
		return nil, nil, err
	}
	data, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return nil, nil, fmt.Errorf("reading body of %q: %w", path, err)
	}
	if uint64(len(data)) != res.Len() {
		return nil, nil, fmt.Errorf("body of %q has %d bytes, result says [%d, %d)", path, len(data), res.Start, res.End)
	}
	return data, res, nil
}

func mustGet(t testing.TB, s core.Store, path string) []byte {
	t.Helper()
	data, _, err := getBytes(t, s, path, core.GetOptions{})
	if err != nil {
		t.Fatalf("get %q: %v", path, err)
	}
	return data
}

func expectContent(t testing.TB, s core.Store, path string, want []byte) {
	t.Helper()
	got := mustGet(t, s, path)
	if !bytes.Equal(got, want) {
		t.Fatalf("content of %q: got %s, want %s", path, short(got), short(want))
	}
}

func short(b []byte) string {
	if len(b) > 64 {
		return fmt.Sprintf("%q… (%d bytes)", b[:64], len(b))
	}
	return fmt.Sprintf("%q", b)
}

// expectKind fails unless err is one of kinds.
func expectKind(t testing.TB, err error, what string, kinds ...core.Kind) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error, want %v", what, kinds)
	}
	if !slices.Contains(kinds, core.KindOf(err)) {
		t.Fatalf("%s: got %v (%v), want kind %v", what, core.KindOf(err), err, kinds)
	}
}

func expectOK(t testing.TB, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func expectNotFound(t testing.TB, s core.Store, path string) {
	t.Helper()
	_, err := s.Head(context.Background(), p(t, path))
	expectKind(t, err, "head "+path, core.NotFound)
	_, _, err = getBytes(t, s, path, core.GetOptions{})
	expectKind(t, err, "get "+path, core.NotFound)
}

var unsupported = []core.Kind{core.NotImplemented, core.NotSupported}

func listAll(t testing.TB, s core.Store, prefix string, offset string, caps Capabilities) []core.ObjectMeta {
	t.Helper()
	opts := core.ListOptions{}
	if offset != "" {
		opts.Offset = p(t, offset)
	}
	var out []core.ObjectMeta
	for m, err := range s.List(context.Background(), p(t, prefix), opts) {
		if err != nil {
			t.Fatalf("list %q offset %q: %v", prefix, offset, err)
		}
		out = append(out, m)
	}
	if caps.ListUnordered {
		slices.SortFunc(out, func(a, b core.ObjectMeta) int { return strings.Compare(string(a.Location), string(b.Location)) })
	}
	return out
}

func listPaths(t testing.TB, s core.Store, prefix, offset string, caps Capabilities) []string {
	t.Helper()
	var out []string
	for _, m := range listAll(t, s, prefix, offset, caps) {
		out = append(out, string(m.Location))
	}
	return out
}

func expectList(t testing.TB, s core.Store, prefix string, caps Capabilities, want ...string) {
	t.Helper()
	got := listPaths(t, s, prefix, "", caps)
	if !slices.Equal(got, want) {
		t.Fatalf("list %q: got %q, want %q", prefix, got, want)
	}
}

func pathStrings(ps []core.Path) []string {
	out := make([]string, len(ps))
	for i, x := range ps {
		out[i] = string(x)
	}
	return out
}

// pattern returns n bytes that differ with seed and position, so misplaced
// or reordered parts are detected.
func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7+i/251) ^ seed
	}
	return b
}
