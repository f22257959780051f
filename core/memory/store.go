// Package memory is an in-process object store: a map guarded by a lock.
// Each MemoryStore is its own namespace; it is never shared or pickled.
package memory

import (
	"bytes"
	"context"
	"iter"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/libobjstore/objstore/core"
)

const storeName = "memory"

// object is one stored version. Its data is never modified after it is
// stored, so readers get views of it without copying or holding the lock.
type object struct {
	data  []byte
	meta  core.ObjectMeta
	attrs core.Attributes
}

// Store is an in-memory core.Store. Etags are a per-store counter, so every
// write gives a new one. Versions are not kept.
type Store struct {
	mu      sync.RWMutex
	objects map[core.Path]*object
	etag    uint64
	// sorted holds the objects in path order for listings, built on the
	// first listing after the set of paths changed (nil until then); an
	// overwrite replaces its entry in place. Every listing used to sort
	// the whole map, which cost more than the rest of a large listing.
	sorted []*object
}

var (
	_ core.Store   = (*Store)(nil)
	_ core.Renamer = (*Store)(nil)
)

// New returns an empty store.
func New() *Store { return &Store{objects: map[core.Path]*object{}} }

// Close does nothing: a memory store holds nothing but memory, which goes
// with the store.
func (s *Store) Close() error { return nil }

func notFound(path core.Path) error {
	return &core.Error{Kind: core.NotFound, Store: storeName, Path: string(path), Msg: "object not found"}
}

// nextETag must be called with mu held for writing.
func (s *Store) nextETag() string {
	s.etag++
	return strconv.FormatUint(s.etag, 10)
}

// store puts a new object at path; mu must be held for writing. data must
// not be modified afterwards.
func (s *Store) store(path core.Path, data []byte, attrs core.Attributes) core.PutResult {
	o := &object{
		data: data,
		meta: core.ObjectMeta{
			Location:     path,
			LastModified: time.Now().UTC(),
			Size:         uint64(len(data)),
			ETag:         s.nextETag(),
		},
		attrs: maps.Clone(attrs),
	}
	if old, exists := s.objects[path]; exists && s.sorted != nil {
		s.sorted[s.sortedIndex(old.meta.Location)] = o
	} else {
		s.sorted = nil
	}
	s.objects[path] = o
	return core.PutResult{ETag: o.meta.ETag}
}

// remove deletes the object at path; mu must be held for writing.
func (s *Store) remove(path core.Path) {
	if _, exists := s.objects[path]; exists {
		delete(s.objects, path)
		s.sorted = nil
	}
}

// sortedIndex is where path is, or would be, in s.sorted.
func (s *Store) sortedIndex(path core.Path) int {
	i, _ := slices.BinarySearchFunc(s.sorted, path, func(o *object, p core.Path) int { return strings.Compare(string(o.meta.Location), string(p)) })
	return i
}

func (s *Store) Get(ctx context.Context, path core.Path, opts core.GetOptions) (*core.GetResult, error) {
	if err := ctx.Err(); err != nil {
		return nil, core.Wrap(core.Cancelled, storeName, path, err)
	}
	if opts.Version != "" {
		return nil, &core.Error{Kind: core.NotImplemented, Store: storeName, Path: string(path), Msg: "MemoryStore keeps no versions"}
	}
	s.mu.RLock()
	o, ok := s.objects[path]
	s.mu.RUnlock()
	if !ok {
		return nil, notFound(path)
	}
	if err := opts.CheckPreconditions(o.meta); err != nil {
		return nil, core.Wrap(core.Generic, storeName, path, err)
	}
	start, end := uint64(0), o.meta.Size
	if opts.Range != nil {
		var err error
		if start, end, err = opts.Range.Resolve(o.meta.Size); err != nil {
			return nil, core.Wrap(core.InvalidArgument, storeName, path, err)
		}
	}
	if opts.Head {
		start, end = 0, 0
	}
	// One allocation: the result and its body.
	g := &getting{res: core.GetResult{Meta: o.meta, Start: start, End: end, Attributes: maps.Clone(o.attrs)}}
	g.body.Reset(o.data[start:end])
	g.res.Body = &g.body
	return &g.res, nil
}

// getting is a get's result with its body, a view of the stored bytes.
type getting struct {
	res  core.GetResult
	body viewBody
}

type viewBody struct{ bytes.Reader }

func (*viewBody) Close() error { return nil }

func (s *Store) Head(ctx context.Context, path core.Path) (core.ObjectMeta, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	o, ok := s.objects[path]
	if !ok {
		return core.ObjectMeta{}, notFound(path)
	}
	return o.meta, nil
}

