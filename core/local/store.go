package local

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"io/fs"
	"iter"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/libobjstore/objstore/core"
)

// Names under the root starting with reservedPrefix belong to the store:
// temporary files of writes in progress and the multipart staging area.
// Listings never show them and paths using them are refused.
const (
	reservedPrefix = ".objstore."
	tempPrefix     = reservedPrefix + "tmp."
	stagingDir     = reservedPrefix + "multipart"
)

// Store is a core.Store on a directory. Every access goes through an
// os.Root, so no path or symlink can reach outside the root directory.
//
// Writes are atomic: data goes to a temporary file in the destination
// directory, which is then renamed (overwrite) or hard-linked (create: fails
// if the destination exists) into place, so readers never see a partial
// object and a crash leaves at most a hidden temporary file.
//
// Limits: update mode (compare etag, then replace) is atomic only against
// writers in this process, which serialize on a per-path lock; another
// process writing the same file between the comparison and the rename is not
// detected. Attributes cannot be stored (NotImplemented); tags are ignored,
// as in object_store. Versions are not kept.
type Store struct {
	root    *os.Root
	dir     string
	cleanup bool
	locks   [64]sync.Mutex // striped per-path write locks
	seed    maphash.Seed
}

var (
	_ core.Store   = (*Store)(nil)
	_ core.Renamer = (*Store)(nil)
)

// Close releases the root directory handle.
func (s *Store) Close() error { return s.root.Close() }

// Dir is the root directory.
func (s *Store) Dir() string { return s.dir }

func (s *Store) lock(p core.Path) *sync.Mutex {
	m := &s.locks[maphash.String(s.seed, string(p))%uint64(len(s.locks))]
	m.Lock()
	return m
}

// name is the root-relative file name of an object path.
func name(p core.Path) string {
	if p == "" {
		return "."
	}
	return string(p)
}

func reserved(p core.Path) bool {
	for _, seg := range p.Parts() {
		if strings.HasPrefix(seg, reservedPrefix) {
			return true
		}
	}
	return false
}

func checkWritable(p core.Path) error {
	if p == "" {
		return &core.Error{Kind: core.InvalidPath, Store: storeName, Msg: "the root is not an object"}
	}
	if reserved(p) {
		return &core.Error{Kind: core.InvalidPath, Store: storeName, Path: string(p), Msg: "segments starting with " + reservedPrefix + " are reserved by LocalStore"}
	}
	return nil
}

var errPathEscapes = errors.New("path escapes the root")

// fsError maps a filesystem error to a typed one.
func fsError(err error, p core.Path) error {
	if err == nil {
		return nil
	}
	var e *core.Error
	if errors.As(err, &e) {
		return core.Wrap(e.Kind, storeName, p, err)
	}
	kind := core.Generic
	switch {
	case errors.Is(err, errPathEscapes) || strings.Contains(err.Error(), "path escapes from parent"):
		return &core.Error{Kind: core.PermissionDenied, Store: storeName, Path: string(p), Msg: "path resolves outside the root directory (symlink)"}
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR):
		kind = core.NotFound
	case errors.Is(err, fs.ErrPermission):
		kind = core.PermissionDenied
	case errors.Is(err, fs.ErrExist):
		kind = core.AlreadyExists
	}
	return &core.Error{Kind: kind, Store: storeName, Path: string(p), Err: stripRoot(err)}
}

// stripRoot drops the *PathError wrapper, whose path may be long and is
// already in the message as the object path.
func stripRoot(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Op, pe.Err)
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return fmt.Errorf("%s: %w", le.Op, le.Err)
	}
	return err
}

func notFound(p core.Path) error {
	return &core.Error{Kind: core.NotFound, Store: storeName, Path: string(p), Msg: "object not found"}
}

// etag is object_store's: inode, modification time and size, in hex. A
// write always renames a new file into place, so the inode changes even
// when two writes fall in the same nanosecond.
func etag(fi fs.FileInfo) string {
	var ino uint64
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		ino = st.Ino
	}
	return strconv.FormatUint(ino, 16) + "-" + strconv.FormatInt(fi.ModTime().UnixNano(), 16) + "-" + strconv.FormatInt(fi.Size(), 16)
}

