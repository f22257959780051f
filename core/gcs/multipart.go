package gcs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"iter"
	"sort"
	"strings"
	"sync"

	"cloud.google.com/go/storage"

	"github.com/libobjstore/objstore/core"
)

// Multipart uploads on GCS.
//
// GCS has no S3-style upload parts in its JSON API, and a resumable upload
// takes its bytes strictly in order, one chunk at a time. core's parts may
// arrive concurrently and in any order, so each part is written as a
// temporary object and Complete composes them, in index order, into the
// destination:
//
//   - parts live under partsPrefix/<upload id>/, at the bucket root whatever
//     the store's prefix; List and ListWithDelimiter hide that prefix, so the
//     destination (and the parts) stay invisible until Complete;
//   - compose takes at most 32 sources per call, so longer uploads are
//     chained: the first 32 parts make an intermediate object, which is
//     composed with the next 31, and so on;
//   - a composite object holds at most 1024 components, so an upload has at
//     most 1024 parts (with 5 MiB parts, 5 GiB; larger parts go further);
//   - Complete and Abort delete every part and intermediate object. Each
//     part records its upload's destination (metadata uploadPathKey), so
//     that ListUploads can tell what the parts left by a crashed process
//     were for and CleanupUploads removes them; a bucket lifecycle rule on
//     partsPrefix (age > 1 day) is the other way.
const (
	partsPrefix       = ".objstore-multipart"
	maxComposeSources = 32
	maxParts          = 1024
	uploadPathKey     = "objstore-upload-path"
)

type upload struct {
	s    *Store
	path core.Path
	opts core.MultipartOptions
	id   string

	mu    sync.Mutex
	parts map[int]int64 // index → generation of its temporary object
}

func (s *Store) PutMultipart(ctx context.Context, path core.Path, opts core.MultipartOptions) (core.MultipartUpload, error) {
	if len(opts.Tags) > 0 {
		return nil, &core.Error{Kind: core.NotSupported, Store: kind, Path: string(path), Msg: "GCS has no object tags"}
	}
	var id [16]byte
	if _, err := rand.Read(id[:]); err != nil {
		return nil, core.Wrap(core.Generic, kind, path, err)
	}
	return &upload{s: s, path: path, opts: opts, id: hex.EncodeToString(id[:]), parts: map[int]int64{}}, nil
}

func (u *upload) dir() string { return partsPrefix + "/" + u.id + "/" }

func (u *upload) partName(index int) string { return fmt.Sprintf("%spart-%05d", u.dir(), index) }

func (u *upload) PutPart(ctx context.Context, index int, data []byte) error {
	if index < 0 || index >= maxParts {
		return &core.Error{Kind: core.InvalidArgument, Store: kind, Path: string(u.path), Msg: fmt.Sprintf("part %d: a GCS upload has parts 0 to %d (compose's component limit)", index, maxParts-1)}
	}
	attrs, err := u.s.write(ctx, u.s.objectNamed(ctx, u.partName(index)), data, core.Attributes{uploadPathKey: string(u.path)})
	if err != nil {
		return mapError(err, u.path)
	}
	u.mu.Lock()
	u.parts[index] = attrs.Generation
	u.mu.Unlock()
	return nil
}

func (u *upload) Complete(ctx context.Context) (core.PutResult, error) {
	u.mu.Lock()
	indexes := make([]int, 0, len(u.parts))
	for i := range u.parts {
		indexes = append(indexes, i)
	}
	parts := make(map[int]int64, len(u.parts))
	for i, g := range u.parts {
		parts[i] = g
	}
	u.mu.Unlock()
	sort.Ints(indexes)
	for want, got := range indexes {
		if want != got {
			return core.PutResult{}, &core.Error{Kind: core.InvalidArgument, Store: kind, Path: string(u.path), Msg: fmt.Sprintf("part %d was never uploaded", want)}
		}
	}

	if len(indexes) == 0 {
		attrs, err := u.s.write(ctx, u.s.object(ctx, u.path), nil, u.opts.Attributes)
		if err != nil {
			return core.PutResult{}, mapError(err, u.path)
		}
		g := generationString(attrs.Generation)
		return core.PutResult{ETag: g, Version: g}, nil
	}

	// Each source is pinned to the generation this upload wrote.
	sources := make([]*storage.ObjectHandle, len(indexes))
	for _, i := range indexes {
		sources[i] = u.s.objectNamed(ctx, u.partName(i)).Generation(parts[i])
	}
	var intermediates []string
	attrs, err := func() (*storage.ObjectAttrs, error) {
		for step := 0; ; step++ {
			if len(sources) <= maxComposeSources {
				c := u.s.object(ctx, u.path).ComposerFrom(sources...)
				applyAttributes(&c.ObjectAttrs, u.opts.Attributes)
				return u.compose(ctx, c)
			}
			name := fmt.Sprintf("%scomposed-%05d", u.dir(), step)
			intermediates = append(intermediates, name)
			c := u.s.objectNamed(ctx, name).ComposerFrom(sources[:maxComposeSources]...)
			c.Metadata = map[string]string{uploadPathKey: string(u.path)}
			a, err := u.compose(ctx, c)
			if err != nil {
				return nil, err
			}
			next := u.s.objectNamed(ctx, name).Generation(a.Generation)
			sources = append([]*storage.ObjectHandle{next}, sources[maxComposeSources:]...)
		}
	}()
	if err != nil {
		return core.PutResult{}, mapError(err, u.path)
	}
	g := generationString(attrs.Generation)
	res := core.PutResult{ETag: g, Version: g}
	if err := u.removeTemporaries(ctx, intermediates); err != nil {
		return res, &core.Error{Kind: core.Generic, Store: kind, Path: string(u.path), Msg: "the object is complete, but temporary parts under " + u.dir() + " could not all be deleted", Err: err}
	}
	return res, nil
}

