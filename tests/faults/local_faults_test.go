package faults_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"path/filepath"
	"slices"
	"syscall"
	"testing"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/local"
)

// LocalStore writes that fail midway must leave nothing behind: no object,
// no partial file, no temporary or staging file, visible or hidden.

func newLocal(t *testing.T) (*local.Store, string) {
	t.Helper()
	dir := t.TempDir()
	s, err := local.New(dir, local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, dir
}

// filesOnDisk lists every regular file under dir, hidden ones included.
func filesOnDisk(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(files)
	return files
}

func expectOnlyFiles(t *testing.T, s core.Store, dir string, want ...string) {
	t.Helper()
	if got := filesOnDisk(t, dir); !slices.Equal(got, want) {
		t.Fatalf("files on disk %q, want %q", got, want)
	}
	var listed []string
	for meta, err := range s.List(context.Background(), "", core.ListOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
		listed = append(listed, string(meta.Location))
	}
	if !slices.Equal(listed, want) {
		t.Fatalf("listed %q, want %q", listed, want)
	}
}

// failingReader yields n bytes and then an error.
type failingReader struct {
	n   int
	err error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, r.err
	}
	k := min(len(p), r.n)
	for i := range k {
		p[i] = byte(i)
	}
	r.n -= k
	return k, nil
}

func TestLocalReaderErrorMidMultipart(t *testing.T) {
	s, dir := newLocal(t)
	put(t, s, "keep", []byte("kept"))
	boom := errors.New("source broke")
	// 3.5 MiB in 1 MiB chunks: parts are already staged when the reader fails.
	_, err := core.PutMultipartReader(context.Background(), s, "obj", &failingReader{n: 3<<20 + 512<<10, err: boom},
		core.WriterOptions{ChunkSize: 1 << 20, MaxConcurrency: 2})
	if !errors.Is(err, boom) {
		t.Fatalf("got %v, want the reader's error", err)
	}
	expectOnlyFiles(t, s, dir, "keep")
}

func TestLocalWriterAbortedMidStream(t *testing.T) {
	s, dir := newLocal(t)
	w := core.NewWriter(context.Background(), s, "obj", core.WriterOptions{ChunkSize: 1 << 20})
	if _, err := w.Write(pattern(2<<20+1000, 5)); err != nil {
		t.Fatal(err)
	}
	if err := w.Abort(); err != nil {
		t.Fatalf("abort: %v", err)
	}
	if _, err := w.Write([]byte("x")); err == nil {
		t.Fatal("write after abort succeeded")
	}
	if _, err := s.Head(context.Background(), "obj"); !core.IsKind(err, core.NotFound) {
		t.Fatalf("head after abort: %v, want NotFound", err)
	}
	expectOnlyFiles(t, s, dir)
}

func TestLocalWriterContextCancelledMidStream(t *testing.T) {
	s, dir := newLocal(t)
	ctx, cancel := context.WithCancel(context.Background())
	w := core.NewWriter(ctx, s, "obj", core.WriterOptions{ChunkSize: 1 << 20})
	if _, err := w.Write(pattern(2<<20+1000, 6)); err != nil {
		t.Fatal(err)
	}
	cancel()
	w.Write(pattern(1<<20, 7)) // may or may not notice yet
	if _, err := w.Close(); err == nil {
		t.Fatal("close after cancel succeeded")
	} else if _, ok := typed(err); !ok {
		t.Fatalf("untyped error %T: %v", err, err)
	}
	expectOnlyFiles(t, s, dir)
}

// withFileSizeLimit makes every file write of this process past limit bytes
// fail (EFBIG), like a full disk, for the duration of fn. Go ignores
// SIGXFSZ, so the write returns an error instead of killing the process.
func withFileSizeLimit(t *testing.T, limit uint64, fn func()) {
	t.Helper()
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: limit, Max: old.Max}); err != nil {
		t.Fatal(err)
	}
	defer syscall.Setrlimit(syscall.RLIMIT_FSIZE, &old)
	fn()
}

func TestLocalDiskFullMidWrite(t *testing.T) {
	s, dir := newLocal(t)
	put(t, s, "keep", []byte("kept"))
	ctx := context.Background()
	var putErr, mpErr, overwriteErr error
	withFileSizeLimit(t, 1<<20, func() {
		_, putErr = s.Put(ctx, "big", pattern(3<<20, 8), core.PutOptions{})
		// Parts of 512 KiB fit; the assembled 2.5 MiB object does not.
		_, mpErr = core.PutMultipartReader(ctx, s, "multi", bytes.NewReader(pattern(5<<19, 9)),
			core.WriterOptions{ChunkSize: 512 << 10})
		_, overwriteErr = s.Put(ctx, "keep", pattern(2<<20, 10), core.PutOptions{})
	})
	for name, err := range map[string]error{"put": putErr, "multipart put": mpErr, "overwrite": overwriteErr} {
		if err == nil {
			t.Fatalf("%s past the file size limit succeeded", name)
		}
		if _, ok := typed(err); !ok {
			t.Fatalf("%s: untyped error %T: %v", name, err, err)
		}
	}
	// The failed overwrite left the old content whole.
	res, err := s.Get(ctx, "keep", core.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := io.ReadAll(res.Body); err != nil || string(got) != "kept" {
		t.Fatalf("keep holds %q, %v", got, err)
	}
	res.Body.Close()
	expectOnlyFiles(t, s, dir, "keep")
}