func meta(p core.Path, fi fs.FileInfo) core.ObjectMeta {
	return core.ObjectMeta{Location: p, LastModified: fi.ModTime().UTC(), Size: uint64(fi.Size()), ETag: etag(fi)}
}

// statObject stats an object: directories are not objects.
func (s *Store) statObject(p core.Path) (fs.FileInfo, error) {
	if p == "" || reserved(p) {
		return nil, notFound(p)
	}
	fi, err := s.root.Stat(name(p))
	if err != nil {
		return nil, fsError(err, p)
	}
	if !fi.Mode().IsRegular() {
		return nil, notFound(p)
	}
	return fi, nil
}

func (s *Store) Head(ctx context.Context, p core.Path) (core.ObjectMeta, error) {
	fi, err := s.statObject(p)
	if err != nil {
		return core.ObjectMeta{}, err
	}
	return meta(p, fi), nil
}

func (s *Store) Get(ctx context.Context, p core.Path, opts core.GetOptions) (*core.GetResult, error) {
	if err := ctx.Err(); err != nil {
		return nil, core.Wrap(core.Cancelled, storeName, p, err)
	}
	if opts.Version != "" {
		return nil, &core.Error{Kind: core.NotImplemented, Store: storeName, Path: string(p), Msg: "LocalStore keeps no versions"}
	}
	if p == "" || reserved(p) {
		return nil, notFound(p)
	}
	f, err := s.root.Open(name(p))
	if err != nil {
		return nil, fsError(err, p)
	}
	ok := false
	defer func() {
		if !ok {
			f.Close()
		}
	}()
	fi, err := f.Stat()
	if err != nil {
		return nil, fsError(err, p)
	}
	if !fi.Mode().IsRegular() {
		return nil, notFound(p)
	}
	m := meta(p, fi)
	if err := opts.CheckPreconditions(m); err != nil {
		return nil, core.Wrap(core.Generic, storeName, p, err)
	}
	start, end := uint64(0), m.Size
	if opts.Range != nil {
		if start, end, err = opts.Range.Resolve(m.Size); err != nil {
			return nil, core.Wrap(core.InvalidArgument, storeName, p, err)
		}
	}
	res := &core.GetResult{Meta: m, Start: start, End: end}
	if opts.Head {
		res.Start, res.End = 0, 0
		res.Body = io.NopCloser(strings.NewReader(""))
		return res, nil
	}
	ok = true
	res.Body = &fileBody{Reader: io.NewSectionReader(f, int64(start), int64(end-start)), f: f}
	return res, nil
}

type fileBody struct {
	io.Reader
	f *os.File
}

func (b *fileBody) Close() error { return b.f.Close() }

// tempFile creates a hidden temporary file next to p (creating p's parent
// directories) and returns it with its root-relative name.
func (s *Store) tempFile(p core.Path) (*os.File, string, error) {
	dir := path.Dir(string(p))
	if dir != "." {
		if err := s.root.MkdirAll(dir, 0o755); err != nil {
			if errors.Is(err, syscall.ENOTDIR) || errors.Is(err, fs.ErrExist) {
				return nil, "", &core.Error{Kind: core.InvalidPath, Store: storeName, Path: string(p), Msg: "a parent of this path is an object (a file), so it cannot be a directory"}
			}
			return nil, "", fsError(err, p)
		}
	}
	var rnd [8]byte
	rand.Read(rnd[:])
	tmp := path.Join(dir, tempPrefix+hex.EncodeToString(rnd[:]))
	f, err := s.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, "", fsError(err, p)
	}
	return f, tmp, nil
}

// writeTemp writes data (from fill) to a new temporary file next to p.
func (s *Store) writeTemp(p core.Path, fill func(w io.Writer) error) (string, error) {
	f, tmp, err := s.tempFile(p)
	if err != nil {
		return "", err
	}
	err = fill(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		mtime := uniqueMtime()
		err = s.root.Chtimes(tmp, mtime, mtime)
	}
	if err != nil {
		s.root.Remove(tmp)
		return "", fsError(err, p)
	}
	return tmp, nil
}

