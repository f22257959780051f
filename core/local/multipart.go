package local

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"iter"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/libobjstore/objstore/core"
)

// PutMultipart stages parts as files in a hidden directory under the root
// (never listed); Complete concatenates them in index order into a
// temporary file next to the destination and renames it into place. The
// directory's file targetFile names the destination, so that the staging
// a killed process leaves can be found (ListUploads) and removed.
func (s *Store) PutMultipart(ctx context.Context, p core.Path, opts core.MultipartOptions) (core.MultipartUpload, error) {
	if err := checkWritable(p); err != nil {
		return nil, err
	}
	if len(opts.Attributes) > 0 {
		return nil, &core.Error{Kind: core.NotImplemented, Store: storeName, Path: string(p), Msg: "LocalStore cannot store attributes"}
	}
	var rnd [12]byte
	rand.Read(rnd[:])
	dir := path.Join(stagingDir, hex.EncodeToString(rnd[:]))
	if err := s.root.MkdirAll(dir, 0o755); err != nil {
		return nil, fsError(err, p)
	}
	if err := s.root.WriteFile(path.Join(dir, targetFile), []byte(p), 0o644); err != nil {
		s.root.RemoveAll(dir)
		return nil, fsError(err, p)
	}
	return &upload{store: s, path: p, dir: dir}, nil
}

// targetFile, in an upload's staging directory, holds the destination path.
const targetFile = "target"

var _ core.UploadCleaner = (*Store)(nil)

// ListUploads lists the staging directories of uploads under prefix; an
// upload began when its target file was written.
func (s *Store) ListUploads(ctx context.Context, prefix core.Path) iter.Seq2[core.PendingUpload, error] {
	return func(yield func(core.PendingUpload, error) bool) {
		dirs, err := fs.ReadDir(s.root.FS(), stagingDir)
		if errors.Is(err, fs.ErrNotExist) {
			return
		}
		if err != nil {
			yield(core.PendingUpload{}, fsError(err, prefix))
			return
		}
		for _, d := range dirs {
			if err := ctx.Err(); err != nil {
				yield(core.PendingUpload{}, core.Wrap(core.Cancelled, storeName, prefix, err))
				return
			}
			target := path.Join(stagingDir, d.Name(), targetFile)
			raw, rerr := s.root.ReadFile(target)
			fi, serr := s.root.Stat(target)
			if rerr != nil || serr != nil {
				continue // completed or aborted meanwhile, or not an upload's
			}
			p, err := core.ParsePath(string(raw))
			if err != nil || (prefix != "" && (p == prefix || !p.HasPrefix(prefix))) {
				continue
			}
			if !yield(core.PendingUpload{Path: p, ID: d.Name(), Initiated: fi.ModTime()}, nil) {
				return
			}
		}
	}
}

// AbortUpload removes an upload's staging directory.
func (s *Store) AbortUpload(ctx context.Context, u core.PendingUpload) error {
	if u.ID == "" || strings.ContainsAny(u.ID, "/.") {
		return &core.Error{Kind: core.InvalidArgument, Store: storeName, Path: string(u.Path), Msg: "not an upload id of this store: " + u.ID}
	}
	return (&upload{store: s, path: u.Path, dir: path.Join(stagingDir, u.ID)}).Abort(ctx)
}

type upload struct {
	store *Store
	path  core.Path
	dir   string // root-relative staging directory

	mu    sync.Mutex
	parts []int
	done  bool
}

func (u *upload) errDone() error {
	return &core.Error{Kind: core.InvalidArgument, Store: storeName, Path: string(u.path), Msg: "upload is already completed or aborted"}
}

func (u *upload) PutPart(ctx context.Context, index int, data []byte) error {
	if index < 0 {
		return core.Errorf(core.InvalidArgument, "part index %d is negative", index)
	}
	u.mu.Lock()
	done := u.done
	u.mu.Unlock()
	if done {
		return u.errDone()
	}
	partPath := core.Path(u.dir + "/" + strconv.Itoa(index))
	tmp, err := u.store.writeTemp(partPath, func(w io.Writer) error { _, err := w.Write(data); return err })
	if err != nil {
		return core.Wrap(core.Generic, storeName, u.path, err)
	}
	if err := u.store.root.Rename(tmp, string(partPath)); err != nil {
		u.store.root.Remove(tmp)
		return fsError(err, u.path)
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.done { // aborted meanwhile
		u.store.root.Remove(string(partPath))
		return u.errDone()
	}
	if !slices.Contains(u.parts, index) {
		u.parts = append(u.parts, index)
	}
	return nil
}

func (u *upload) Complete(ctx context.Context) (core.PutResult, error) {
	u.mu.Lock()
	if u.done {
		u.mu.Unlock()
		return core.PutResult{}, u.errDone()
	}
	u.done = true
	parts := slices.Sorted(slices.Values(u.parts))
	u.mu.Unlock()
	defer u.store.root.RemoveAll(u.dir)

	tmp, err := u.store.writeTemp(u.path, func(w io.Writer) error {
		for _, i := range parts {
			f, err := u.store.root.Open(u.dir + "/" + strconv.Itoa(i))
			if err != nil {
				return err
			}
			_, err = io.Copy(w, f)
			f.Close()
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return core.PutResult{}, err
	}
	return u.store.place(tmp, u.path, core.PutMode{})
}

func (u *upload) Abort(ctx context.Context) error {
	u.mu.Lock()
	u.done = true
	u.mu.Unlock()
	if err := u.store.root.RemoveAll(u.dir); err != nil {
		return fsError(err, u.path)
	}
	return nil
}
