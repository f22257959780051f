package azure

import (
	"context"
	"errors"
	"iter"
	"net/http"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"

	"github.com/libobjstore/objstore/core"
)

// Unfinished uploads on Azure are blocks staged (Put Block) on a blob and
// never committed. Azure has no call that drops staged blocks; what it
// does: a commit of the blob (Put Block List, Put Blob) discards every
// block it does not name, Delete Blob removes a never-committed blob with
// its blocks, and blocks nobody commits expire after 7 days. So:
//
//   - of a blob that was never committed, the staged blocks are removed
//     (Abort, AbortUpload) with Delete Blob, conditioned on the blob not
//     having been modified since a second before the service said it did
//     not exist (If-Unmodified-Since): a blob someone commits meanwhile is
//     never deleted. A staged upload of the same name by another writer
//     still in progress would lose its blocks (its commit then fails).
//   - of a blob that exists, staged blocks cannot be removed without
//     rewriting the blob: they are left to its next commit or to the
//     7-day expiry, and ListUploads does not list them.
//   - ListUploads lists the never-committed blobs under a prefix: the
//     names a listing with uncommitted blobs (include=uncommittedblobs)
//     shows and a plain listing does not. An upload began at the blob's
//     creation time (its first staged block).

var _ core.UploadCleaner = (*Store)(nil)

func (s *Store) ListUploads(ctx context.Context, prefix core.Path) iter.Seq2[core.PendingUpload, error] {
	return func(yield func(core.PendingUpload, error) bool) {
		withStaged := s.cl.container.NewListBlobsFlatPager(&container.ListBlobsFlatOptions{Prefix: listPrefix(prefix), Include: container.ListBlobsInclude{UncommittedBlobs: true}})
		committed := &blobCursor{pager: s.cl.container.NewListBlobsFlatPager(&container.ListBlobsFlatOptions{Prefix: listPrefix(prefix)})}
		for withStaged.More() {
			page, err := withStaged.NextPage(ctx)
			if err != nil {
				yield(core.PendingUpload{}, mapError(err, prefix))
				return
			}
			for _, item := range page.Segment.BlobItems {
				name := deref(item.Name)
				exists, err := committed.has(ctx, name)
				if err != nil {
					yield(core.PendingUpload{}, mapError(err, prefix))
					return
				}
				p, perr := core.ParsePath(name)
				if exists || perr != nil || string(p) != name {
					continue
				}
				u := core.PendingUpload{Path: p}
				if pr := item.Properties; pr != nil {
					switch {
					case pr.CreationTime != nil:
						u.Initiated = *pr.CreationTime
					case pr.LastModified != nil:
						u.Initiated = *pr.LastModified
					}
				}
				if !yield(u, nil) {
					return
				}
			}
		}
	}
}

// blobCursor walks a listing in name order, for has(name) calls in
// increasing name order.
type blobCursor struct {
	pager interface {
		More() bool
		NextPage(context.Context) (container.ListBlobsFlatResponse, error)
	}
	page []*container.BlobItem
}

func (c *blobCursor) has(ctx context.Context, name string) (bool, error) {
	for {
		for len(c.page) > 0 && deref(c.page[0].Name) < name {
			c.page = c.page[1:]
		}
		if len(c.page) > 0 {
			return deref(c.page[0].Name) == name, nil
		}
		if !c.pager.More() {
			return false, nil
		}
		resp, err := c.pager.NextPage(ctx)
		if err != nil {
			return false, err
		}
		c.page = resp.Segment.BlobItems
	}
}

func (s *Store) AbortUpload(ctx context.Context, u core.PendingUpload) error {
	return s.discardStaged(ctx, u.Path)
}

// discardStaged removes the blocks staged on path if the blob was never
// committed (see above); it leaves an existing blob alone.
func (s *Store) discardStaged(ctx context.Context, path core.Path) error {
	b := s.blob(path)
	_, err := b.GetProperties(ctx, nil)
	if err == nil {
		return nil // committed: its staged blocks go at its next commit, or expire
	}
	var re *azcore.ResponseError
	if !errors.As(err, &re) || re.StatusCode != http.StatusNotFound {
		return mapError(err, path)
	}
	absentAt := time.Now()
	if re.RawResponse != nil {
		if t, err := http.ParseTime(re.RawResponse.Header.Get("Date")); err == nil {
			absentAt = t // the service's clock, to the second
		}
	}
	before := absentAt.Add(-time.Second)
	_, err = b.Delete(ctx, &blob.DeleteOptions{AccessConditions: &blob.AccessConditions{
		ModifiedAccessConditions: &blob.ModifiedAccessConditions{IfUnmodifiedSince: &before}}})
	if err != nil {
		mapped := mapError(err, path)
		if core.IsKind(mapped, core.NotFound) || core.IsKind(mapped, core.Precondition) {
			return nil // nothing staged, or committed meanwhile: not ours to delete
		}
		return mapped
	}
	return nil
}