var lastMtime atomic.Int64

// uniqueMtime is now, but strictly later than the previous call's result.
// Filesystems stamp files from a coarse clock (milliseconds on ext4) and
// reuse freed inode numbers, so without it a file could get the etag of an
// earlier, replaced write, and a stale update would pass.
func uniqueMtime() time.Time {
	for {
		prev := lastMtime.Load()
		next := max(time.Now().UnixNano(), prev+1)
		if lastMtime.CompareAndSwap(prev, next) {
			return time.Unix(0, next)
		}
	}
}

// publish moves the temporary file tmp to p: with a hard link that fails if
// p exists (noClobber), else with a rename that replaces it. The temporary
// file is gone afterwards in every case.
func (s *Store) publish(tmp string, p core.Path, noClobber bool) error {
	var err error
	if noClobber {
		err = s.root.Link(tmp, name(p))
		s.root.Remove(tmp)
		if errors.Is(err, fs.ErrExist) {
			return &core.Error{Kind: core.AlreadyExists, Store: storeName, Path: string(p), Msg: "object already exists"}
		}
	} else {
		err = s.root.Rename(tmp, name(p))
		if err != nil {
			s.root.Remove(tmp)
		}
	}
	if errors.Is(err, syscall.EISDIR) || errors.Is(err, syscall.ENOTEMPTY) || errors.Is(err, syscall.EEXIST) {
		return &core.Error{Kind: core.InvalidPath, Store: storeName, Path: string(p), Msg: "a directory has this name"}
	}
	return fsError(err, p)
}

func (s *Store) headAfterWrite(p core.Path) (core.PutResult, error) {
	fi, err := s.root.Stat(name(p))
	if err != nil {
		return core.PutResult{}, fsError(err, p)
	}
	return core.PutResult{ETag: etag(fi)}, nil
}

func (s *Store) Put(ctx context.Context, p core.Path, data []byte, opts core.PutOptions) (core.PutResult, error) {
	if err := checkWritable(p); err != nil {
		return core.PutResult{}, err
	}
	if len(opts.Attributes) > 0 {
		return core.PutResult{}, &core.Error{Kind: core.NotImplemented, Store: storeName, Path: string(p), Msg: "LocalStore cannot store attributes"}
	}
	if opts.Mode.Kind == core.PutUpdate && opts.Mode.ETag == "" {
		return core.PutResult{}, &core.Error{Kind: core.NotImplemented, Store: storeName, Path: string(p), Msg: "LocalStore keeps no versions: update by etag"}
	}
	if err := ctx.Err(); err != nil {
		return core.PutResult{}, core.Wrap(core.Cancelled, storeName, p, err)
	}
	tmp, err := s.writeTemp(p, func(w io.Writer) error { _, err := w.Write(data); return err })
	if err != nil {
		return core.PutResult{}, err
	}
	return s.place(tmp, p, opts.Mode)
}

// place publishes a written temporary file according to mode.
func (s *Store) place(tmp string, p core.Path, mode core.PutMode) (core.PutResult, error) {
	mu := s.lock(p)
	defer mu.Unlock()
	switch mode.Kind {
	case core.PutCreate:
		if err := s.publish(tmp, p, true); err != nil {
			return core.PutResult{}, err
		}
	case core.PutUpdate:
		fi, err := s.statObject(p)
		if core.IsKind(err, core.NotFound) {
			s.root.Remove(tmp)
			return core.PutResult{}, &core.Error{Kind: core.Precondition, Store: storeName, Path: string(p), Msg: "object to update does not exist"}
		}
		if err != nil {
			s.root.Remove(tmp)
			return core.PutResult{}, err
		}
		if current := etag(fi); current != mode.ETag {
			s.root.Remove(tmp)
			return core.PutResult{}, &core.Error{Kind: core.Precondition, Store: storeName, Path: string(p), Msg: "etag " + current + " does not match " + mode.ETag}
		}
		fallthrough
	default:
		if err := s.publish(tmp, p, false); err != nil {
			return core.PutResult{}, err
		}
	}
	return s.headAfterWrite(p)
}

