package core

import (
	"context"
	"iter"
	"sync"
	"time"
)

// Unfinished multipart uploads. A process that dies between starting a
// multipart upload and completing or aborting it leaves the upload behind:
// invisible to readers, but holding its parts (and on S3 the storage they
// cost) until someone aborts it. Every failure path of an upload in this
// library aborts it; what a killed process, or an abort that could not
// reach the service, leaves is found and removed with CleanupUploads.

// PendingUpload is a multipart upload that was begun and neither completed
// nor aborted.
type PendingUpload struct {
	Path      Path      // the object it would create
	ID        string    // the service's id of the upload (what AbortUpload needs)
	Initiated time.Time // when it began, by the service's clock
}

// UploadCleaner is implemented by stores whose unfinished multipart uploads
// can be listed and aborted from any process.
type UploadCleaner interface {
	// ListUploads yields the unfinished uploads of objects under prefix
	// (whole segments; "" for all).
	ListUploads(ctx context.Context, prefix Path) iter.Seq2[PendingUpload, error]
	// AbortUpload aborts one listed upload. One that is gone meanwhile
	// (completed or aborted by its owner) is not an error.
	AbortUpload(ctx context.Context, u PendingUpload) error
}

// CleanupOptions select what CleanupUploads aborts.
type CleanupOptions struct {
	// OlderThan spares uploads that began less than this long ago (by the
	// local clock against the service's Initiated times): they may still
	// be in progress. 0 aborts every unfinished upload.
	OlderThan time.Duration
	// DryRun lists what would be aborted and aborts nothing.
	DryRun bool
}

// cleanupConcurrency bounds the aborts in flight of one CleanupUploads.
const cleanupConcurrency = 8

// CleanupUploads aborts the unfinished multipart uploads of objects under
// prefix that began at least opts.OlderThan ago, and returns them. When an
// abort fails, the others are still tried, and the uploads aborted so far
// are returned with the first error. Stores that keep no uploads between
// requests (memory, HTTP) answer NotSupported.
func CleanupUploads(ctx context.Context, s Store, prefix Path, opts CleanupOptions) ([]PendingUpload, error) {
	c, ok := s.(UploadCleaner)
	if !ok {
		return nil, notCleanable(prefix)
	}
	cutoff := time.Now().Add(-opts.OlderThan)
	var due []PendingUpload
	for u, err := range c.ListUploads(ctx, prefix) {
		if err != nil {
			return nil, err
		}
		if opts.OlderThan > 0 && u.Initiated.After(cutoff) {
			continue
		}
		due = append(due, u)
	}
	if opts.DryRun {
		return due, nil
	}
	errs := make([]error, len(due))
	sem := make(chan struct{}, cleanupConcurrency)
	var wg sync.WaitGroup
	for i, u := range due {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			errs[i] = c.AbortUpload(ctx, u)
		})
	}
	wg.Wait()
	aborted := due[:0]
	var first error
	for i, u := range due {
		if errs[i] == nil {
			aborted = append(aborted, u)
		} else if first == nil {
			first = errs[i]
		}
	}
	return aborted, first
}

// ListUploads lists the unfinished uploads of s under prefix, or yields
// NotSupported for a store without uploads: for wrapping stores, which
// pass the call on.
func ListUploads(ctx context.Context, s Store, prefix Path) iter.Seq2[PendingUpload, error] {
	if c, ok := s.(UploadCleaner); ok {
		return c.ListUploads(ctx, prefix)
	}
	return func(yield func(PendingUpload, error) bool) { yield(PendingUpload{}, notCleanable(prefix)) }
}

// AbortUpload aborts a listed upload of s, or is NotSupported for a store
// without uploads.
func AbortUpload(ctx context.Context, s Store, u PendingUpload) error {
	if c, ok := s.(UploadCleaner); ok {
		return c.AbortUpload(ctx, u)
	}
	return notCleanable(u.Path)
}

// notCleanable is CleanupUploads' answer for stores without uploads.
func notCleanable(prefix Path) error {
	return &Error{Kind: NotSupported, Path: string(prefix), Msg: "this store keeps no multipart uploads between requests: there is nothing to clean up"}
}