func (s *Store) Put(ctx context.Context, path core.Path, data []byte, opts core.PutOptions) (core.PutResult, error) {
	if err := ctx.Err(); err != nil {
		return core.PutResult{}, core.Wrap(core.Cancelled, storeName, path, err)
	}
	owned := bytes.Clone(data) // data is the caller's only for the call
	if owned == nil {
		owned = []byte{}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	current, exists := s.objects[path]
	switch opts.Mode.Kind {
	case core.PutCreate:
		if exists {
			return core.PutResult{}, &core.Error{Kind: core.AlreadyExists, Store: storeName, Path: string(path), Msg: "object already exists"}
		}
	case core.PutUpdate:
		if opts.Mode.Version != "" && opts.Mode.ETag == "" {
			return core.PutResult{}, &core.Error{Kind: core.NotImplemented, Store: storeName, Path: string(path), Msg: "MemoryStore keeps no versions: update by etag"}
		}
		if !exists {
			return core.PutResult{}, &core.Error{Kind: core.Precondition, Store: storeName, Path: string(path), Msg: "object to update does not exist"}
		}
		if opts.Mode.ETag != current.meta.ETag {
			return core.PutResult{}, &core.Error{Kind: core.Precondition, Store: storeName, Path: string(path), Msg: "etag " + current.meta.ETag + " does not match " + opts.Mode.ETag}
		}
	}
	return s.store(path, owned, opts.Attributes), nil
}

func (s *Store) Delete(ctx context.Context, path core.Path) error {
	s.mu.Lock()
	s.remove(path)
	s.mu.Unlock()
	return nil
}

// snapshot returns the objects under prefix (by whole segments, the
// prefix itself excluded) sorted by location.
func (s *Store) snapshot(prefix core.Path) []*object {
	s.mu.RLock()
	if s.sorted == nil {
		s.mu.RUnlock()
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.sorted == nil {
			s.sorted = slices.SortedFunc(maps.Values(s.objects), func(a, b *object) int {
				return strings.Compare(string(a.meta.Location), string(b.meta.Location))
			})
		}
	} else {
		defer s.mu.RUnlock()
	}
	all := s.sorted
	if prefix != "" {
		// The paths under "a/b" are those from "a/b/" to "a/b0" ('0' follows '/').
		all = all[s.sortedIndex(prefix+"/"):s.sortedIndex(prefix+"0")]
	}
	return slices.Clone(all)
}

func (s *Store) List(ctx context.Context, prefix core.Path, opts core.ListOptions) iter.Seq2[core.ObjectMeta, error] {
	return func(yield func(core.ObjectMeta, error) bool) {
		for i, o := range s.snapshot(prefix) {
			if i%256 == 0 { // a cancelled listing stops soon; checking each entry cost a tenth of it
				if err := ctx.Err(); err != nil {
					yield(core.ObjectMeta{}, core.Wrap(core.Cancelled, storeName, prefix, err))
					return
				}
			}
			if opts.Offset != "" && o.meta.Location <= opts.Offset {
				continue
			}
			if !yield(o.meta, nil) {
				return
			}
		}
	}
}

func (s *Store) ListWithDelimiter(ctx context.Context, prefix core.Path) (core.ListResult, error) {
	var res core.ListResult
	for _, o := range s.snapshot(prefix) {
		rel, _ := o.meta.Location.StripPrefix(prefix)
		if i := strings.Index(string(rel), core.Delimiter); i >= 0 {
			cp := prefix.Join(rel[:i])
			if n := len(res.CommonPrefixes); n == 0 || res.CommonPrefixes[n-1] != cp {
				res.CommonPrefixes = append(res.CommonPrefixes, cp)
			}
			continue
		}
		res.Objects = append(res.Objects, o.meta)
	}
	// Sorting by full location can interleave "a/x" and "a-b" with "a/y";
	// common prefixes must come out unique and sorted.
	slices.Sort(res.CommonPrefixes)
	res.CommonPrefixes = slices.Compact(res.CommonPrefixes)
	return res, nil
}

func (s *Store) Copy(ctx context.Context, from, to core.Path, opts core.CopyOptions) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.copyLocked(from, to, opts)
}

func (s *Store) copyLocked(from, to core.Path, opts core.CopyOptions) error {
	src, ok := s.objects[from]
	if !ok {
		return notFound(from)
	}
	if _, exists := s.objects[to]; exists && opts.IfNotExists {
		return &core.Error{Kind: core.AlreadyExists, Store: storeName, Path: string(to), Msg: "destination already exists"}
	}
	s.store(to, src.data, src.attrs)
	return nil
}

// Rename moves an object atomically.
func (s *Store) Rename(ctx context.Context, from, to core.Path, opts core.CopyOptions) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.copyLocked(from, to, opts); err != nil {
		return err
	}
	if from != to {
		s.remove(from)
	}
	return nil
}

func (s *Store) PutMultipart(ctx context.Context, path core.Path, opts core.MultipartOptions) (core.MultipartUpload, error) {
	return &upload{store: s, path: path, attrs: maps.Clone(opts.Attributes), parts: map[int][]byte{}}, nil
}

// upload keeps its parts aside until Complete assembles them.
type upload struct {
	store *Store
	path  core.Path
	attrs core.Attributes

	mu    sync.Mutex
	parts map[int][]byte
	done  bool
}

func (u *upload) PutPart(ctx context.Context, index int, data []byte) error {
	if index < 0 {
		return core.Errorf(core.InvalidArgument, "part index %d is negative", index)
	}
	part := bytes.Clone(data)
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.done {
		return &core.Error{Kind: core.InvalidArgument, Store: storeName, Path: string(u.path), Msg: "upload is already completed or aborted"}
	}
	u.parts[index] = part
	return nil
}

func (u *upload) Complete(ctx context.Context) (core.PutResult, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.done {
		return core.PutResult{}, &core.Error{Kind: core.InvalidArgument, Store: storeName, Path: string(u.path), Msg: "upload is already completed or aborted"}
	}
	u.done = true
	indexes := slices.Sorted(maps.Keys(u.parts))
	size := 0
	for _, i := range indexes {
		size += len(u.parts[i])
	}
	data := make([]byte, 0, size)
	for _, i := range indexes {
		data = append(data, u.parts[i]...)
	}
	u.parts = nil
	u.store.mu.Lock()
	defer u.store.mu.Unlock()
	return u.store.store(u.path, data, u.attrs), nil
}

func (u *upload) Abort(ctx context.Context) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.done = true
	u.parts = nil
	return nil
}