func (s *Store) Delete(ctx context.Context, p core.Path) error {
	if _, err := s.statObject(p); err != nil {
		return err
	}
	mu := s.lock(p)
	err := s.root.Remove(name(p))
	mu.Unlock()
	if err != nil {
		return fsError(err, p)
	}
	s.removeEmptyParents(p)
	return nil
}

// removeEmptyParents removes the now empty directories above p, up to the
// root, when automatic_cleanup is set.
func (s *Store) removeEmptyParents(p core.Path) {
	if !s.cleanup {
		return
	}
	for dir := path.Dir(string(p)); dir != "." && dir != "/"; dir = path.Dir(dir) {
		if s.root.Remove(dir) != nil { // fails when not empty: stop there
			return
		}
	}
}

// copyToTemp copies the object from into a temporary file next to to.
func (s *Store) copyToTemp(from, to core.Path) (string, error) {
	if _, err := s.statObject(from); err != nil {
		return "", err
	}
	src, err := s.root.Open(name(from))
	if err != nil {
		return "", fsError(err, from)
	}
	defer src.Close()
	return s.writeTemp(to, func(w io.Writer) error { _, err := io.Copy(w, src); return err })
}

func (s *Store) Copy(ctx context.Context, from, to core.Path, opts core.CopyOptions) error {
	if err := checkWritable(to); err != nil {
		return err
	}
	tmp, err := s.copyToTemp(from, to)
	if err != nil {
		return err
	}
	mu := s.lock(to)
	defer mu.Unlock()
	return s.publish(tmp, to, opts.IfNotExists)
}

// Rename moves an object with rename(2); with IfNotExists it hard-links the
// destination (failing if it exists) and then removes the source.
func (s *Store) Rename(ctx context.Context, from, to core.Path, opts core.CopyOptions) error {
	if err := checkWritable(to); err != nil {
		return err
	}
	if _, err := s.statObject(from); err != nil {
		return err
	}
	if dir := path.Dir(string(to)); dir != "." {
		if err := s.root.MkdirAll(dir, 0o755); err != nil {
			return fsError(err, to)
		}
	}
	mu := s.lock(to)
	var err error
	if opts.IfNotExists {
		err = s.root.Link(name(from), name(to))
		if errors.Is(err, fs.ErrExist) {
			mu.Unlock()
			return &core.Error{Kind: core.AlreadyExists, Store: storeName, Path: string(to), Msg: "destination already exists"}
		}
		if err == nil && from != to {
			err = s.root.Remove(name(from))
		}
	} else {
		err = s.root.Rename(name(from), name(to))
	}
	mu.Unlock()
	if err != nil {
		return fsError(err, from)
	}
	s.removeEmptyParents(from)
	return nil
}

// entry is one directory entry with the key it sorts by: its name, plus a
// trailing "/" for directories, so that a depth-first walk yields paths in
// the byte order of their full strings ("a-b" before "a/x").
type entry struct {
	name string
	key  string
	dir  bool
	info fs.FileInfo
}

