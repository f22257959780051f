package storetest

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/libobjstore/objstore/core"
)

const partSize = 5 << 20 // S3's minimum for every part but the last

func testMultipart(t *testing.T, s core.Store, caps Capabilities) {
	ctx := context.Background()
	if caps.NoMultipart {
		up, err := s.PutMultipart(ctx, "mp/obj", core.MultipartOptions{})
		if err == nil {
			err = up.PutPart(ctx, 0, []byte("x"))
			up.Abort(ctx)
		}
		expectKind(t, err, "multipart on a store declaring NoMultipart", unsupported...)
		return
	}
	put(t, s, "mp/other", []byte("other"))

	// Parts finish in reverse order: the last one first.
	parts := [][]byte{pattern(partSize, 1), pattern(partSize, 2), pattern(partSize, 3), pattern(1234, 4)}
	up, err := s.PutMultipart(ctx, "mp/obj", core.MultipartOptions{})
	expectOK(t, err, "put_multipart")
	var wg sync.WaitGroup
	errs := make([]error, len(parts))
	for i := len(parts) - 1; i >= 0; i-- {
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(time.Duration(i) * 20 * time.Millisecond)
			errs[i] = up.PutPart(ctx, i, parts[i])
		}()
	}
	wg.Wait()
	for i, err := range errs {
		expectOK(t, err, "put_part "+string(rune('0'+i)))
	}
	expectNotFound(t, s, "mp/obj")
	expectList(t, s, "", caps, "mp/other")
	_, err = up.Complete(ctx)
	expectOK(t, err, "complete")
	expectContent(t, s, "mp/obj", slices.Concat(parts...))
	meta, err := s.Head(ctx, "mp/obj")
	expectOK(t, err, "head")
	if meta.Size != uint64(3*partSize+1234) {
		t.Fatalf("multipart object has size %d", meta.Size)
	}
	expectList(t, s, "", caps, "mp/obj", "mp/other")

	// Abort of an empty upload and of one in progress.
	up, err = s.PutMultipart(ctx, "mp/aborted-empty", core.MultipartOptions{})
	expectOK(t, err, "put_multipart")
	expectOK(t, up.Abort(ctx), "abort of an empty upload")
	expectNotFound(t, s, "mp/aborted-empty")
	up, err = s.PutMultipart(ctx, "mp/aborted", core.MultipartOptions{})
	expectOK(t, err, "put_multipart")
	expectOK(t, up.PutPart(ctx, 0, parts[0]), "put_part")
	expectOK(t, up.PutPart(ctx, 1, parts[3]), "put_part")
	expectOK(t, up.Abort(ctx), "abort of an upload in progress")
	expectNotFound(t, s, "mp/aborted")
	expectList(t, s, "", caps, "mp/obj", "mp/other")

	// No parts: a zero-byte object.
	up, err = s.PutMultipart(ctx, "mp/empty", core.MultipartOptions{})
	expectOK(t, err, "put_multipart")
	_, err = up.Complete(ctx)
	expectOK(t, err, "complete with no parts")
	expectContent(t, s, "mp/empty", []byte{})

	// Overwrite through multipart.
	up, err = s.PutMultipart(ctx, "mp/other", core.MultipartOptions{})
	expectOK(t, err, "put_multipart")
	expectOK(t, up.PutPart(ctx, 0, []byte("replaced")), "put_part")
	_, err = up.Complete(ctx)
	expectOK(t, err, "complete")
	expectContent(t, s, "mp/other", []byte("replaced"))
}

// testWriter drives core.NewWriter with writes of mixed sizes.
func testWriter(t *testing.T, s core.Store, caps Capabilities) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	write := func(path string, total int) []byte {
		t.Helper()
		data := pattern(total, byte(total))
		w := core.NewWriter(ctx, s, p(t, path), core.WriterOptions{MaxConcurrency: 3})
		for rest := data; len(rest) > 0; {
			n := min(len(rest), 1+rng.IntN(700<<10))
			if rng.IntN(10) == 0 {
				n = min(len(rest), 1+rng.IntN(16)) // some tiny writes
			}
			if _, err := w.Write(rest[:n]); err != nil {
				t.Fatalf("write %s: %v", path, err)
			}
			rest = rest[n:]
		}
		if _, err := w.Close(); err != nil {
			t.Fatalf("close writer %s: %v", path, err)
		}
		return data
	}
	small := write("w/small", 100<<10)
	exact := write("w/exact-chunk", core.DefaultChunkSize)
	expectContent(t, s, "w/small", small)
	expectContent(t, s, "w/exact-chunk", exact)
	empty := core.NewWriter(ctx, s, "w/empty", core.WriterOptions{})
	_, err := empty.Close()
	expectOK(t, err, "close of an empty writer")
	expectContent(t, s, "w/empty", []byte{})

	aborted := core.NewWriter(ctx, s, "w/aborted", core.WriterOptions{})
	if _, err := aborted.Write(pattern(1000, 1)); err != nil {
		t.Fatal(err)
	}
	expectOK(t, aborted.Abort(), "abort of a writer")
	expectNotFound(t, s, "w/aborted")
	if _, err := aborted.Write([]byte("x")); err == nil {
		t.Fatalf("write after abort succeeded")
	}
	if caps.NoMultipart {
		return
	}
	large := write("w/large", 2*core.DefaultChunkSize+12345)
	expectContent(t, s, "w/large", large)

	data := pattern(core.DefaultChunkSize+777, 42)
	_, err = core.PutMultipartReader(ctx, s, "w/reader", io.MultiReader(bytes.NewReader(data[:10]), bytes.NewReader(data[10:])), core.WriterOptions{})
	expectOK(t, err, "PutMultipartReader")
	expectContent(t, s, "w/reader", data)

	aborted = core.NewWriter(ctx, s, "w/aborted-large", core.WriterOptions{})
	if _, err := aborted.Write(pattern(core.DefaultChunkSize+1, 1)); err != nil {
		t.Fatal(err)
	}
	expectOK(t, aborted.Abort(), "abort of a writer with an upload in progress")
	expectNotFound(t, s, "w/aborted-large")
	expectList(t, s, "", caps, "w/empty", "w/exact-chunk", "w/large", "w/reader", "w/small")
}