func (u *upload) compose(ctx context.Context, c *storage.Composer) (*storage.ObjectAttrs, error) {
	ctx, admitted, err := u.s.throttle.Admit(ctx)
	if err != nil {
		return nil, err
	}
	defer admitted()
	c.SendCRC32C = false
	return c.Run(ctx)
}

// Abort deletes everything the upload wrote, including parts whose
// PutPart failed midway (found by listing the upload's directory).
func (u *upload) Abort(ctx context.Context) error {
	return u.removeTemporaries(ctx, nil)
}

// removeTemporaries deletes the upload's known parts and extra objects,
// then lists its directory for parts whose PutPart failed midway. The
// known ones go first: their deletes still work where a listing (a larger
// answer) does not get through.
func (u *upload) removeTemporaries(ctx context.Context, extra []string) error {
	known := append([]string(nil), extra...)
	u.mu.Lock()
	for i := range u.parts {
		known = append(known, u.partName(i))
	}
	u.mu.Unlock()
	if err := u.deleteTemporaries(ctx, known); err != nil {
		return err
	}
	var listed []string
	for a, err := range u.s.objects(ctx, &storage.Query{Prefix: u.dir(), Projection: storage.ProjectionNoACL}) {
		if err != nil {
			return mapError(err, u.path)
		}
		listed = append(listed, a.Name)
	}
	if err := u.deleteTemporaries(ctx, listed); err != nil {
		return err
	}
	u.mu.Lock()
	u.parts = map[int]int64{}
	u.mu.Unlock()
	return nil
}

func (u *upload) deleteTemporaries(ctx context.Context, names []string) error {
	paths := make([]core.Path, len(names))
	for i, n := range names {
		paths[i] = core.Path(n)
	}
	for _, err := range u.s.DeleteMany(ctx, paths) {
		if err != nil && !core.IsKind(err, core.NotFound) {
			return err
		}
	}
	return nil
}

var _ core.UploadCleaner = (*Store)(nil)

// ListUploads lists the uploads whose temporary parts are in the bucket
// and whose destination is under prefix. An upload began when its oldest
// part was written. Parts without a recorded destination are listed only
// for the whole bucket (prefix ""), with an empty Path.
func (s *Store) ListUploads(ctx context.Context, prefix core.Path) iter.Seq2[core.PendingUpload, error] {
	return func(yield func(core.PendingUpload, error) bool) {
		q := &storage.Query{Prefix: partsPrefix + "/", Projection: storage.ProjectionNoACL}
		if err := q.SetAttrSelection([]string{"Name", "Created", "Metadata"}); err != nil {
			yield(core.PendingUpload{}, mapError(err, prefix))
			return
		}
		byID := map[string]*core.PendingUpload{}
		var order []string
		for a, err := range s.objects(ctx, q) {
			if err != nil {
				yield(core.PendingUpload{}, mapError(err, prefix))
				return
			}
			id, _, ok := strings.Cut(strings.TrimPrefix(a.Name, partsPrefix+"/"), "/")
			if !ok || id == "" {
				continue
			}
			u := byID[id]
			if u == nil {
				u = &core.PendingUpload{ID: id, Initiated: a.Created}
				byID[id] = u
				order = append(order, id)
			}
			if p, err := core.ParsePath(a.Metadata[uploadPathKey]); err == nil && p != "" {
				u.Path = p
			}
			if a.Created.Before(u.Initiated) {
				u.Initiated = a.Created
			}
		}
		for _, id := range order {
			u := byID[id]
			if prefix != "" && (u.Path == prefix || !u.Path.HasPrefix(prefix)) {
				continue // not under prefix (an unknown destination only counts for the root)
			}
			if !yield(*u, nil) {
				return
			}
		}
	}
}

// AbortUpload deletes every temporary object of the upload.
func (s *Store) AbortUpload(ctx context.Context, u core.PendingUpload) error {
	if u.ID == "" || strings.Contains(u.ID, "/") {
		return &core.Error{Kind: core.InvalidArgument, Store: kind, Path: string(u.Path), Msg: "not an upload id of this store: " + u.ID}
	}
	return (&upload{s: s, path: u.Path, id: u.ID, parts: map[int]int64{}}).Abort(ctx)
}