// readDir lists a directory's objects and subdirectories, sorted by key,
// following symlinks that stay inside the root.
func (s *Store) readDir(dir core.Path) ([]entry, error) {
	f, err := s.root.Open(name(dir))
	if err != nil {
		return nil, fsError(err, dir)
	}
	defer f.Close()
	des, err := f.ReadDir(-1)
	if err != nil {
		return nil, fsError(err, dir)
	}
	out := make([]entry, 0, len(des))
	for _, de := range des {
		if strings.HasPrefix(de.Name(), reservedPrefix) {
			continue
		}
		child := dir.Join(core.Path(de.Name()))
		if _, err := core.ParsePath(string(child)); err != nil {
			continue // a file name no object path can name (e.g. with a newline)
		}
		var fi fs.FileInfo
		if de.Type()&fs.ModeSymlink != 0 {
			fi, err = s.root.Stat(string(child))
		} else {
			fi, err = de.Info()
		}
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed meanwhile, or a dangling link
		}
		if err != nil {
			return nil, fsError(err, child)
		}
		switch {
		case fi.IsDir():
			out = append(out, entry{name: de.Name(), key: de.Name() + "/", dir: true, info: fi})
		case fi.Mode().IsRegular():
			out = append(out, entry{name: de.Name(), key: de.Name(), info: fi})
		}
	}
	slices.SortFunc(out, func(a, b entry) int { return strings.Compare(a.key, b.key) })
	return out, nil
}

type fileID struct{ dev, ino uint64 }

func idOf(fi fs.FileInfo) fileID {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return fileID{uint64(st.Dev), st.Ino}
	}
	return fileID{}
}

// List walks the tree under prefix depth-first in full-path byte order (see
// entry), skipping subtrees that lie wholly at or before the offset.
func (s *Store) List(ctx context.Context, prefix core.Path, opts core.ListOptions) iter.Seq2[core.ObjectMeta, error] {
	return func(yield func(core.ObjectMeta, error) bool) {
		if reserved(prefix) {
			return
		}
		if prefix != "" {
			fi, err := s.root.Stat(name(prefix))
			if err != nil {
				if kind := core.KindOf(fsError(err, prefix)); kind != core.NotFound {
					yield(core.ObjectMeta{}, fsError(err, prefix))
				}
				return
			}
			if !fi.IsDir() {
				return // an object is not a prefix of itself
			}
		}
		offset := string(opts.Offset)
		visiting := map[fileID]bool{}
		var walk func(dir core.Path) bool
		walk = func(dir core.Path) bool {
			if err := ctx.Err(); err != nil {
				return yield(core.ObjectMeta{}, core.Wrap(core.Cancelled, storeName, dir, err))
			}
			entries, err := s.readDir(dir)
			if err != nil {
				yield(core.ObjectMeta{}, err)
				return false
			}
			for _, e := range entries {
				child := dir.Join(core.Path(e.name))
				if e.dir {
					sub := string(child) + "/"
					if offset != "" && sub < offset && !strings.HasPrefix(offset, sub) {
						continue // everything below sorts before the offset
					}
					id := idOf(e.info)
					if visiting[id] {
						continue // a symlink loop
					}
					visiting[id] = true
					ok := walk(child)
					delete(visiting, id)
					if !ok {
						return false
					}
					continue
				}
				if offset != "" && string(child) <= offset {
					continue
				}
				if !yield(meta(child, e.info), nil) {
					return false
				}
			}
			return true
		}
		walk(prefix)
	}
}

// ListWithDelimiter lists one directory: files are objects, subdirectories
// that hold at least one object are common prefixes.
func (s *Store) ListWithDelimiter(ctx context.Context, prefix core.Path) (core.ListResult, error) {
	var res core.ListResult
	if reserved(prefix) {
		return res, nil
	}
	if prefix != "" {
		fi, err := s.root.Stat(name(prefix))
		if err != nil {
			if err := fsError(err, prefix); !core.IsKind(err, core.NotFound) {
				return res, err
			}
			return res, nil
		}
		if !fi.IsDir() {
			return res, nil
		}
	}
	entries, err := s.readDir(prefix)
	if err != nil {
		return res, err
	}
	for _, e := range entries {
		child := prefix.Join(core.Path(e.name))
		if !e.dir {
			res.Objects = append(res.Objects, meta(child, e.info))
			continue
		}
		for _, err := range s.List(ctx, child, core.ListOptions{}) {
			if err != nil {
				return core.ListResult{}, err
			}
			res.CommonPrefixes = append(res.CommonPrefixes, child)
			break
		}
	}
	// Entries sort directories as "name/", prefixes sort as "name".
	slices.Sort(res.CommonPrefixes)
	return res, nil
}
