package core

import (
	"context"
	"iter"
	"time"
)

// Store is what every backend implements: the operations each object store
// can do natively. Everything that can be built from these (coalesced range
// reads, bulk delete, rename, prefixing, streaming writers) is written once in
// this package and works on any Store; a backend that can do one of those
// natively also implements the matching optional interface below, and the
// helpers use it.
//
// Every method validates nothing about paths: callers pass Paths that were
// built by ParsePath, so invalid paths never reach a backend.
type Store interface {
	// Get reads an object, or with opts.Head only its metadata. The caller
	// closes the Body of the result.
	Get(ctx context.Context, path Path, opts GetOptions) (*GetResult, error)
	// Head returns an object's metadata; NotFound when it does not exist.
	Head(ctx context.Context, path Path) (ObjectMeta, error)
	// Put writes a whole object in one request. data is only read during
	// the call.
	Put(ctx context.Context, path Path, data []byte, opts PutOptions) (PutResult, error)
	// PutMultipart starts an upload in parts; the object is not visible
	// until Complete. See MultipartUpload.
	PutMultipart(ctx context.Context, path Path, opts MultipartOptions) (MultipartUpload, error)
	// Delete removes an object. Deleting a missing object is either fine or
	// NotFound, depending on the store (as object_store).
	Delete(ctx context.Context, path Path) error
	// List yields every object under prefix (whole segments) whose location
	// sorts after opts.Offset, in lexicographic order where the service
	// orders. Iteration stops at the first error, which is yielded.
	List(ctx context.Context, prefix Path, opts ListOptions) iter.Seq2[ObjectMeta, error]
	// ListWithDelimiter lists one level under prefix: objects directly in
	// it and the common prefixes of deeper ones, both sorted.
	ListWithDelimiter(ctx context.Context, prefix Path) (ListResult, error)
	// Copy copies an object within the store, overwriting the destination
	// unless opts.IfNotExists.
	Copy(ctx context.Context, from, to Path, opts CopyOptions) error
	// Close releases what the store holds: its connections, descriptors
	// and clients. The store must not be used after it; bodies and
	// uploads it opened must be finished first. A store opened through
	// core/stores is shared by the handles of equal documents: close the
	// Handle, which closes the store with its last handle.
	Close() error
}

// ListOptions configure List.
type ListOptions struct {
	// Offset, when set, lists only objects whose location sorts strictly
	// after it (exclusive, on every backend).
	Offset Path
}

// MultipartUpload is an upload in parts. Parts are numbered from 0 and may be
// uploaded concurrently and in any order; the object is assembled in index
// order. Every part but the last must be at least the store's minimum part
// size (5 MiB on S3). Complete with no parts makes a zero-byte object.
// After a failure the caller must Abort, which removes every uploaded part.
type MultipartUpload interface {
	PutPart(ctx context.Context, index int, data []byte) error
	Complete(ctx context.Context) (PutResult, error)
	Abort(ctx context.Context) error
}

// Renamer is implemented by stores that rename natively (a local rename, a
// WebDAV MOVE). Others get copy + delete from Rename.
type Renamer interface {
	Rename(ctx context.Context, from, to Path, opts CopyOptions) error
}

// BulkDeleter is implemented by stores with a batch delete call. The result
// has one entry per path: nil, or that path's error.
type BulkDeleter interface {
	DeleteMany(ctx context.Context, paths []Path) []error
}

// Signer is implemented by stores that can presign URLs.
type Signer interface {
	Sign(ctx context.Context, method string, path Path, expiresIn time.Duration) (string, error)
}

// Rename moves from to to, natively where the store can, else by copy then
// delete of the source.
func Rename(ctx context.Context, s Store, from, to Path, opts CopyOptions) error {
	if r, ok := s.(Renamer); ok {
		return r.Rename(ctx, from, to, opts)
	}
	if err := s.Copy(ctx, from, to, opts); err != nil {
		return err
	}
	return s.Delete(ctx, from)
}

// Sign presigns a URL for method on path, or NotSupported.
func Sign(ctx context.Context, s Store, method string, path Path, expiresIn time.Duration) (string, error) {
	if sg, ok := s.(Signer); ok {
		return sg.Sign(ctx, method, path, expiresIn)
	}
	return "", &Error{Kind: NotSupported, Path: string(path), Msg: "this store cannot sign URLs"}
}
