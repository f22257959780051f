package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/libobjstore/objstore/core"
)

// testCleanupUploads: uploads left open (as a killed process leaves them)
// are listed under their prefix with their path, spared while younger than
// OlderThan, aborted by CleanupUploads, and dead afterwards.
func testCleanupUploads(t *testing.T, s core.Store, caps Capabilities) {
	ctx := context.Background()
	if caps.NoUploadCleanup || caps.NoMultipart {
		_, err := core.CleanupUploads(ctx, s, "", core.CleanupOptions{})
		if caps.NoUploadCleanup {
			expectKind(t, err, "cleanup_uploads on a store declaring NoUploadCleanup", unsupported...)
		}
		return
	}
	open := func(path string) core.MultipartUpload {
		up, err := s.PutMultipart(ctx, p(t, path), core.MultipartOptions{})
		expectOK(t, err, "put_multipart "+path)
		expectOK(t, up.PutPart(ctx, 0, pattern(1000, 7)), "put_part of "+path)
		return up
	}
	put(t, s, "cleanup/a/done", []byte("a finished object"))
	left := open("cleanup/a/left")
	other := open("cleanup-other/left")
	defer other.Abort(ctx)

	listed, err := core.CleanupUploads(ctx, s, "cleanup", core.CleanupOptions{DryRun: true})
	expectOK(t, err, "cleanup_uploads dry run")
	if len(listed) != 1 || listed[0].Path != "cleanup/a/left" {
		t.Fatalf("uploads under cleanup: %+v, want exactly cleanup/a/left", listed)
	}
	if age := time.Since(listed[0].Initiated); age < -time.Minute || age > 10*time.Minute {
		t.Errorf("upload initiated %v, %v ago: not when it began", listed[0].Initiated, age)
	}
	young, err := core.CleanupUploads(ctx, s, "cleanup", core.CleanupOptions{OlderThan: time.Hour})
	expectOK(t, err, "cleanup_uploads older than an hour")
	if len(young) != 0 {
		t.Fatalf("cleanup of uploads older than an hour aborted %+v, begun seconds ago", young)
	}
	aborted, err := core.CleanupUploads(ctx, s, "cleanup", core.CleanupOptions{})
	expectOK(t, err, "cleanup_uploads")
	if len(aborted) != 1 || aborted[0].Path != "cleanup/a/left" {
		t.Fatalf("cleanup aborted %+v, want exactly cleanup/a/left", aborted)
	}
	after, err := core.CleanupUploads(ctx, s, "cleanup", core.CleanupOptions{DryRun: true})
	expectOK(t, err, "cleanup_uploads dry run after the cleanup")
	if len(after) != 0 {
		t.Fatalf("still listed after the cleanup: %+v", after)
	}
	if !caps.AbortedUploadsMayComplete {
		// Bounded: an emulator may answer 500 (retried) where the service
		// answers 404 (fake-gcs-server's compose of a deleted part).
		late, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if _, err := left.Complete(late); err == nil {
			t.Fatal("an upload aborted by cleanup_uploads completed")
		}
		expectNotFound(t, s, "cleanup/a/left")
	}
	expectContent(t, s, "cleanup/a/done", []byte("a finished object"))

	rest, err := core.CleanupUploads(ctx, s, "", core.CleanupOptions{DryRun: true})
	expectOK(t, err, "cleanup_uploads dry run of the root")
	if len(rest) != 1 || rest[0].Path != "cleanup-other/left" {
		t.Fatalf("uploads of the whole store: %+v, want exactly cleanup-other/left", rest)
	}
}
