package local

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"path"
	"slices"
	"strconv"
	"sync"

	"github.com/libobjstore/objstore/core"
)

// PutMultipart stages parts as files in a hidden directory under the root
// (never listed); Complete concatenates them in index order into a
// temporary file next to the destination and renames it into place.
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
	return &upload{store: s, path: p, dir: dir}, nil
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
