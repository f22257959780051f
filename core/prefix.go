package core

import (
	"context"
	"iter"
	"time"
)

// Prefixed returns a store that sees only the subtree of s under prefix
// (whole segments): every path given to it is joined to prefix, and every
// path it returns is relative to prefix again. It is object_store's
// PrefixStore. An empty prefix returns s itself.
func Prefixed(s Store, prefix Path) Store {
	if prefix == "" {
		return s
	}
	return Scoped(s, prefix)
}

// Scoped is Prefixed that wraps s also for an empty prefix: the front of
// every store core/stores opens (see core/driver's Open). Besides the
// prefix, the front checks once, for every backend, what no backend has to
// check again: a range that is wrong whatever the object's size (empty or
// inverted) is InvalidArgument before any backend sees it.
func Scoped(s Store, prefix Path) Store {
	// Nest by joining, not by stacking wrappers (but never past a borrowed
	// store, whose Close is its own).
	if p, ok := s.(*prefixStore); ok && p.release == nil {
		return &prefixStore{inner: p.inner, prefix: p.prefix.Join(prefix)}
	}
	return &prefixStore{inner: s, prefix: prefix}
}

// Borrowed returns s with its Close replaced by release, keeping every
// optional interface of s: for a store shared by reference count that a
// wrapping store (a cache, a limit) is built over, whose Close must drop
// its one reference rather than close the shared store.
func Borrowed(s Store, release func() error) Store {
	return &prefixStore{inner: s, release: release}
}

type prefixStore struct {
	inner   Store
	prefix  Path
	release func() error // Close, when set (Borrowed)
}

var (
	_ Renamer       = (*prefixStore)(nil)
	_ BulkDeleter   = (*prefixStore)(nil)
	_ Signer        = (*prefixStore)(nil)
	_ UploadCleaner = (*prefixStore)(nil)
)

func (p *prefixStore) full(path Path) Path { return p.prefix.Join(path) }

// strip makes an inner path relative to the prefix. Inner stores only return
// paths under the prefix they were asked for, so a miss means a broken store.
func (p *prefixStore) strip(path Path) (Path, error) {
	rel, ok := path.StripPrefix(p.prefix)
	if !ok {
		return "", &Error{Kind: Generic, Path: string(path), Msg: "store returned a path outside prefix " + string(p.prefix)}
	}
	return rel, nil
}

func (p *prefixStore) stripMeta(m *ObjectMeta) error {
	rel, err := p.strip(m.Location)
	m.Location = rel
	return err
}

func (p *prefixStore) Get(ctx context.Context, path Path, opts GetOptions) (*GetResult, error) {
	if opts.Range != nil {
		if err := opts.Range.Validate(); err != nil {
			return nil, Wrap(InvalidArgument, "", path, err)
		}
	}
	res, err := p.inner.Get(ctx, p.full(path), opts)
	if err != nil {
		return nil, err
	}
	if err := p.stripMeta(&res.Meta); err != nil {
		res.Body.Close()
		return nil, err
	}
	return res, nil
}

func (p *prefixStore) Head(ctx context.Context, path Path) (ObjectMeta, error) {
	m, err := p.inner.Head(ctx, p.full(path))
	if err != nil {
		return m, err
	}
	return m, p.stripMeta(&m)
}

func (p *prefixStore) Put(ctx context.Context, path Path, data []byte, opts PutOptions) (PutResult, error) {
	return p.inner.Put(ctx, p.full(path), data, opts)
}

func (p *prefixStore) PutMultipart(ctx context.Context, path Path, opts MultipartOptions) (MultipartUpload, error) {
	return p.inner.PutMultipart(ctx, p.full(path), opts)
}

func (p *prefixStore) Delete(ctx context.Context, path Path) error {
	return p.inner.Delete(ctx, p.full(path))
}

func (p *prefixStore) List(ctx context.Context, prefix Path, opts ListOptions) iter.Seq2[ObjectMeta, error] {
	if p.prefix == "" { // nothing to join or strip: one layer less per entry of a large listing
		return p.inner.List(ctx, prefix, opts)
	}
	inner := ListOptions{}
	if opts.Offset != "" {
		inner.Offset = p.full(opts.Offset)
	}
	return func(yield func(ObjectMeta, error) bool) {
		for m, err := range p.inner.List(ctx, p.full(prefix), inner) {
			if err == nil {
				err = p.stripMeta(&m)
			}
			if !yield(m, err) || err != nil {
				return
			}
		}
	}
}

func (p *prefixStore) ListWithDelimiter(ctx context.Context, prefix Path) (ListResult, error) {
	res, err := p.inner.ListWithDelimiter(ctx, p.full(prefix))
	if err != nil {
		return res, err
	}
	for i := range res.Objects {
		if err := p.stripMeta(&res.Objects[i]); err != nil {
			return ListResult{}, err
		}
	}
	for i, cp := range res.CommonPrefixes {
		if res.CommonPrefixes[i], err = p.strip(cp); err != nil {
			return ListResult{}, err
		}
	}
	return res, nil
}

func (p *prefixStore) Copy(ctx context.Context, from, to Path, opts CopyOptions) error {
	return p.inner.Copy(ctx, p.full(from), p.full(to), opts)
}

func (p *prefixStore) Rename(ctx context.Context, from, to Path, opts CopyOptions) error {
	return Rename(ctx, p.inner, p.full(from), p.full(to), opts)
}

func (p *prefixStore) DeleteMany(ctx context.Context, paths []Path) []error {
	full := make([]Path, len(paths))
	for i, path := range paths {
		full[i] = p.full(path)
	}
	return DeleteMany(ctx, p.inner, full)
}

func (p *prefixStore) Sign(ctx context.Context, method string, path Path, expiresIn time.Duration) (string, error) {
	return Sign(ctx, p.inner, method, p.full(path), expiresIn)
}

func (p *prefixStore) ListUploads(ctx context.Context, prefix Path) iter.Seq2[PendingUpload, error] {
	return func(yield func(PendingUpload, error) bool) {
		for u, err := range ListUploads(ctx, p.inner, p.full(prefix)) {
			if err == nil {
				u.Path, err = p.strip(u.Path)
			}
			if !yield(u, err) || err != nil {
				return
			}
		}
	}
}

// Close closes the store under the prefix (a borrowed store: releases it).
func (p *prefixStore) Close() error {
	if p.release != nil {
		return p.release()
	}
	return p.inner.Close()
}

func (p *prefixStore) AbortUpload(ctx context.Context, u PendingUpload) error {
	u.Path = p.full(u.Path)
	return AbortUpload(ctx, p.inner, u)
}
